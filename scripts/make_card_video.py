"""Make the MP4 of a test ID card being placed in the kiosk's tray, for the real camera's tests.

The video is what the kiosk's camera sees from above: the empty tray, then the simulated card
(``device.sim.camera.render_card``: a clearly fake "MẪU / SAMPLE" card whose QR carries
``kiosk.core.samples.sample_payload(N)``) sliding in from the side, slowing down and lying still.
``tests/unit/device/test_opencv_camera.py`` plays it through the real :class:`device.camera.OpenCvCamera`
and the real camera worker, and ``kiosk camera --source tests/data/card_in_tray.mp4 --until-decoded``
reads it as a technician would.

Codec: H.264 (``avc1``) when OpenCV's VideoWriter can encode it here, else MPEG-4 Part 2 (``mp4v``).
The opencv-python wheels carry no H.264 encoder, so the committed file is mp4v; OpenCV (FFmpeg) reads
both. Frames are drawn deterministically (fixed seed), so rerunning the script gives the same pictures.

Usage::

    .venv/bin/python scripts/make_card_video.py                       # tests/data/card_in_tray.mp4
    .venv/bin/python scripts/make_card_video.py --sample 1 --out /tmp/card1.mp4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a file: the repository's packages without an install
    sys.path.insert(0, str(REPO))

from device.sim.camera import CARD_W, render_card  # noqa: E402
from kiosk.core.samples import sample_payload  # noqa: E402

DEFAULT_OUT = REPO / "tests" / "data" / "card_in_tray.mp4"
WIDTH, HEIGHT, FPS = 640, 360, 10
EMPTY_S, SLIDE_S, STILL_S = 0.8, 0.8, 1.4  # 3 s in all: the tray, the card sliding in, the card lying still
CARD_FRACTION = 0.75  # the card's width in the frame: the tray camera sits close, QR modules ~2 px at 640x360


def tray(width: int, height: int) -> np.ndarray:
    """The kiosk's tray seen from above: dark, evenly lit, a guide frame where the card goes."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 52 + 20 * (xx / width) + 12 * (yy / height)
    tray_bgr = cv2.cvtColor(np.clip(shade, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    w = int(width * CARD_FRACTION) + 12
    h = int(w * 54 / 85.6)
    cx, cy = width // 2, height // 2
    cv2.rectangle(tray_bgr, (cx - w // 2, cy - h // 2), (cx + w // 2, cy + h // 2), (96, 140, 96), 2, cv2.LINE_AA)
    return tray_bgr


def _ease_out(t: float) -> float:
    """0 -> 1, fast at first, slowing to rest: a hand setting a card down."""
    t = min(max(t, 0.0), 1.0)
    return 1 - (1 - t) ** 3


def frames(payload: str, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS):
    """Yield the BGR frames of the video: the tray, the card sliding in, the card lying still."""
    background = tray(width, height)
    card_w = int(width * CARD_FRACTION)
    scale = card_w / CARD_W
    card = cv2.resize(render_card(payload), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ch, cw = card.shape[:2]
    rest_x, rest_y = (width - cw) // 2, (height - ch) // 2
    rng = np.random.default_rng(7)
    n_empty, n_slide, n_still = (round(s * fps) for s in (EMPTY_S, SLIDE_S, STILL_S))
    for i in range(n_empty + n_slide + n_still):
        frame = background.copy()
        k = i - n_empty
        if k >= 0:
            t = _ease_out((k + 1) / n_slide)
            x = round(rest_x + (1 - t) * (width - rest_x))  # in from the right edge
            y = round(rest_y + (1 - t) * 0.15 * height)  # and a little from below, as a hand moves
            angle = (1 - t) * 8.0  # turning square as it lands
            m = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0)
            m[:, 2] += (x, y)
            cv2.warpAffine(card, m, (width, height), dst=frame, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_TRANSPARENT)
            speed = (1 - t) * width / n_slide  # pixels per frame, roughly
            if speed > 2:  # motion blur along the slide while it moves
                length = min(int(speed / 3) * 2 + 1, 31)
                kernel = np.zeros((1, length), np.float32)
                kernel[0, :] = 1.0 / length
                frame = cv2.filter2D(frame, -1, kernel)
        # A camera's sensor noise, light: the still card is not the same bytes twice.
        noise = rng.normal(0, 1.0, frame.shape[:2]).astype(np.float32)
        frame = np.clip(frame.astype(np.float32) + noise[..., None], 0, 255).astype(np.uint8)
        yield frame


def open_writer(path: Path, width: int, height: int, fps: int) -> tuple[cv2.VideoWriter, str]:
    """An MP4 writer: H.264 if this OpenCV can encode it, else mp4v. Returns the writer and its codec."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for codec in ("avc1", "mp4v"):
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
        if writer.isOpened():
            return writer, codec
        writer.release()
    raise RuntimeError(f"OpenCV cannot write an MP4 here ({path})")


def make_card_video(out: Path = DEFAULT_OUT, sample: int = 0, width: int = WIDTH, height: int = HEIGHT,
                    fps: int = FPS) -> dict:
    """Write the video to ``out``; returns what was written (path, payload, codec, frames, bytes)."""
    payload = sample_payload(sample)
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # the failed H.264 probe is expected
    try:
        writer, codec = open_writer(out, width, height, fps)
    finally:
        cv2.utils.logging.setLogLevel(previous)
    count = 0
    try:
        for frame in frames(payload, width, height, fps):
            writer.write(frame)
            count += 1
    finally:
        writer.release()
    return {"path": str(out), "payload": payload, "codec": codec, "frames": count, "fps": fps,
            "size": [width, height], "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the MP4 to write (default {DEFAULT_OUT})")
    parser.add_argument("--sample", type=int, default=0, help="which test citizen's card (sample_payload(N))")
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--height", type=int, default=HEIGHT)
    parser.add_argument("--fps", type=int, default=FPS)
    args = parser.parse_args(argv)
    info = make_card_video(args.out, args.sample, args.width, args.height, args.fps)
    print(f"{info['path']}: {info['frames']} frames {args.width}x{args.height} at {args.fps} fps, "
          f"{info['codec']}, {info['bytes'] // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
