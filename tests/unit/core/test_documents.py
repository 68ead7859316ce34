"""Tickets and receipts as printed: page size, QR read back at thermal resolution, Vietnamese text."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

import cv2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont

from kiosk.core.documents import (
    ReceiptDoc,
    ReceivedDocument,
    TicketDoc,
    render_receipt,
    render_ticket,
)
from kiosk.core.samples import TEST_CITIZENS

MM = 72 / 25.4
CITIZEN = TEST_CITIZENS[0]  # "Nguyễn Văn Thử"
DOCUMENTS = [
    {"name": {"vi": "Tờ khai đăng ký khai sinh", "en": "Birth registration form"}, "kind": "original",
     "count": 1},
    {"name": {"vi": "Giấy chứng sinh", "en": "Birth certificate from the hospital"}, "kind": "original",
     "count": 1},
    {"name": {"vi": "Giấy chứng nhận kết hôn của cha mẹ", "en": "Parents' marriage certificate"},
     "kind": "copy", "count": 2},
]


def make_ticket(**changes) -> TicketDoc:
    values = dict(ward_name="Phường Cửa Nam", service_area={"vi": "Hộ tịch", "en": "Civil status"},
                  number="A012", issued_at=datetime(2026, 11, 24, 9, 5), people_ahead=7,
                  follow_url="https://hanhchinhcong.example.vn/xep-hang?phuong=00073&so=A012",
                  priority=False, kiosk_id="KIOSK-01", offline=False)
    values.update(changes)
    return TicketDoc(**values)


def make_receipt(**changes) -> ReceiptDoc:
    values = dict(unit_name="Phường Cửa Nam", parent_unit="Thành phố Hà Nội",
                  procedure_name={"vi": "Đăng ký khai sinh", "en": "Birth registration"},
                  procedure_code="1.001193", applicant_name=CITIZEN["full_name"],
                  received_at=datetime(2026, 11, 24, 9, 12), dossier_code="00073-261124-0001",
                  phone="0912345678", address=CITIZEN["address"], documents=DOCUMENTS,
                  appointment_date=date(2026, 11, 27),
                  processing_time={"vi": "03 ngày làm việc", "en": "3 working days"}, kiosk_id="KIOSK-01")
    values.update(changes)
    return ReceiptDoc(**values)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return unicodedata.normalize("NFC", out.stdout.decode("utf-8"))


def flat(text: str) -> str:
    return " ".join(text.split())


def rasterise(path: Path, dpi: int = 203):
    """The PDF as a thermal printer would print it: grey pixels at 203 dpi, no anti-aliasing tricks."""
    out = path.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(path), str(out)],
                   check=True)
    image = cv2.imread(str(out) + ".png", cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def page_size(path: Path) -> tuple[float, float]:
    reader = PdfReader(str(path))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    return float(box.width), float(box.height)


def test_ticket_page_is_exactly_80_mm_wide_and_as_tall_as_its_content(tmp_path):
    rendered = render_ticket(make_ticket(), tmp_path / "ticket.pdf")
    without_qr = render_ticket(make_ticket(follow_url=None), tmp_path / "plain.pdf")

    width, height = page_size(rendered.path)
    assert width == pytest.approx(80 * MM, abs=0.01)  # 226.77 pt
    assert height == pytest.approx(rendered.height_mm * MM, abs=0.01)
    assert page_size(without_qr.path)[0] == pytest.approx(80 * MM, abs=0.01)
    # Fitted to content: no QR, shorter slip (a fixed page would waste roll paper).
    assert without_qr.height_mm < rendered.height_mm
    assert rendered.media == f"Custom.80x{int(rendered.height_mm)}mm"


def test_ticket_shows_number_people_ahead_time_and_a_qr_to_follow_the_queue(tmp_path):
    doc = make_ticket(priority=True)
    rendered = render_ticket(doc, tmp_path / "ticket.pdf")

    text = flat(pdf_text(rendered.path))
    for expected in ("PHƯỜNG CỬA NAM", "PHIẾU SỐ THỨ TỰ", "Queue ticket", "A012", "ƯU TIÊN",
                     "Số người chờ trước bạn: 7", "People ahead of you: 7", "09:05", "24/11/2026"):
        assert expected in text
    assert text.index("PHIẾU SỐ THỨ TỰ") < text.index("Queue ticket")  # Vietnamese first
    decoded = zxingcpp.read_barcodes(rasterise(rendered.path))
    assert [r.text for r in decoded] == [doc.follow_url]


def test_offline_ticket_says_the_number_is_local(tmp_path):
    rendered = render_ticket(make_ticket(number="L012", offline=True, people_ahead=None, follow_url=None),
                             tmp_path / "ticket.pdf")
    text = flat(pdf_text(rendered.path))
    assert "L012" in text
    assert "Số tạm cấp tại kiosk" in text and "Local number issued by the kiosk" in text
    assert "chưa xác định" in text
    assert zxingcpp.read_barcodes(rasterise(rendered.path)) == []


def test_receipt_qr_at_203_dpi_reads_back_the_dossier_code_from_the_top_left(tmp_path):
    rendered = render_receipt(make_receipt(), tmp_path / "receipt.pdf")
    image = rasterise(rendered.path, 203)

    # Made by the qrcode library, read by zxing-cpp (a different implementation).
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == ["00073-261124-0001"]
    pos = results[0].position
    xs = [p.x for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    ys = [p.y for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    height, width = image.shape
    assert max(xs) < width / 2, "the QR belongs at the top-left"
    assert max(ys) < 40 * 203 / 25.4, "the QR belongs at the top, within the first 40 mm"


def test_receipt_is_80_mm_wide_with_embedded_fonts_only(tmp_path):
    rendered = render_receipt(make_receipt(), tmp_path / "receipt.pdf")
    assert page_size(rendered.path)[0] == pytest.approx(80 * MM, abs=0.01)
    fonts = subprocess.run(["pdffonts", str(rendered.path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts found"
    for line in fonts:
        name, emb = line.split()[0], line.split()[-5]
        assert "NotoSans" in name and emb == "yes", line


def test_receipt_text_extracts_intact_in_vietnamese_then_english(tmp_path):
    rendered = render_receipt(make_receipt(), tmp_path / "receipt.pdf")
    text = flat(pdf_text(rendered.path))

    assert "giấy tiếp nhận hồ sơ và hẹn trả kết quả" in text.casefold()
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "ỦY BAN NHÂN DÂN PHƯỜNG CỬA NAM", "Mã hồ sơ: 00073-261124-0001",
                     "Tiếp nhận hồ sơ của: Nguyễn Văn Thử", "Đăng ký khai sinh", "1.001193",
                     "Giấy chứng nhận kết hôn của cha mẹ", "Bản chính", "Bản sao", "0912345678",
                     "Kiosk tự phục vụ", "09 giờ 12 phút, ngày 24 tháng 11 năm 2026",
                     "ngày 27 tháng 11 năm 2026", "03 ngày làm việc", "NGƯỜI NỘP HỒ SƠ",
                     "NGƯỜI TIẾP NHẬN HỒ SƠ"):
        assert expected in text, expected
    assert text.index("VÀ HẸN TRẢ KẾT QUẢ") < text.index("Dossier receipt and appointment for results")
    assert text.index("Tiếp nhận hồ sơ của") < text.index("Applicant")


def test_offline_receipt_carries_the_local_reference_and_says_it_will_be_synchronised(tmp_path):
    doc = make_receipt(dossier_code=None, local_ref="L-KIOSK-01-261124-0001", offline=True,
                       appointment_date=None)
    rendered = render_receipt(doc, tmp_path / "receipt.pdf")

    text = flat(pdf_text(rendered.path))
    assert "Mã hồ sơ tạm: L-KIOSK-01-261124-0001" in text
    assert "sẽ được đồng bộ" in text and "will be synchronised" in text
    assert "sẽ được thông báo khi hồ sơ được đồng bộ" in text  # no appointment date promised offline
    assert [r.text for r in zxingcpp.read_barcodes(rasterise(rendered.path))] == ["L-KIOSK-01-261124-0001"]


def test_receipt_numbers_its_items_without_gaps_when_optional_ones_are_missing(tmp_path):
    rendered = render_receipt(make_receipt(processing_time=None, phone="", address=""),
                              tmp_path / "receipt.pdf")
    text = flat(pdf_text(rendered.path))
    assert "3. Thời gian nhận hồ sơ" in text
    assert "5. Đăng ký nhận kết quả tại" in text
    assert "Số điện thoại" not in text and "6." not in text


def test_receipt_needs_a_code():
    with pytest.raises(ValueError, match="dossier_code or, offline, a local_ref"):
        make_receipt(dossier_code=None, local_ref=None)


def test_received_documents_come_from_the_procedure_definition():
    doc = make_receipt()
    assert doc.documents[2] == ReceivedDocument(
        name={"vi": "Giấy chứng nhận kết hôn của cha mẹ", "en": "Parents' marriage certificate"},
        kind="copy", count=2)


def test_packaged_font_covers_every_vietnamese_letter():
    letters = "ăâđêôơưĂÂĐÊÔƠƯ" + "".join(chr(c) for c in range(0x1EA0, 0x1EFA))
    letters += "".join(unicodedata.normalize("NFC", v + tone) for v in "aeiouyAEIOUY"
                       for tone in "\u0300\u0301\u0303\u0309\u0323")
    fonts = files("kiosk.assets.fonts")
    assert (fonts / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") == 1
    for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        cmap = TTFont(name, str(fonts / name)).face.charToGlyph
        missing = [ch for ch in letters if ord(ch) not in cmap]
        assert not missing, f"{name} lacks {missing}"


def test_a_long_ticket_number_shrinks_to_one_line_instead_of_wrapping(tmp_path):
    rendered = render_ticket(make_ticket(number="AB-12345"), tmp_path / "ticket.pdf")
    assert "AB-12345" in flat(pdf_text(rendered.path))
