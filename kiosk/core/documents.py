"""What the kiosk prints: the queue ticket and the dossier receipt, as PDF (DESIGN.md section 9).

The PDF is the single source of truth for what prints. Both documents are laid out for the 80 mm
thermal roll: the page is exactly 80 mm wide and as tall as its content. Text uses the Noto Sans
shipped in ``kiosk.assets.fonts`` (embedded and subset by reportlab, with a ToUnicode map) so that
Vietnamese both prints and extracts with pdftotext. QR codes are made with ``qrcode`` and drawn as
vector squares whose size and top-left corner fall on whole dots of a 203 dpi print head, so a
thermal printer reproduces them without smearing.

The receipt follows "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" (Mẫu 01, Thông tư 01/2018/TT-VPCP),
with the QR code at the top-left carrying the dossier code (Thông tư 01/2023/TT-VPCP). Offline, it
carries the kiosk's provisional reference and says the dossier will be synchronised; a kiosk with no
backend says instead that the dossier is recorded here and the ward's officers take it from the receipt.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from kiosk.core import clock

ROLL_WIDTH_MM = 80.0
#: Thermal heads print 8 dots per mm (203 dpi); QR modules are whole multiples of one dot.
PRINT_DPI = 203
DOT = 72.0 / PRINT_DPI  # one print-head dot, in PDF points
MARGIN = 4 * mm  # 80 mm paper, 72 mm printable on common kiosk printers
RECEIVING_OFFICER = {"vi": "Kiosk tự phục vụ", "en": "Self-service kiosk"}
#: The line under a ticket's follow QR, and the line a local (offline) ticket has instead of one.
FOLLOW_CAPTION = "Quét để theo dõi lượt / Scan to follow your turn"
OFFLINE_NO_FOLLOW = ("Vé phát khi mất kết nối: không theo dõi được trên điện thoại / "
                     "Issued offline: cannot be followed on a phone")

FONT = "NotoSans"
FONT_BOLD = "NotoSans-Bold"
_font_lock = threading.Lock()
_fonts_ready = False


def _register_fonts() -> None:
    """Register the packaged fonts once per process (reportlab's registry is global)."""
    global _fonts_ready
    with _font_lock:
        if _fonts_ready:
            return
        package = files("kiosk.assets.fonts")
        for name, filename in ((FONT, "NotoSans-Regular.ttf"), (FONT_BOLD, "NotoSans-Bold.ttf")):
            # as_file gives a real path even from a zip; reportlab reads the whole file at once.
            with as_file(package / filename) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
        _fonts_ready = True


# --- documents ------------------------------------------------------------------------------------

@dataclass
class TicketDoc:
    """A queue ticket: the number the citizen waits with."""

    ward_name: str
    service_area: dict[str, str]  # {"vi": ..., "en": ...}
    number: str  # "A012" from the backend, "L012" from the kiosk-local range when offline
    issued_at: datetime
    people_ahead: int | None = None  # unknown when offline
    follow_url: str | None = None  # the QR to follow the queue on a phone
    priority: bool = False  # elderly, disabled, pregnant, with a small child...
    kiosk_id: str = ""
    offline: bool = False


@dataclass
class ReceivedDocument:
    """One line of "Thành phần hồ sơ": what the citizen handed in."""

    name: dict[str, str]  # {"vi": ..., "en": ...}
    kind: str = "copy"  # "original" | "copy"
    count: int = 1
    #: pages received as photographs at the kiosk (paperless dossier); 0: handed in on paper
    electronic_pages: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReceivedDocument:
        """From a procedure's ``documents`` entry (forms JSON: name{vi,en}, kind, count; electronic_pages)."""
        name = data["name"]
        if isinstance(name, str):
            name = {"vi": name, "en": name}
        return cls(name=dict(name), kind=data.get("kind", "copy"), count=int(data.get("count", 1)),
                   electronic_pages=int(data.get("electronic_pages", 0)))


@dataclass
class ReceiptFee:
    """The fee on a receipt: the computed lines, and whether it was paid at the kiosk (VietQR) or is due
    at the counter."""

    total_vnd: int
    lines: list[dict[str, Any]] = field(default_factory=list)  # {"vi", "en", "amount_vnd"} (FeeQuote.as_dict)
    paid_at: datetime | None = None  # when the backend saw the transfer; None: to pay at the counter
    reference: str = ""  # the payment reference the transfer carried


@dataclass
class ReceiptDoc:
    """A dossier receipt, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"."""

    unit_name: str  # the receiving ward, e.g. "Phường Cửa Nam"
    procedure_name: dict[str, str]  # {"vi": ..., "en": ...}
    procedure_code: str  # national code, e.g. "1.001193"
    applicant_name: str
    received_at: datetime
    dossier_code: str | None = None  # "00073-261124-0001" once the backend acknowledged it
    local_ref: str | None = None  # "L-KIOSK-01-261124-0001" while offline
    offline: bool = False
    parent_unit: str = ""  # the province or city above the ward, e.g. "Thành phố Hà Nội"
    phone: str = ""
    address: str = ""
    documents: list[ReceivedDocument] = field(default_factory=list)
    appointment_date: date | datetime | None = None  # None: given once the dossier is synchronised
    processing_time: dict[str, str] | None = None  # {"vi": "05 ngày làm việc", "en": "5 working days"}
    kiosk_id: str = ""
    #: False: no backend is configured, nothing is ever synchronised (the receipt must not promise it)
    has_backend: bool = True
    receiving_officer: dict[str, str] = field(default_factory=lambda: dict(RECEIVING_OFFICER))
    fee: ReceiptFee | None = None  # None: the procedure is free of charge

    def __post_init__(self) -> None:
        self.documents = [d if isinstance(d, ReceivedDocument) else ReceivedDocument.from_dict(d)
                          for d in self.documents]
        if not (self.dossier_code or self.local_ref):
            raise ValueError("a receipt needs a dossier_code or, offline, a local_ref")

    @property
    def code(self) -> str:
        """What the QR carries: the official code, or the provisional reference until synchronised."""
        if self.dossier_code and not self.offline:
            return self.dossier_code
        return self.local_ref or self.dossier_code or ""

    @property
    def provisional(self) -> bool:
        return self.code != self.dossier_code


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered PDF and its page size; ``media`` is the CUPS custom size for the roll."""

    path: Path
    width_mm: float
    height_mm: float

    @property
    def media(self) -> str:
        return f"Custom.{self.width_mm:g}x{math.ceil(self.height_mm)}mm"


# --- building blocks ------------------------------------------------------------------------------

class QrCode(Flowable):
    """A QR code drawn as vector modules, each a whole number of 203 dpi dots, on the dot grid."""

    def __init__(self, text: str, target_mm: float, quiet_modules: int = 2) -> None:
        super().__init__()
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        qr.add_data(text)
        qr.make(fit=True)
        self.text = text
        self.matrix: list[list[bool]] = qr.get_matrix()
        n = len(self.matrix)
        self.dots_per_module = max(3, round(target_mm * mm / DOT / n))
        self.module = self.dots_per_module * DOT
        self.quiet = quiet_modules * self.module  # the rest of the quiet zone is the white paper around
        self.side = n * self.module + 2 * self.quiet

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(colors.black)
        c.setStrokeColor(colors.black)
        n = len(self.matrix)
        for row, modules in enumerate(self.matrix):
            col = 0
            while col < n:
                if not modules[col]:
                    col += 1
                    continue
                start = col
                while col < n and modules[col]:
                    col += 1
                # One rectangle per horizontal run: fewer PDF operators, no hairline seams.
                c.rect(self.quiet + start * self.module, self.side - self.quiet - (row + 1) * self.module,
                       (col - start) * self.module, self.module, stroke=0, fill=1)
        c.restoreState()


class _Styles:
    def __init__(self) -> None:
        _register_fonts()
        base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11, alignment=TA_LEFT)
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7, leading=9)
        self.en = ParagraphStyle("en", base, fontSize=7, leading=9, textColor=colors.HexColor("#333333"))
        self.center = ParagraphStyle("center", base, alignment=TA_CENTER)
        self.center_en = ParagraphStyle("center_en", self.en, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center_bold", base, fontName=FONT_BOLD, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=11, leading=14,
                                    alignment=TA_CENTER)
        self.heading = ParagraphStyle("heading", base, fontName=FONT_BOLD, fontSize=9.5, leading=12,
                                      alignment=TA_CENTER)
        self.number = ParagraphStyle("number", base, fontName=FONT_BOLD, fontSize=60, leading=66,
                                     alignment=TA_CENTER)
        self.big = ParagraphStyle("big", base, fontName=FONT_BOLD, fontSize=12, leading=15,
                                  alignment=TA_CENTER)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; ``\\n`` becomes a line break)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _rich(markup: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup, style)


def _rule(width: str | float = "100%", thickness: float = 0.6, dash: list[float] | None = None,
          space: float = 2.5) -> HRFlowable:
    return HRFlowable(width=width, thickness=thickness, color=colors.black, spaceBefore=space,
                      spaceAfter=space, dash=dash)


def _table_style(commands: list[tuple]) -> TableStyle:
    """A table style whose cells use the packaged font (reportlab's default would add Helvetica)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT), *commands])


def _fit_size(style: ParagraphStyle, text: str, width: float) -> ParagraphStyle:
    """The style, shrunk so that ``text`` stays on one line (a long number must not wrap or overflow)."""
    natural = pdfmetrics.stringWidth(text, style.fontName, style.fontSize)
    if natural <= width:
        return style
    size = style.fontSize * width / natural * 0.97  # a hair narrower than the frame, or it wraps
    return ParagraphStyle(f"{style.name}-fit", style, fontSize=size, leading=size * 1.1)


def _vi_time(when: datetime) -> str:
    return f"{when:%H} giờ {when:%M} phút, ngày {when:%d} tháng {when:%m} năm {when:%Y}"


def _vi_date(when: date) -> str:
    return f"ngày {when:%d} tháng {when:%m} năm {when:%Y}"


def _render(flowables: Iterable[Flowable], path: Path, title: str, *, top: float = 3 * mm,
            bottom: float = 6 * mm) -> RenderedDocument:
    """Lay the flowables out top to bottom on an 80 mm wide page exactly as tall as they need."""
    width = ROLL_WIDTH_MM * mm
    frame_width = width - 2 * MARGIN
    placed: list[tuple[Flowable, float, float]] = []
    for flowable in flowables:
        _, h = flowable.wrap(frame_width, 10_000)
        before = flowable.getSpaceBefore() if placed else 0.0
        placed.append((flowable, before, h + flowable.getSpaceAfter()))
    content = sum(before + h for _, before, h in placed)
    # Whole millimetres, so the CUPS media size (Custom.80xHmm) matches the page exactly.
    height_mm = math.ceil((top + content + bottom) / mm)
    height = height_mm * mm
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(path), pagesize=(width, height), pageCompression=1, initialFontName=FONT)
    canvas.setTitle(title)
    canvas.setAuthor("ward-kiosk")
    canvas.setCreator("ward-kiosk (reportlab)")
    cursor = top  # distance from the top edge
    for flowable, before, h in placed:
        cursor += before
        w, fh = flowable.wrap(frame_width, 10_000)
        x = MARGIN
        if isinstance(flowable, QrCode) or getattr(flowable, "snap_to_dots", False):
            # Snap to the print-head grid measured from the top-left, where the printer starts.
            cursor = math.ceil(cursor / DOT) * DOT
            x = math.ceil(MARGIN / DOT) * DOT
            if getattr(flowable, "hAlign", "LEFT") == "CENTER":
                x = round((width - w) / 2 / DOT) * DOT
        elif getattr(flowable, "hAlign", "LEFT") == "CENTER" and w < frame_width:
            x = (width - w) / 2
        flowable.drawOn(canvas, x, height - cursor - fh)
        cursor += h
    canvas.showPage()
    canvas.save()
    return RenderedDocument(path=path, width_mm=ROLL_WIDTH_MM, height_mm=float(height_mm))


# --- the ticket -----------------------------------------------------------------------------------

def render_ticket(doc: TicketDoc, path: Path | str) -> RenderedDocument:
    """Render a queue ticket to ``path`` (80 mm wide, height fitted to content)."""
    s = _Styles()
    parts: list[Flowable] = [
        _p(doc.ward_name.upper(), s.center_bold),
        _p("PHIẾU SỐ THỨ TỰ", s.heading),
        _p("Queue ticket", s.center_en),
        _rule(space=3),
        _p(doc.service_area.get("vi", ""), s.big),
        _p(doc.service_area.get("en", ""), s.center_en),
        Spacer(0, 2 * mm),
        _p(doc.number, _fit_size(s.number, doc.number, ROLL_WIDTH_MM * mm - 2 * MARGIN)),
    ]
    if doc.priority:
        badge = Table([[_p("ƯU TIÊN · Priority", ParagraphStyle("badge", s.center_bold,
                                                                  textColor=colors.white))]],
                      colWidths=[40 * mm], hAlign="CENTER")
        badge.setStyle(_table_style([("BACKGROUND", (0, 0), (-1, -1), colors.black),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        parts += [badge, Spacer(0, 2 * mm)]
    if doc.follow_url:
        # Under the number, where the eye already is: the citizen photographs it before pocketing the ticket.
        qr = QrCode(doc.follow_url, target_mm=24)
        qr.hAlign = "CENTER"
        parts += [qr, Spacer(0, 1 * mm), _p(FOLLOW_CAPTION, s.center), Spacer(0, 1 * mm)]
    elif doc.offline:
        # No backend gave this number, so no page can follow it: said once, so nobody looks for a QR.
        parts += [Spacer(0, 1 * mm), _p(OFFLINE_NO_FOLLOW, s.center), Spacer(0, 1 * mm)]
    issued = clock.local(doc.issued_at)  # the ward's clock, whatever zone the caller's time is in
    if doc.people_ahead is None:
        ahead_vi, ahead_en = "Số người chờ trước bạn: chưa xác định", "People ahead of you: unknown"
    else:
        ahead_vi = f"Số người chờ trước bạn: <b>{doc.people_ahead}</b>"
        ahead_en = f"People ahead of you: {doc.people_ahead}"
    parts += [
        _rich(ahead_vi, s.center),
        _p(ahead_en, s.center_en),
        Spacer(0, 1.5 * mm),
        _p(f"Giờ lấy số: {issued:%H:%M} – ngày {issued:%d/%m/%Y}", s.center),
        _p(f"Issued at {issued:%H:%M} on {issued:%d/%m/%Y}", s.center_en),
    ]
    if doc.offline:
        parts += [
            Spacer(0, 1.5 * mm),
            _p("Số tạm cấp tại kiosk do mất kết nối hệ thống xếp hàng. Cán bộ vẫn gọi theo số này.",
               s.center),
            _p("Local number issued by the kiosk while the queue system is unreachable. "
               "You will still be called by this number.", s.center_en),
        ]
    parts += [
        _rule(dash=[2, 2], space=3),
        _p("Vui lòng chờ gọi số trên màn hình.", s.center),
        _p("Please wait for your number on the screen.", s.center_en),
    ]
    if doc.kiosk_id:
        parts.append(_p(doc.kiosk_id, ParagraphStyle("kiosk", s.small, alignment=TA_CENTER)))
    return _render(parts, Path(path), title=f"Phiếu số thứ tự {doc.number}")


# --- the receipt ----------------------------------------------------------------------------------

def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _fee_part(fee: ReceiptFee, number: int, s: _Styles) -> list[Flowable]:
    """"Lệ phí": the amount, each line, and paid (when, reference) or to pay at the counter."""
    parts: list[Flowable] = [
        _rich(f"<b>{number}. Lệ phí:</b> <b>{_vnd(fee.total_vnd)}</b>", s.body),
        _p(f"Fee: {fee.total_vnd:,} dong", s.en),
    ]
    for line in fee.lines:
        if line.get("amount_vnd"):
            parts += [_p(f"- {line['vi']}", s.small), _p(f"  {line['en']}", s.en)]
    if fee.paid_at is not None:
        paid = clock.local(fee.paid_at)
        status = [_rich(f"<b>ĐÃ THANH TOÁN</b> qua VietQR lúc {_vi_time(paid)}"
                        + (f", mã giao dịch {escape(fee.reference)}" if fee.reference else ""), s.body),
                  _p(f"PAID by VietQR at {paid:%H:%M}, {paid:%d/%m/%Y}"
                     + (f", reference {fee.reference}" if fee.reference else ""), s.en)]
    else:
        status = [_rich("<b>CHƯA THANH TOÁN</b>: vui lòng nộp lệ phí tại quầy khi được gọi số.", s.body),
                  _p("NOT PAID: please pay the fee at the counter when your number is called.", s.en)]
    box = Table([[status]], colWidths=[ROLL_WIDTH_MM * mm - 2 * MARGIN])
    box.setStyle(_table_style([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                               ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]))
    return parts + [Spacer(0, 1 * mm), box, Spacer(0, 1.5 * mm)]


def render_receipt(doc: ReceiptDoc, path: Path | str) -> RenderedDocument:
    """Render "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" (Mẫu 01) to ``path`` on the 80 mm roll."""
    s = _Styles()
    width = ROLL_WIDTH_MM * mm - 2 * MARGIN

    # Header: the QR top-left (Thông tư 01/2023/TT-VPCP), the receiving unit beside it (Mẫu 01's left column).
    qr = QrCode(doc.code, target_mm=19)
    unit_lines = []
    if doc.parent_unit:
        unit_lines.append(_p(doc.parent_unit.upper(), ParagraphStyle("parent", s.center, fontSize=7.5,
                                                                      leading=9.5)))
    unit_lines += [
        _p(f"ỦY BAN NHÂN DÂN\n{doc.unit_name.upper()}", ParagraphStyle("unit", s.center_bold, fontSize=8,
                                                                        leading=10)),
        _p("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", ParagraphStyle("office", s.center_bold, fontSize=7.5,
                                                              leading=9.5)),
        _rule(width="40%", thickness=0.5, space=2),
    ]
    qr_box = qr.side + 2 * DOT
    header = Table([[qr, unit_lines]], colWidths=[qr_box, width - qr_box], hAlign="LEFT")
    header.snap_to_dots = True  # the QR is its top-left cell: keep its modules on whole dots
    header.setStyle(_table_style([
        ("VALIGN", (0, 0), (0, 0), "TOP"), ("VALIGN", (1, 0), (1, 0), "MIDDLE"),
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]))

    received = clock.local(doc.received_at)  # the ward's calendar, whatever zone the caller's time is in
    parts: list[Flowable] = [
        header,
        Spacer(0, 2 * mm),
        _p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ParagraphStyle("motto", s.center_bold, fontSize=8.5)),
        _p("Độc lập - Tự do - Hạnh phúc", ParagraphStyle("motto2", s.center_bold, fontSize=8.5)),
        _rule(width="45%", thickness=0.5, space=1.5),
        _p(f"{doc.unit_name}, {_vi_date(received)}", ParagraphStyle("place", s.center, fontSize=7.5,
                                                                    leading=10)),
        Spacer(0, 2.5 * mm),
        _p("GIẤY TIẾP NHẬN HỒ SƠ\nVÀ HẸN TRẢ KẾT QUẢ", s.title),
        _p("Dossier receipt and appointment for results", s.center_en),
        Spacer(0, 1 * mm),
    ]
    if doc.provisional:
        parts += [
            _rich(f"Mã hồ sơ tạm: <b>{escape(doc.code)}</b>", s.center),
            _p(f"Provisional reference: {doc.code}", s.center_en),
        ]
        if doc.has_backend:
            note = [
                _p("Kiosk đang mất kết nối. Hồ sơ đã được lưu an toàn tại kiosk và sẽ được đồng bộ lên hệ "
                   "thống một cửa khi có kết nối; mã hồ sơ chính thức sẽ được cấp khi đồng bộ. Tra cứu "
                   "bằng mã tạm trên.", s.small),
                _p("The kiosk is offline. Your dossier is saved safely at the kiosk and will be synchronised "
                   "with the ward's system when the connection returns; the official dossier code is issued "
                   "then. Look it up with the provisional reference above.", s.en),
            ]
        else:
            note = [
                _p("Hồ sơ đã được ghi nhận tại kiosk này. Vui lòng mang giấy tiếp nhận này đến quầy; cán bộ "
                   "phường sẽ tiếp nhận và xử lý hồ sơ, cấp mã hồ sơ chính thức.", s.small),
                _p("Your dossier is recorded at this kiosk. Please bring this receipt to the counter; the "
                   "ward's officers will take in and process the dossier and give its official code.", s.en),
            ]
        sync = Table([[note]], colWidths=[width])
        sync.setStyle(_table_style([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 4),
                                  ("RIGHTPADDING", (0, 0), (-1, -1), 4)]))
        parts += [Spacer(0, 1.5 * mm), sync]
    else:
        parts += [
            _rich(f"Mã hồ sơ: <b>{escape(doc.code)}</b>", ParagraphStyle("code", s.center, fontSize=10,
                                                                         leading=13)),
            _p(f"Dossier code: {doc.code}", s.center_en),
        ]
    parts.append(_rule(space=3))

    def item(label_vi: str, label_en: str, value: str) -> list[Flowable]:
        return [_rich(f"{escape(label_vi)}: <b>{escape(value)}</b>", s.body), _p(label_en, s.en)]

    officer = doc.receiving_officer
    section = itertools.count(1)  # Mẫu 01 numbers its items; optional ones must not leave gaps
    parts += item("Bộ phận tiếp nhận", "Received by", f"{officer['vi']}"
                  + (f" ({doc.kiosk_id})" if doc.kiosk_id else ""))
    parts += item("Tiếp nhận hồ sơ của", "Applicant", doc.applicant_name)
    if doc.address:
        parts += item("Địa chỉ", "Address", doc.address)
    if doc.phone:
        parts += item("Số điện thoại", "Phone", doc.phone)
    parts += [
        _rich(f"Nội dung yêu cầu giải quyết: <b>{escape(doc.procedure_name.get('vi', ''))}</b>"
              f" (mã thủ tục {escape(doc.procedure_code)})", s.body),
        _p(f"Request: {doc.procedure_name.get('en', '')} (procedure {doc.procedure_code})", s.en),
        Spacer(0, 1.5 * mm),
        _rich(f"<b>{next(section)}. Thành phần hồ sơ nộp gồm:</b>", s.body),
        _p("Documents received:", s.en),
    ]
    if doc.documents:
        rows = [[_p("TT", s.small), _p("Tên giấy tờ\nDocument", s.small), _p("Bản chính/ bản sao",
                                                                                s.small),
                 _p("SL", s.small)]]
        for i, received_doc in enumerate(doc.documents, 1):
            kind_vi, kind_en = ("Bản chính", "original") if received_doc.kind == "original" else \
                ("Bản sao", "copy")
            if received_doc.electronic_pages:  # photographed at the kiosk: no paper for the counter
                n = received_doc.electronic_pages
                kind_vi, kind_en = f"Bản điện tử ({n} trang)", f"electronic ({n} page{'' if n == 1 else 's'})"
            rows.append([
                _p(str(i), s.small),
                [_p(received_doc.name.get("vi", ""), s.small), _p(received_doc.name.get("en", ""), s.en)],
                [_p(kind_vi, s.small), _p(kind_en, s.en)],
                _p(str(received_doc.count), s.small),
            ])
        table = Table(rows, colWidths=[5 * mm, width - 5 * mm - 15 * mm - 6 * mm, 15 * mm, 6 * mm],
                      repeatRows=0, hAlign="LEFT")
        table.setStyle(_table_style([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 1.5), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ]))
        parts += [Spacer(0, 1 * mm), table]
        photographed = [d for d in doc.documents if d.electronic_pages]
        if photographed:
            to_bring = [d for d in doc.documents if d.kind == "original" and not d.electronic_pages]
            parts += [Spacer(0, 1 * mm),
                      _p(f"Đã nhận bản điện tử (chụp tại kiosk): {len(photographed)} giấy tờ. Bản gốc cần mang "
                         f"đến quầy: {'; '.join(d.name.get('vi', '') for d in to_bring) or 'không có'}.", s.small),
                      _p(f"Received electronically (photographed at the kiosk): {len(photographed)} "
                         f"document{'' if len(photographed) == 1 else 's'}. Originals to bring to the counter: "
                         f"{'; '.join(d.name.get('en', '') for d in to_bring) or 'none'}.", s.en)]
    else:
        parts.append(_p("(không có giấy tờ kèm theo / no documents)", s.small))
    total = sum(d.count for d in doc.documents)
    parts += [
        Spacer(0, 1.5 * mm),
        _rich(f"<b>{next(section)}. Số lượng hồ sơ:</b> 01 bộ ({total} giấy tờ)", s.body),
        _p(f"Number of dossiers: 1 set ({total} document{'' if total == 1 else 's'})", s.en),
    ]
    if doc.fee is not None and doc.fee.total_vnd:
        parts += _fee_part(doc.fee, next(section), s)
    if doc.processing_time:
        parts += [
            _rich(f"<b>{next(section)}. Thời gian giải quyết hồ sơ theo quy định:</b> "
                  f"{escape(doc.processing_time.get('vi', ''))}", s.body),
            _p(f"Processing time by law: {doc.processing_time.get('en', '')}", s.en),
        ]
    parts += [
        _rich(f"<b>{next(section)}. Thời gian nhận hồ sơ:</b> {_vi_time(received)}", s.body),
        _p(f"Received at: {received:%H:%M}, {received:%d/%m/%Y}", s.en),
    ]
    appointment = doc.appointment_date
    if appointment is None and not doc.has_backend:
        parts += [
            _rich(f"<b>{next(section)}. Thời gian trả kết quả giải quyết hồ sơ:</b> cán bộ tại quầy sẽ hẹn khi "
                  "tiếp nhận hồ sơ", s.body),
            _p("Results due: given by the officer at the counter when the dossier is taken in", s.en),
        ]
    elif appointment is None:
        parts += [
            _rich(f"<b>{next(section)}. Thời gian trả kết quả giải quyết hồ sơ:</b> sẽ được thông báo khi hồ sơ được "
                  "đồng bộ lên hệ thống", s.body),
            _p("Results due: to be given once the dossier is synchronised", s.en),
        ]
    else:
        when_vi = _vi_time(appointment) if isinstance(appointment, datetime) else _vi_date(appointment)
        when_en = f"{appointment:%H:%M}, {appointment:%d/%m/%Y}" if isinstance(appointment, datetime) \
            else f"{appointment:%d/%m/%Y}"
        parts += [
            _rich(f"<b>{next(section)}. Thời gian trả kết quả giải quyết hồ sơ:</b> <b>{when_vi}</b>", s.body),
            _p(f"Results due: {when_en}", s.en),
        ]
    parts += [
        _rich(f"<b>{next(section)}. Đăng ký nhận kết quả tại:</b> Bộ phận tiếp nhận và trả kết quả, "
              f"{escape(doc.unit_name)}", s.body),
        _p(f"Collect the result at: the one-stop desk, {doc.unit_name}", s.en),
        Spacer(0, 3 * mm),
    ]
    sign_style = ParagraphStyle("sign", s.center_bold, fontSize=7.5, leading=9.5)
    note_style = ParagraphStyle("signnote", s.small, alignment=TA_CENTER, fontSize=6.5, leading=8)
    signatures = Table([
        [_p("NGƯỜI NỘP HỒ SƠ", sign_style), _p("NGƯỜI TIẾP NHẬN HỒ SƠ", sign_style)],
        [_p("(Ký và ghi rõ họ tên)\nApplicant", note_style), _p("(Ký và ghi rõ họ tên)\nReceived by",
                                                                  note_style)],
        [Spacer(0, 10 * mm), Spacer(0, 10 * mm)],
        [_p(doc.applicant_name, ParagraphStyle("signname", s.center_bold, fontSize=8)),
         _p(officer["vi"] + (f"\n{doc.kiosk_id}" if doc.kiosk_id else ""),
            ParagraphStyle("signkiosk", s.center_bold, fontSize=8))],
    ], colWidths=[width / 2, width / 2])
    signatures.setStyle(_table_style([("VALIGN", (0, 3), (-1, 3), "BOTTOM"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 1),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    parts += [
        signatures,
        _rule(dash=[2, 2], space=4),
        _p("Mang theo giấy này và giấy tờ tùy thân khi đến nhận kết quả. Quét mã QR để tra cứu hồ sơ.",
           ParagraphStyle("foot", s.small, alignment=TA_CENTER)),
        _p("Bring this receipt and your ID when you collect the result. Scan the QR code to track it.",
           ParagraphStyle("footen", s.en, alignment=TA_CENTER)),
    ]
    return _render(parts, Path(path), title=f"Giấy tiếp nhận hồ sơ {doc.code}")
