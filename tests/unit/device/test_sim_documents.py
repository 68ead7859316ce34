"""device.sim.documents and the document scenes of device.sim.camera.SimCamera."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PIL import ImageFont

import device.sim.camera as sim_camera
from device.camera import Camera, CameraError
from device.sim.camera import SETTLE_FRAMES, STILL_SCALE, SimCamera
from device.sim.documents import (
    HEADER_BAND,
    SAMPLE_DOCUMENTS,
    SAMPLE_MARK,
    _font,
    page_count,
    page_size,
    render_document,
)
from device.sim.faults import FAULTS


@pytest.fixture
def camera() -> SimCamera:
    cam = SimCamera()
    cam.open()
    yield cam
    cam.close()


# --- the documents ----------------------------------------------------------------------------------------

def test_the_samples():
    assert SAMPLE_DOCUMENTS["giay-chung-sinh"]["pages"] == 1
    assert SAMPLE_DOCUMENTS["bang-tot-nghiep"]["pages"] == 2
    for kind, info in SAMPLE_DOCUMENTS.items():
        assert set(info["title"]) == {"vi", "en"}
        assert len(info["orientation"]) == info["pages"] == page_count(kind) == len(info["page_titles"])
    assert SAMPLE_DOCUMENTS["giay-chung-sinh"]["title"]["vi"] == "Giấy chứng sinh"
    assert "MẪU / SAMPLE" in SAMPLE_MARK and "không có giá trị" in SAMPLE_MARK


@pytest.mark.parametrize(("kind", "page"), [("giay-chung-sinh", 1), ("bang-tot-nghiep", 1), ("bang-tot-nghiep", 2)])
def test_a_page_is_an_a4_specimen(kind, page):
    image = render_document(kind, page)
    h, w = image.shape[:2]
    assert image.dtype == np.uint8 and image.shape[2] == 3
    assert (w, h) == page_size(kind, page)
    assert max(w, h) / min(w, h) == pytest.approx(297 / 210, rel=0.003)
    assert max(w, h) == 1754  # 150 dpi
    # The dark header band across the top, inside a white margin all round.
    band = image[60:120, 100:w - 100].reshape(-1, 3).mean(axis=0)
    assert np.allclose(band[::-1], HEADER_BAND, atol=40)
    for edge in (image[:30], image[-30:], image[:, :30], image[:, -30:]):
        assert edge.min() > 200
    # A red stamp: strongly red ink, not a few stray pixels.
    b, g, r = (image[..., i].astype(int) for i in range(3))
    assert np.count_nonzero((r > 150) & (g < 90) & (b < 90)) > 3000
    # Readable text: many dark strokes below the header.
    assert np.count_nonzero(cv2.cvtColor(image[200:], cv2.COLOR_BGR2GRAY) < 100) > 20_000


def test_pages_are_cached_and_read_only():
    first = render_document("giay-chung-sinh", 1)
    assert render_document("giay-chung-sinh", 1) is first
    assert not first.flags.writeable
    assert page_size("bang-tot-nghiep", 1) == (1754, 1240) and page_size("bang-tot-nghiep", 2) == (1240, 1754)


def test_unknown_pages_are_refused():
    with pytest.raises(KeyError):
        render_document("ho-chieu", 1)
    with pytest.raises(ValueError):
        render_document("giay-chung-sinh", 2)
    with pytest.raises(ValueError):
        render_document("bang-tot-nghiep", 0)


def test_the_font_has_vietnamese_accents():
    font = _font(40)
    if not isinstance(font, ImageFont.FreeTypeFont):
        pytest.skip("no TrueType font with Vietnamese on this machine")
    plain, accented = font.getbbox("U"), font.getbbox("Ữ")
    assert accented[1] < plain[1]  # the hook and tilde stand above the letter
    assert font.getmask("Ữ").getbbox() != font.getmask("□").getbbox()


# --- the page on the simulated tray --------------------------------------------------------------------------

def test_a_laid_page_slides_then_lies_still(camera):
    camera.present_document("giay-chung-sinh")
    frames, quads = [], []
    for _ in range(SETTLE_FRAMES + 6):
        frames.append(camera.read())
        quads.append(camera.last_document_quad.copy())
    moves = [float(np.abs(b - a).max()) for a, b in zip(quads, quads[1:], strict=False)]
    assert all(m > 0.5 for m in moves[:SETTLE_FRAMES - 2])  # sliding in
    assert all(m == 0.0 for m in moves[SETTLE_FRAMES:])  # then not a hair
    # Still frames differ only by sensor noise.
    diff = cv2.absdiff(frames[-1], frames[-2])
    assert 0 < diff.mean() < 3 and np.percentile(diff, 99.9) <= 16
    # The page lies well inside the 1280x720 frame.
    quad = quads[-1]
    assert quad[:, 0].min() > 20 and quad[:, 0].max() < 1260 and quad[:, 1].min() > 20 and quad[:, 1].max() < 700


def test_laying_the_page_again_settles_it_again(camera):
    camera.present_document("giay-chung-sinh")
    for _ in range(SETTLE_FRAMES + 2):
        camera.read()
    rest = camera.last_document_quad.copy()
    camera.present_document("giay-chung-sinh")
    camera.read()
    assert np.abs(camera.last_document_quad - rest).max() > 5


def test_the_wish_is_noted_and_the_page_drawn_on_the_cameras_thread(camera, monkeypatch):
    threads = []
    real = sim_camera._lit_page

    def recording(kind, page):
        threads.append(threading.current_thread().name)
        return real(kind, page)

    monkeypatch.setattr(sim_camera, "_lit_page", recording)
    camera.present_document("bang-tot-nghiep", 2)
    assert threads == []  # the GUI thread only noted it
    worker = threading.Thread(target=camera.read, name="camera-worker")
    worker.start()
    worker.join()
    assert threads == ["camera-worker"]


def test_the_faults_spoil_the_picture(camera):
    def scene(**flags):
        camera.present_document("giay-chung-sinh", **flags)
        for _ in range(SETTLE_FRAMES + 1):
            frame = camera.read()
        return frame, camera.last_document_quad.copy()

    good, quad = scene()
    grey = cv2.cvtColor(good, cv2.COLOR_BGR2GRAY)
    assert grey.max() < 250  # the paper never clips by itself
    glare, _ = scene(glare=True)
    assert np.count_nonzero(cv2.inRange(glare, (252, 252, 252), (255, 255, 255))) > 2000
    dark, _ = scene(dark=True)
    assert cv2.cvtColor(dark, cv2.COLOR_BGR2GRAY).mean() < 0.4 * grey.mean()
    blurred, _ = scene(blur=True)
    sharpness = [cv2.Laplacian(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var() for f in (good, blurred)]
    assert sharpness[1] < 0.3 * sharpness[0]
    _, small = scene(small=True)
    assert cv2.contourArea(small) < 0.25 * cv2.contourArea(quad)
    _, cut = scene(cut_off=True)
    assert cut[:, 0].max() > 1280 + 50
    _, square = scene(tilt_deg=0)
    top = square[1] - square[0]
    assert abs(np.degrees(np.arctan2(top[1], top[0]))) < 0.5


def test_still_is_the_same_scene_three_times_larger(camera):
    camera.present_document("bang-tot-nghiep", 1)
    for _ in range(SETTLE_FRAMES + 2):
        preview = camera.read()
    still = camera.still()
    assert still.shape == (720 * STILL_SCALE, 1280 * STILL_SCALE, 3)
    k = STILL_SCALE
    assert np.allclose(camera.last_still_quad, k * (camera.last_document_quad + 0.5) - 0.5, atol=0.01)
    shrunk = cv2.resize(still, (1280, 720), interpolation=cv2.INTER_AREA)
    assert cv2.absdiff(shrunk, preview).mean() < 6
    # A still does not move the scene on.
    before = camera.last_document_quad.copy()
    camera.still()
    camera.read()
    assert np.array_equal(camera.last_document_quad, before)


def test_cards_and_receipts_still_work_alongside_documents(camera):
    empty = camera.read()
    camera.present_card("001099012345|123456789|NGUYEN VAN A|01011990|Nam|Ha Noi|01012021")
    card = camera.read()
    assert camera.last_document_quad is None
    assert cv2.absdiff(card, empty).mean() > 5
    assert camera.still().shape == (2160, 3840, 3)
    camera.present_document("giay-chung-sinh")
    camera.read()
    assert camera.last_document_quad is not None
    camera.present_receipt("HS-0001")
    camera.read()
    assert camera.last_document_quad is None
    camera.remove_card()
    assert cv2.absdiff(camera.read(), empty).mean() < 1
    assert camera.still().shape == (2160, 3840, 3) and camera.last_still_quad is None


def test_present_document_refuses_unknown_pages(camera):
    with pytest.raises(ValueError):
        camera.present_document("bang-tot-nghiep", 3)
    with pytest.raises(ValueError):
        camera.present_document("ho-chieu")


def test_still_fails_like_read(camera):
    closed = SimCamera()
    with pytest.raises(CameraError):
        closed.still()
    FAULTS.set("camera", "unplugged", True)
    try:
        with pytest.raises(CameraError):
            camera.still()
    finally:
        FAULTS.set("camera", "unplugged", False)


def test_a_camera_without_a_still_mode_gives_its_next_frame():
    class Plain(Camera):
        def open(self) -> None:
            pass

        def read(self) -> np.ndarray:
            return np.zeros((2, 3, 3), np.uint8)

        def close(self) -> None:
            pass

    assert Plain().still().shape == (2, 3, 3)
