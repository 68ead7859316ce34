"""Render the guide videos in videos/ from each procedure definition's own steps.

Each video is a few title cards (the procedure's name, then one card per step; Vietnamese
large, English small) drawn with Qt (QImage + QPainter, offscreen) in Noto Sans, which covers
Vietnamese, and encoded by ffmpeg as H.264/yuv420p MP4, 640x360 at 5 fps, 10-20 s, a few
tens of KB each: small enough for git, and playable by QtMultimedia and OpenCV.

ffmpeg (with libx264) is needed ONLY to regenerate the videos, e.g. after editing a form's
steps (Debian: ``apt-get install ffmpeg``). The kiosk plays the committed MP4s; running the
kiosk, its tests and CI do not need ffmpeg.

Usage::

    .venv/bin/python scripts/make_videos.py                 # every procedure in forms/
    .venv/bin/python scripts/make_videos.py dang-ky-khai-sinh
    .venv/bin/python scripts/make_videos.py --forms DIR --out DIR --png-dir /tmp/frames
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter, QPen  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 360, 5
TITLE_SECONDS = 3.0
STEP_SECONDS_MIN, STEP_SECONDS_MAX = 2.5, 3.5
TARGET_SECONDS = 16.0
FONT_DIRS = [REPO / "kiosk" / "assets" / "fonts", Path("/usr/share/fonts/truetype/noto")]
AREA_COLOURS = {"ho-tich": "#1F5FAD", "chung-thuc": "#1E7B4F", "cu-tru": "#9A4D0E"}
_APP: QGuiApplication | None = None
INK, MUTED, PAPER = QColor("#16202C"), QColor("#4A5666"), QColor("#F6F8FB")


@dataclass
class Card:
    vi: str
    en: str
    number: int | None  # None for the title card
    seconds: float


def load_fonts() -> str:
    """Register Noto Sans (regular + bold) and return its family name."""
    for folder in FONT_DIRS:
        regular = folder / "NotoSans-Regular.ttf"
        if regular.is_file():
            ids = [QFontDatabase.addApplicationFont(str(p)) for p in (regular, folder / "NotoSans-Bold.ttf")
                   if p.is_file()]
            families = QFontDatabase.applicationFontFamilies(ids[0]) if ids and ids[0] >= 0 else []
            if families:
                return families[0]
    sys.exit("make_videos: Noto Sans not found (kiosk/assets/fonts or fonts-noto-core)")


def cards_for(definition: dict) -> list[Card]:
    steps = definition["steps"]
    per_step = min(STEP_SECONDS_MAX, max(STEP_SECONDS_MIN, (TARGET_SECONDS - TITLE_SECONDS) / len(steps)))
    cards = [Card(definition["name"]["vi"], definition["name"]["en"], None, TITLE_SECONDS)]
    cards += [Card(s["vi"], s["en"], i, per_step) for i, s in enumerate(steps, start=1)]
    return cards


def _font(family: str, px: int, bold: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def _fit(painter: QPainter, family: str, text: str, rect: QRectF, px: int, bold: bool, flags: int) -> QFont:
    """The largest font up to ``px`` whose wrapped text fits ``rect``."""
    while px > 12:
        font = _font(family, px, bold)
        painter.setFont(font)
        if painter.boundingRect(rect, flags, text).height() <= rect.height():
            return font
        px -= 2
    return _font(family, px, bold)


def render(definition: dict, card: Card, total: int, progress: float, family: str) -> QImage:
    accent = QColor(AREA_COLOURS.get(definition["area"]["id"], "#34495E"))
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB888)
    image.fill(PAPER)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    wrap = int(Qt.TextFlag.TextWordWrap)

    # Header band: area and national procedure code.
    p.fillRect(QRectF(0, 0, WIDTH, 52), accent)
    p.setPen(QColor("white"))
    p.setFont(_font(family, 19, bold=True))
    area = definition["area"]
    p.drawText(QRectF(24, 0, WIDTH - 48, 52), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
               f"{area['vi'].upper()} · {area['en']}")
    p.setFont(_font(family, 17))
    p.drawText(QRectF(24, 0, WIDTH - 48, 52), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
               f"Mã thủ tục {definition['code']}")

    if card.number is None:
        centre = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom) | wrap
        vi_rect = QRectF(40, 70, WIDTH - 80, 140)
        p.setPen(INK)
        p.setFont(_fit(p, family, card.vi, vi_rect, 40, True, centre))
        p.drawText(vi_rect, centre, card.vi)
        en_rect = QRectF(40, 218, WIDTH - 80, 60)
        top = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop) | wrap
        p.setPen(MUTED)
        p.setFont(_fit(p, family, card.en, en_rect, 22, False, top))
        p.drawText(en_rect, top, card.en)
        p.setPen(accent)
        p.setFont(_font(family, 18, bold=True))
        p.drawText(QRectF(40, 282, WIDTH - 80, 30), int(Qt.AlignmentFlag.AlignHCenter),
                   "Hướng dẫn từng bước · Step-by-step guide")
    else:
        # Step number in a disc, then the step: Vietnamese large, English small.
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(accent)
        p.drawEllipse(QRectF(28, 112, 84, 84))
        p.setPen(QColor("white"))
        p.setFont(_font(family, 44, bold=True))
        p.drawText(QRectF(28, 112, 84, 84), int(Qt.AlignmentFlag.AlignCenter), str(card.number))
        left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom) | wrap
        vi_rect = QRectF(136, 66, WIDTH - 136 - 28, 150)
        p.setPen(INK)
        p.setFont(_fit(p, family, card.vi, vi_rect, 32, True, left))
        p.drawText(vi_rect, left, card.vi)
        en_rect = QRectF(136, 226, WIDTH - 136 - 28, 60)
        top_left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | wrap
        p.setPen(MUTED)
        p.setFont(_fit(p, family, card.en, en_rect, 20, False, top_left))
        p.drawText(en_rect, top_left, card.en)
        p.setPen(MUTED)
        p.setFont(_font(family, 16))
        p.drawText(QRectF(136, 296, WIDTH - 164, 24), int(Qt.AlignmentFlag.AlignLeft),
                   f"Bước {card.number}/{total} · Step {card.number} of {total}")

    # Progress along the whole video, so the citizen sees how much is left.
    p.setPen(QPen(Qt.PenStyle.NoPen))
    p.setBrush(QColor("#D5DCE5"))
    p.drawRect(QRectF(0, HEIGHT - 10, WIDTH, 10))
    p.setBrush(accent)
    p.drawRect(QRectF(0, HEIGHT - 10, WIDTH * progress, 10))
    p.end()
    return image


_Py_IncRef = ctypes.pythonapi.Py_IncRef
_Py_IncRef.argtypes, _Py_IncRef.restype = [ctypes.py_object], None


def _render_keeping_none_alive(*args) -> QImage:
    # PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a method that
    # returns void (QPainter.setBrush, QLabel.setText, ...). None is not immortal before 3.12, so
    # after a few thousand calls the interpreter aborts with "none_dealloc". Give back exactly
    # what one frame took.
    before = sys.getrefcount(None)
    image = render(*args)
    for _ in range(before - sys.getrefcount(None)):
        _Py_IncRef(None)
    return image


def frames(definition: dict, family: str):
    cards = cards_for(definition)
    counts = [round(c.seconds * FPS) for c in cards]
    total_frames, done = sum(counts), 0
    for card, count in zip(cards, counts, strict=True):
        for _ in range(count):
            done += 1
            yield _render_keeping_none_alive(definition, card, len(cards) - 1, done / total_frames, family)


def _ppm(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PPM")
    buffer.close()
    return bytes(data.data())


def encode(definition: dict, out: Path, family: str, png_dir: Path | None = None) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("make_videos: ffmpeg is needed to regenerate the videos (apt-get install ffmpeg)")
    out.parent.mkdir(parents=True, exist_ok=True)
    # -bitexact and -threads 1 keep the output byte-identical across runs, so git sees no churn.
    # Frames go to ffmpeg as PPM through a pipe: QImage.constBits() crashes PySide6 at interpreter exit.
    cmd = [ffmpeg, "-loglevel", "error", "-y", "-f", "image2pipe", "-c:v", "ppm", "-framerate", str(FPS),
           "-i", "-", "-c:v", "libx264", "-preset", "veryslow", "-tune", "stillimage",
           "-crf", "24", "-pix_fmt", "yuv420p", "-threads", "1", "-movflags", "+faststart",
           "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for index, image in enumerate(frames(definition, family)):
        if png_dir and index % FPS == 0:
            png_dir.mkdir(parents=True, exist_ok=True)
            image.save(str(png_dir / f"{out.stem}-{index:03d}.png"))
        proc.stdin.write(_ppm(image))
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"make_videos: ffmpeg failed for {out.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="procedure ids (file stems); default: all")
    parser.add_argument("--forms", type=Path, default=REPO / "forms")
    parser.add_argument("--out", type=Path, default=REPO / "videos")
    parser.add_argument("--png-dir", type=Path, default=None, help="also save one frame per second as PNG")
    args = parser.parse_args(argv)

    global _APP
    _APP = QGuiApplication.instance() or QGuiApplication([])  # fonts need a GUI application, kept to exit
    family = load_fonts()
    paths = sorted(p for p in args.forms.glob("*.json") if p.name != "schema.json")
    if args.ids:
        paths = [p for p in paths if p.stem in args.ids]
    for path in paths:
        definition = json.loads(path.read_text(encoding="utf-8"))
        out = args.out / definition["video"]
        encode(definition, out, family, args.png_dir)
        print(f"{out.relative_to(REPO) if out.is_relative_to(REPO) else out}: {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
