"""Simulated supporting documents for the paperless dossier: pages a citizen lays on the camera tray.

Each page is a clearly fake specimen ("MẪU / SAMPLE – không có giá trị", of no value), drawn with
Pillow in a real Vietnamese font at 150 dpi A4 (1240x1754 portrait, 1754x1240 landscape): a dark
header band carrying the specimen mark (a scan test can tell the top of the page by it), the
issuer's header, a title, readable lines of text, a round red stamp and a light watermark. Every
page keeps a white margin, as printed paper does: the page's outline on the tray is its paper edge.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

A4_PORTRAIT = (1240, 1754)  # 210 x 297 mm at 150 dpi
A4_LANDSCAPE = (1754, 1240)
RENDER_DPI = 150
HEADER_BAND = (18, 40, 72)  # RGB, dark navy: the band at the top of every page
SAMPLE_MARK = "MẪU / SAMPLE – không có giá trị / of no value"

SAMPLE_DOCUMENTS: dict[str, dict] = {
    "giay-chung-sinh": {
        "title": {"vi": "Giấy chứng sinh", "en": "Birth certificate (hospital)"},
        "issuer": "Bệnh viện Đa khoa Mẫu",
        "pages": 1,
        "orientation": ("portrait",),
        "page_titles": ({"vi": "Giấy chứng sinh", "en": "Birth certificate"},),
    },
    "bang-tot-nghiep": {
        "title": {"vi": "Bằng tốt nghiệp trung học phổ thông", "en": "Upper secondary school diploma"},
        "issuer": "Sở Giáo dục và Đào tạo Mẫu",
        "pages": 2,
        "orientation": ("landscape", "portrait"),
        "page_titles": ({"vi": "Bằng tốt nghiệp", "en": "Diploma"},
                        {"vi": "Phụ lục: kết quả học tập", "en": "Annex: results"}),
    },
}

# The same lookup as device.sim.camera's (copied, not imported: camera imports this module).
_FONT_DIRS = [
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(__file__).resolve().parents[2] / "kiosk" / "assets" / "fonts",
]
_FONT_FILES = {False: ["NotoSans-Regular.ttf", "DejaVuSans.ttf"], True: ["NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"]}
_SERIF_FILES = {False: ["NotoSerif-Regular.ttf", "DejaVuSerif.ttf"],
                True: ["NotoSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"]}

INK = (22, 24, 30)
GREY_INK = (80, 84, 92)
STAMP_RED = (196, 28, 36)


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False, serif: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    names = (_SERIF_FILES[bold] if serif else []) + _FONT_FILES[bold]
    for name in names:
        for folder in _FONT_DIRS:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)  # Pillow's own font: fewer accents, still legible


def page_count(kind: str) -> int:
    """How many pages the sample ``kind`` has; KeyError for an unknown kind."""
    return SAMPLE_DOCUMENTS[kind]["pages"]


def page_size(kind: str, page: int) -> tuple[int, int]:
    """The rendered (width, height) of ``page`` (1-based) of ``kind``."""
    _check(kind, page)
    return A4_LANDSCAPE if SAMPLE_DOCUMENTS[kind]["orientation"][page - 1] == "landscape" else A4_PORTRAIT


def _check(kind: str, page: int) -> None:
    if kind not in SAMPLE_DOCUMENTS:
        raise KeyError(f"unknown sample document {kind!r}; known: {', '.join(SAMPLE_DOCUMENTS)}")
    if not 1 <= page <= SAMPLE_DOCUMENTS[kind]["pages"]:
        raise ValueError(f"{kind} has {SAMPLE_DOCUMENTS[kind]['pages']} page(s), not page {page}")


def _header_band(draw: ImageDraw.ImageDraw, width: int, kind: str, page: int) -> int:
    # Inside the margin: a band touching the paper's edge would be taken for the tray by an outline finder.
    x0, y0, x1, y1 = 60, 50, width - 60, 130
    draw.rectangle((x0, y0, x1, y1), fill=HEADER_BAND)
    draw.text((x0 + 24, (y0 + y1) // 2), SAMPLE_MARK, font=_font(30, True), fill=(255, 255, 255), anchor="lm")
    total = SAMPLE_DOCUMENTS[kind]["pages"]
    draw.text((x1 - 24, (y0 + y1) // 2), f"Trang / Page {page}/{total}", font=_font(24), fill=(220, 228, 240),
              anchor="rm")
    return y1


def _stamp(page: Image.Image, centre: tuple[int, int], radius: int, ring_text: str, middle: str) -> None:
    """A round red office stamp, slightly rotated and translucent, as ink over the signature."""
    side = 2 * radius + 8
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    c = side // 2
    draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=200, width=7)
    draw.ellipse((c - radius + 16, c - radius + 16, c + radius - 16, c + radius - 16), outline=200, width=3)
    draw.text((c, c - 14), middle, font=_font(26, True), fill=200, anchor="mm")
    draw.text((c, c + 20), "* MẪU *", font=_font(24, True), fill=200, anchor="mm")
    # The ring's text, letter by letter along the circle.
    step = 300 / max(len(ring_text), 1)
    for i, ch in enumerate(ring_text):
        letter = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(letter).text((20, 20), ch, font=_font(20, True), fill=200, anchor="mm")
        angle = -150 + i * step
        letter = letter.rotate(-angle, resample=Image.Resampling.BICUBIC)
        rad = np.radians(angle - 90)
        x = c + (radius - 30) * np.cos(rad) - 20
        y = c + (radius - 30) * np.sin(rad) - 20
        mask.paste(letter, (int(x), int(y)), letter)
    mask = mask.rotate(-12, resample=Image.Resampling.BICUBIC)
    page.paste(STAMP_RED, (centre[0] - c, centre[1] - c), mask)


def _watermark(page: Image.Image) -> None:
    w, h = page.size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((w // 2, h // 2), "MẪU / SAMPLE", font=_font(150, True), fill=34, anchor="mm")
    mask = mask.rotate(30, center=(w // 2, h // 2), resample=Image.Resampling.BICUBIC)
    page.paste((200, 40, 40), mask=mask)


def _lines(draw: ImageDraw.ImageDraw, x: int, y: int, rows: list[tuple[str, str]], size: int = 27,
           gap: int = 50) -> int:
    for label, value in rows:
        draw.text((x, y), label, font=_font(size), fill=GREY_INK)
        if value:
            lw = draw.textlength(label + " ", font=_font(size))
            draw.text((x + lw, y), value, font=_font(size, True), fill=INK)
        y += gap
    return y


def _birth_certificate(page: Image.Image) -> None:
    w, _ = page.size
    draw = ImageDraw.Draw(page)
    y = _header_band(draw, w, "giay-chung-sinh", 1) + 30
    draw.text((260, y), "SỞ Y TẾ TỈNH MẪU", font=_font(26), fill=INK, anchor="ma")
    draw.text((260, y + 36), "BỆNH VIỆN ĐA KHOA MẪU", font=_font(26, True), fill=INK, anchor="ma")
    draw.text((860, y), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(26, True), fill=INK, anchor="ma")
    draw.text((860, y + 36), "Độc lập - Tự do - Hạnh phúc", font=_font(26, True), fill=INK, anchor="ma")
    draw.line((740, y + 72, 980, y + 72), fill=INK, width=2)
    draw.text((260, y + 84), "Số: 000123/MẪU", font=_font(24), fill=GREY_INK, anchor="ma")
    y += 170
    draw.text((w // 2, y), "GIẤY CHỨNG SINH", font=_font(58, True, serif=True), fill=INK, anchor="ma")
    draw.text((w // 2, y + 76), "(Bản mẫu của kiosk mô phỏng / simulated kiosk sample)", font=_font(24),
              fill=GREY_INK, anchor="ma")
    rows = [
        ("Họ và tên mẹ / Mother's name:", "NGUYỄN THỊ MẪU"),
        ("Năm sinh / Year of birth:", "1995"),
        ("Số định danh cá nhân / ID number:", "001195000000"),
        ("Nơi thường trú / Residence:", "Số 1 phố Mẫu, phường Cửa Nam, Hà Nội"),
        ("Dân tộc / Ethnicity:", "Kinh"),
        ("Đã sinh con vào lúc / Gave birth at:", "08 giờ 30 phút, ngày 15 tháng 06 năm 2025"),
        ("Tại / At:", "Bệnh viện Đa khoa Mẫu"),
        ("Số con trong lần sinh / Children born:", "01"),
        ("Giới tính của con / Sex of the child:", "Nữ / Female"),
        ("Cân nặng / Weight:", "3.200 gam"),
        ("Dự định đặt tên con / Intended name:", "NGUYỄN MẪU AN"),
        ("Ghi chú / Notes:", "Không có / None"),
    ]
    y = _lines(draw, 110, y + 150, rows)
    y += 30
    draw.text((300, y), "Người đỡ đẻ", font=_font(26, True), fill=INK, anchor="ma")
    draw.text((300, y + 34), "(Ký, ghi rõ họ tên)", font=_font(22), fill=GREY_INK, anchor="ma")
    draw.text((900, y - 40), "Hà Nội, ngày 15 tháng 06 năm 2025", font=_font(24), fill=GREY_INK, anchor="ma")
    draw.text((900, y), "THỦ TRƯỞNG CƠ SỞ Y TẾ", font=_font(26, True), fill=INK, anchor="ma")
    draw.text((900, y + 34), "(Ký, đóng dấu)", font=_font(22), fill=GREY_INK, anchor="ma")
    # Signatures: a few strokes, no one's real hand.
    for x0, name in ((300, "Trần Thị Mẫu"), (900, "Lê Văn Mẫu")):
        pts = [(x0 - 90 + 12 * i, y + 110 + 18 * np.sin(i / 1.7)) for i in range(16)]
        draw.line(pts, fill=(30, 40, 110), width=3)
        draw.text((x0, y + 180), name, font=_font(26, True), fill=INK, anchor="ma")
    _stamp(page, (860, y + 120), 120, "BỆNH VIỆN ĐA KHOA MẪU", "HÀ NỘI")
    draw.text((w // 2, 1640), "GIẤY THỬ NGHIỆM - KHÔNG CÓ GIÁ TRỊ / TEST DOCUMENT - OF NO VALUE",
              font=_font(26, True), fill=(170, 20, 20), anchor="ma")


def _diploma(page: Image.Image) -> None:
    w, h = page.size
    draw = ImageDraw.Draw(page)
    y = _header_band(draw, w, "bang-tot-nghiep", 1) + 24
    # A double ornamental frame, inside the margin (see _header_band).
    draw.rectangle((60, y, w - 60, h - 60), outline=(150, 110, 40), width=6)
    draw.rectangle((76, y + 16, w - 76, h - 76), outline=(150, 110, 40), width=2)
    draw.text((w // 2, y + 40), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(30, True), fill=INK, anchor="ma")
    draw.text((w // 2, y + 80), "Độc lập - Tự do - Hạnh phúc", font=_font(28, True), fill=INK, anchor="ma")
    draw.text((w // 2, y + 150), "BẰNG TỐT NGHIỆP TRUNG HỌC PHỔ THÔNG", font=_font(56, True, serif=True),
              fill=(150, 24, 24), anchor="ma")
    draw.text((w // 2, y + 222), "(Bản mẫu của kiosk mô phỏng / simulated kiosk sample)", font=_font(24),
              fill=GREY_INK, anchor="ma")
    draw.text((w // 2, y + 270), "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO MẪU", font=_font(30, True), fill=INK, anchor="ma")
    draw.text((w // 2, y + 310), "cấp bằng tốt nghiệp trung học phổ thông cho:", font=_font(28), fill=INK,
              anchor="ma")
    rows = [
        ("Họ và tên / Full name:", "NGUYỄN MẪU BÌNH"),
        ("Giới tính / Sex:", "Nam / Male"),
        ("Ngày sinh / Date of birth:", "02/09/2007"),
        ("Nơi sinh / Place of birth:", "Hà Nội"),
        ("Học sinh trường / School:", "Trường THPT Mẫu"),
        ("Khóa thi / Examination:", "ngày 26 tháng 06 năm 2025"),
        ("Xếp loại / Grade:", "Khá / Good"),
    ]
    yl = _lines(draw, 200, y + 380, rows, size=28, gap=52)
    draw.text((240, yl + 20), "Số hiệu / Serial: MẪU-000456", font=_font(24), fill=GREY_INK)
    draw.text((240, yl + 56), "Số vào sổ cấp bằng / Register: 000456/MẪU", font=_font(24), fill=GREY_INK)
    draw.text((1280, yl - 60), "Hà Nội, ngày 15 tháng 07 năm 2025", font=_font(24), fill=GREY_INK, anchor="ma")
    draw.text((1280, yl - 24), "GIÁM ĐỐC", font=_font(28, True), fill=INK, anchor="ma")
    pts = [(1190 + 12 * i, yl + 60 + 16 * np.sin(i / 1.5)) for i in range(15)]
    draw.line(pts, fill=(30, 40, 110), width=3)
    draw.text((1280, yl + 120), "Phạm Văn Mẫu", font=_font(26, True), fill=INK, anchor="ma")
    _stamp(page, (1230, yl + 60), 110, "SỞ GIÁO DỤC VÀ ĐÀO TẠO MẪU", "SỞ GD&ĐT")


def _diploma_annex(page: Image.Image) -> None:
    w, _ = page.size
    draw = ImageDraw.Draw(page)
    y = _header_band(draw, w, "bang-tot-nghiep", 2) + 40
    draw.text((w // 2, y), "PHỤ LỤC VĂN BẰNG", font=_font(50, True, serif=True), fill=INK, anchor="ma")
    draw.text((w // 2, y + 66), "Kết quả học tập lớp 12 / Year 12 results", font=_font(28), fill=GREY_INK, anchor="ma")
    draw.text((110, y + 130), "Họ và tên / Full name: NGUYỄN MẪU BÌNH", font=_font(28, True), fill=INK)
    subjects = [("Ngữ văn", "7,5", "Khá"), ("Toán", "8,0", "Giỏi"), ("Tiếng Anh", "8,5", "Giỏi"),
                ("Vật lý", "7,0", "Khá"), ("Hóa học", "6,5", "Khá"), ("Sinh học", "7,0", "Khá"),
                ("Lịch sử", "8,0", "Giỏi"), ("Địa lý", "7,5", "Khá"), ("Tin học", "9,0", "Giỏi"),
                ("Giáo dục thể chất", "Đạt", "Đạt")]
    top, row_h, cols = y + 200, 64, (110, 200, 700, 900, w - 110)
    heads = ("TT", "Môn học / Subject", "Điểm / Mark", "Xếp loại / Grade")
    for r in range(len(subjects) + 2):
        draw.line((cols[0], top + r * row_h, cols[-1], top + r * row_h), fill=INK, width=2)
    for x in cols:
        draw.line((x, top, x, top + (len(subjects) + 1) * row_h), fill=INK, width=2)
    for i, head in enumerate(heads):
        draw.text((cols[i] + 14, top + 16), head, font=_font(26, True), fill=INK)
    for r, (name, mark, grade) in enumerate(subjects, start=1):
        yy = top + r * row_h + 16
        for i, text in enumerate((str(r), name, mark, grade)):
            draw.text((cols[i] + 14, yy), text, font=_font(27), fill=INK)
    yb = top + (len(subjects) + 1) * row_h + 60
    draw.text((110, yb), "Hạnh kiểm / Conduct: Tốt / Good", font=_font(28), fill=INK)
    draw.text((110, yb + 50), "Điểm trung bình / Average: 7,7", font=_font(28), fill=INK)
    draw.text((880, yb + 120), "HIỆU TRƯỞNG", font=_font(28, True), fill=INK, anchor="ma")
    draw.text((880, yb + 300), "Đỗ Thị Mẫu", font=_font(26, True), fill=INK, anchor="ma")
    _stamp(page, (840, yb + 220), 110, "TRƯỜNG TRUNG HỌC PHỔ THÔNG MẪU", "THPT")
    draw.text((w // 2, 1640), "GIẤY THỬ NGHIỆM - KHÔNG CÓ GIÁ TRỊ / TEST DOCUMENT - OF NO VALUE",
              font=_font(26, True), fill=(170, 20, 20), anchor="ma")


_PAGES = {("giay-chung-sinh", 1): _birth_certificate, ("bang-tot-nghiep", 1): _diploma,
          ("bang-tot-nghiep", 2): _diploma_annex}


@lru_cache(maxsize=4)
def render_document(kind: str, page: int = 1) -> np.ndarray:
    """Page ``page`` (1-based) of the sample document ``kind`` as a BGR image at 150 dpi A4.

    Cached (four pages, ~6.5 MB each): a demo shows the same pages again and again. The array is
    read-only, since every caller shares it."""
    _check(kind, page)
    paper = Image.new("RGB", page_size(kind, page), (250, 249, 244))
    _PAGES[(kind, page)](paper)
    _watermark(paper)
    image = cv2.cvtColor(np.asarray(paper), cv2.COLOR_RGB2BGR)
    image.flags.writeable = False
    return image
