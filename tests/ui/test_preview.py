"""The camera preview: frames reach the GUI thread small and in the painter's pixel format, colours kept."""

from __future__ import annotations

import numpy as np

from kiosk.ui.bridges.camera import PREVIEW_WIDTH, frame_to_qimage


def test_a_camera_frame_becomes_a_small_preview_with_its_colours():
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[:, :640] = (0, 0, 255)  # OpenCV is BGR: the left half red
    frame[:, 640:] = (255, 0, 0)  # the right half blue
    image = frame_to_qimage(frame)
    assert (image.width(), image.height()) == (PREVIEW_WIDTH, 450)  # 16:9 kept
    left, right = image.pixelColor(100, 200), image.pixelColor(700, 200)
    assert (left.red(), left.green(), left.blue()) == (255, 0, 0)
    assert (right.red(), right.green(), right.blue()) == (0, 0, 255)


def test_a_grey_frame_narrower_than_the_preview_keeps_its_size():
    image = frame_to_qimage(np.full((240, 320), 128, np.uint8))
    assert (image.width(), image.height()) == (320, 240)
    assert image.pixelColor(5, 5).red() == 128



def test_frames_are_converted_only_while_a_screen_shows_the_preview(qtbot):
    from kiosk.ui.bridges.camera import CameraBridge

    bridge = CameraBridge(lambda: None)
    frame = np.zeros((720, 1280, 3), np.uint8)
    unwatch = bridge.subscribe(on_decoded=lambda _text: None)  # the procedure list: QR codes, no preview
    with qtbot.assertNotEmitted(bridge.sig_frame):
        bridge._on_worker_frame(frame)  # what the camera thread calls for each captured frame
    assert bridge.frames_seen == 1  # still counted: maintenance shows the capture rate
    unwatch()
    previews: list = []
    unwatch = bridge.subscribe(on_frame=previews.append)  # the card screen shows the preview
    with qtbot.waitSignal(bridge.sig_frame, timeout=1000):
        bridge._on_worker_frame(frame)
    assert len(previews) == 1 and previews[0].width() == PREVIEW_WIDTH
    unwatch()
    bridge._last_preview = 0.0
    with qtbot.assertNotEmitted(bridge.sig_frame):
        bridge._on_worker_frame(frame)
    assert len(previews) == 1
