"""The ESC/POS printer driver against the simulated ESC/POS printer, over real TCP on 127.0.0.1.

What prints is what the PDF says (compared with poppler's own rendering of the PDF at 203 dpi), the receipt's QR
reads back from the printed image, every fault gives the right status and message, and "no status reply" is
never "ok"."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from device.escpos import (
    ESCPOS_MESSAGES,
    EscposPrinter,
    parse_address,
    rasterise_pdf,
    status_from_replies,
)
from device.factory import make_printer
from device.printer import MESSAGES, STATUS_MESSAGES, CupsPrinter, PrinterError, PrintJobResult, PrintWorker
from device.sim.escpos import DEFAULT_MODEL, FAULT_NAMES, EscposSimulator
from device.sim.printer import SimPrinter
from kiosk.core.documents import ReceiptDoc, TicketDoc, render_receipt, render_ticket

DPI = 203
TIMEOUT = 1.0  # the status timeout the tests give the driver (the default: a loaded CI machine answers in time)
DOSSIER = "00073-261124-0001"
FOLLOW_URL = "https://hanhchinhcong.example.vn/xep-hang?phuong=00073&so=A012"


# --- documents and images ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docs")
    ticket = TicketDoc(ward_name="Phường Cửa Nam", service_area={"vi": "Hộ tịch", "en": "Civil status"},
                       number="A012", issued_at=datetime(2026, 11, 24, 9, 5), people_ahead=7,
                       follow_url=FOLLOW_URL, priority=False, kiosk_id="KIOSK-01", offline=False)
    receipt = ReceiptDoc(unit_name="Phường Cửa Nam", parent_unit="Thành phố Hà Nội",
                         procedure_name={"vi": "Đăng ký khai sinh", "en": "Birth registration"},
                         procedure_code="1.001193", applicant_name="Nguyễn Văn Thử",
                         received_at=datetime(2026, 11, 24, 9, 12), dossier_code=DOSSIER, phone="0912345678",
                         address="Số 12 phố Hàng Bài, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội",
                         documents=[{"name": {"vi": "Tờ khai đăng ký khai sinh", "en": "Birth registration form"},
                                     "kind": "original", "count": 1},
                                    {"name": {"vi": "Giấy chứng sinh", "en": "Birth certificate"},
                                     "kind": "original", "count": 1}],
                         appointment_date=date(2026, 11, 27),
                         processing_time={"vi": "03 ngày làm việc", "en": "3 working days"}, kiosk_id="KIOSK-01")
    return {"ticket": render_ticket(ticket, folder / "ticket.pdf").path,
            "receipt": render_receipt(receipt, folder / "receipt.pdf").path}


def black_of(png: Path) -> np.ndarray:
    image = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert image is not None, png
    return image < 128


def reference(pdf: Path, width: int = 576) -> np.ndarray:
    """The PDF rendered by another rasteriser at 203 dpi (poppler: anti-aliased grey, then "at least half a dot
    covered"), the head's window cut from the middle of the 80 mm page. Without poppler, PDFium's own page
    renderer (pypdfium2's render(), not the driver's explicit-matrix path)."""
    page_px = 80 / 25.4 * DPI
    left = round((page_px - width) / 2)
    if shutil.which("pdftoppm"):
        out = pdf.with_name(pdf.stem + "-ref")
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-singlefile", str(pdf), str(out)], check=True)
        grey = cv2.imread(str(out) + ".pgm", cv2.IMREAD_GRAYSCALE)
    else:
        import pypdfium2

        grey = pypdfium2.PdfDocument(str(pdf))[0].render(scale=DPI / 72, grayscale=True).to_numpy()
    return grey[:, left:left + width] < 128


def differences(printed: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(fraction of pixels that differ, fraction that differ with no match within one dot in the other image)."""
    rows = max(len(printed), len(expected))
    a = np.zeros((rows, printed.shape[1]), bool)
    b = np.zeros((rows, expected.shape[1]), bool)
    a[:len(printed)], b[:len(expected)] = printed, expected
    kernel = np.ones((3, 3), np.uint8)
    near_a = cv2.dilate(a.astype(np.uint8), kernel) > 0
    near_b = cv2.dilate(b.astype(np.uint8), kernel) > 0
    return float((a != b).mean()), float(((a & ~near_b) | (b & ~near_a)).mean())


def word_boxes(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, xmin, ymin, xmax, ymax) in PDF points from the top-left, by poppler's pdftotext."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(w, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]


def qr_module_dots(black: np.ndarray, result) -> int:
    """The QR's module size in dots, checking every run of its middle row is a whole number of modules."""
    pos = result.position
    y = (pos.top_left.y + pos.bottom_left.y) // 2 + 2
    x0, x1 = pos.top_left.x, pos.top_right.x
    row = black[y, x0 - 1:x1 + 2].astype(np.int8)
    runs = np.diff(np.flatnonzero(np.diff(row)))
    module = int(np.gcd.reduce(runs))
    assert module >= 2 and all(r % module == 0 for r in runs), runs
    return module


# --- the simulator and the printer ---------------------------------------------------------------------------

@pytest.fixture
def sim(tmp_path):
    simulator = EscposSimulator(tmp_path / "jobs").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def printer(sim) -> EscposPrinter:
    return EscposPrinter(sim.address, status_timeout_s=TIMEOUT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["ticket", "receipt"])
def test_a_document_prints_as_its_pdf_says(kind, documents, sim, printer):
    pdf = documents[kind]
    result = printer.print_pdf(pdf)

    assert isinstance(result, PrintJobResult) and result.printer == DEFAULT_MODEL
    assert len(sim.jobs) == 1 and sim.refused == []
    printed = black_of(sim.jobs[0])
    assert printed.shape[1] == 576
    expected = reference(pdf)
    assert abs(len(printed) - len(expected)) <= 1  # the page's height at 203 dpi
    raw, beyond_one_dot = differences(printed, expected)
    print(f"{kind}: {raw:.2%} of pixels differ from poppler's rendering, {beyond_one_dot:.3%} beyond one dot")
    # Measured (pypdfium2 5.15 / poppler 22.12): ticket 1.29% of pixels differ, receipt 2.20%; beyond one dot
    # 0.000% for both. The raw differences are glyph edges: the two rasterisers place anti-aliased text a
    # fraction of a dot apart (a tenth of the receipt's pixels are black); nothing is missing or moved.
    assert beyond_one_dot < 0.002
    assert raw < 0.04
    assert printed.mean() > 0.02  # not blank

    # The QR reads back from the printed image, its modules on whole dots.
    results = zxingcpp.read_barcodes(np.where(printed, 0, 255).astype(np.uint8))
    assert [r.text for r in results] == [DOSSIER if kind == "receipt" else FOLLOW_URL]
    assert qr_module_dots(printed, results[0]) >= 3

    # Vietnamese words are printed where the PDF has them, and look as poppler draws them.
    wanted = {"ticket": ["PHƯỜNG", "CỬA", "Hộ", "tịch", "A012"],
              "receipt": ["Nguyễn", "Thử", "TIẾP", "NHẬN", "HỒ", "SƠ", "Hàng", "Bài,"]}[kind]
    boxes = {w: (x0, y0, x1, y1) for w, x0, y0, x1, y1 in word_boxes(pdf)}
    scale = DPI / 72
    for word in wanted:
        x0, y0, x1, y1 = boxes[word]
        area = (slice(int(y0 * scale), int(y1 * scale) + 1), slice(int(x0 * scale) - 32, int(x1 * scale) - 31))
        ink = printed[area]
        assert ink.mean() > 0.08, f"{word!r} is blank on the printed {kind}"
        assert differences(ink, expected[area])[1] < 0.02, word


def test_the_model_comes_from_the_printer_and_a_ready_printer_says_so(sim, printer):
    assert printer.name == "ESC/POS"  # before it was asked
    status = printer.status()
    assert status.ok and status.state == "ready" and status.paper == "ok"
    assert status.message == STATUS_MESSAGES["ready"] and status.reasons == ()
    assert printer.model == printer.name == DEFAULT_MODEL


@pytest.mark.parametrize("width", [512, 384])
def test_a_narrower_head_gets_the_page_scaled_to_fit(width, documents, sim):
    # 512 and 384 dots cannot hold the 72 mm printable width: the PDF is rendered straight from its vectors at
    # the scale that fits it, so the receipt's QR still reads (its modules now 2-3 dots, no longer even).
    printer = EscposPrinter(sim.address, width_dots=width, status_timeout_s=TIMEOUT)
    printer.print_pdf(documents["receipt"])
    printed = black_of(sim.jobs[-1])
    assert printed.shape[1] == width
    page_rows = len(rasterise_pdf(documents["receipt"], 576))
    assert abs(len(printed) - page_rows * width / 576) <= 2  # scaled as a whole, not squeezed
    results = zxingcpp.read_barcodes(np.where(printed, 0, 255).astype(np.uint8))
    assert [r.text for r in results] == [DOSSIER]
    assert printed[:, :8].any() and printed[:, -8:].any(), "the printable width fills the head"


def test_paper_near_end_is_a_ready_printer_low_on_paper(sim, printer, documents):
    sim.set_fault("paper_near_end")
    status = printer.status()
    assert status.ok and status.state == "ready" and status.paper == "low"
    assert status.reasons == ("media-low-report",)
    assert status.message == STATUS_MESSAGES["paper_low"]
    printer.print_pdf(documents["ticket"])  # still prints
    assert len(sim.jobs) == 1


def test_paper_out_refuses_the_job_and_says_so(sim, printer, documents):
    sim.set_fault("paper_out")
    status = printer.status()
    assert not status.ok and status.state == "paper_out" and status.paper == "out"
    assert status.reasons == ("media-empty-error",) and status.message == STATUS_MESSAGES["paper_out"]
    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["ticket"], "Custom.80x120mm")
    err = caught.value
    assert err.code == "paper_out" and err.message == MESSAGES["paper_out"]
    assert err.path == documents["ticket"] and err.media == "Custom.80x120mm"
    assert sim.jobs == [] and sim.counts["bands"] == 0  # asked first: nothing was sent

    sim.refill()
    printer.print_pdf(documents["ticket"])
    assert len(sim.jobs) == 1 and printer.status().paper == "ok"


def test_paper_running_out_mid_job_reports_the_job_not_printed(sim, printer, documents):
    sim.set_fault("paper_out_mid_job")
    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["receipt"])
    assert caught.value.code == "paper_out"
    assert "not printed" in caught.value.detail
    assert sim.jobs == [] and sim.refused == ["paper out"]
    assert sim.counts["bands"] > sim.out_after_bands  # it ran out part-way through the job
    status = printer.status()
    assert status.state == "paper_out" and status.paper == "out"

    sim.refill()
    printer.print_pdf(documents["receipt"])
    assert len(sim.jobs) == 1


def test_cover_open_is_offline_and_says_why(sim, printer, documents):
    sim.set_fault("cover_open")
    status = printer.status()
    assert not status.ok and status.state == "offline"
    assert status.reasons == ("cover-open-error",)
    assert status.message == ESCPOS_MESSAGES["cover_open"]
    assert status.message["vi"] == "Nắp máy in đang mở."
    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["ticket"])
    assert caught.value.code == "offline" and caught.value.message == ESCPOS_MESSAGES["cover_open"]
    assert sim.jobs == []


def test_no_status_reply_is_not_responding_and_never_ok(sim, printer, documents):
    sim.set_fault("no_status_reply")
    began = time.monotonic()
    status = printer.status()
    took = time.monotonic() - began
    assert status.ok is False
    assert status.state == "offline" and status.paper == "unknown"
    assert status.reasons == ("not-responding",)
    assert status.message == ESCPOS_MESSAGES["not_responding"]
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 1.0  # one unanswered question, then it stops asking

    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["ticket"])
    assert caught.value.code == "offline" and "not responding" in caught.value.detail
    assert sim.counts["bands"] == 0 and sim.jobs == []
    assert sim.counts["status_replies"] == 0 and sim.counts["status_ignored"] >= 2
    assert printer.model == "ESC/POS"  # it never said who it is


def test_a_dropped_connection_fails_the_job_without_hanging(sim, printer, documents):
    sim.set_fault("drop_connection")
    began = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["receipt"])
    assert time.monotonic() - began < 5
    assert caught.value.code in ("offline", "job_failed")
    assert "not printed" in caught.value.detail
    assert sim.jobs == [] and sim.refused == ["connection dropped (simulated fault)"]

    sim.set_fault("drop_connection", False)
    printer.print_pdf(documents["receipt"])  # the next job reconnects
    assert len(sim.jobs) == 1


def test_a_printer_not_listening_is_not_found_at_once(documents):
    printer = EscposPrinter(f"tcp://127.0.0.1:{free_port()}", status_timeout_s=TIMEOUT)
    began = time.monotonic()
    status = printer.status()
    assert not status.ok and status.state in ("not_found", "offline")
    with pytest.raises(PrinterError) as caught:
        printer.print_pdf(documents["ticket"])
    assert caught.value.code in ("not_found", "offline") and caught.value.path == documents["ticket"]
    assert time.monotonic() - began < 2


def test_one_job_at_a_time(sim, printer, documents):
    outcomes: list[object] = []
    start = threading.Barrier(3)

    def job(kind: str) -> None:
        start.wait(5)
        outcomes.append(printer.print_pdf(documents[kind]))

    threads = [threading.Thread(target=job, args=(k,)) for k in ("ticket", "receipt")]
    for t in threads:
        t.start()
    start.wait(5)
    for t in threads:
        t.join(30)
    assert len(outcomes) == 2 and all(isinstance(o, PrintJobResult) for o in outcomes)
    assert len(sim.jobs) == 2 and sim.counts["max_open_connections"] == 1


def test_status_while_a_job_holds_the_printer_is_printing(sim, printer):
    with printer._lock:  # a job in progress
        status = printer.status()
    assert status.state == "printing" and status.ok
    assert sim.counts["connections"] == 0  # the job's connection is not disturbed


def test_the_print_worker_drives_it(sim, printer, documents):
    done = threading.Event()
    outcomes = []
    worker = PrintWorker(printer).start()
    worker.submit(documents["ticket"], None, lambda outcome: (outcomes.append(outcome), done.set()))
    assert done.wait(30)
    assert worker.stop()
    assert isinstance(outcomes[0], PrintJobResult) and len(sim.jobs) == 1


# --- status bytes, addresses, the factory -----------------------------------------------------------------------

def test_status_bits_follow_epsons_layout():
    ok = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
    assert status_from_replies(ok).state == "ready"
    assert status_from_replies({**ok, 4: 0x1E}).paper == "low"  # bits 2-3: roll near end
    out = status_from_replies({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E})  # offline, paper-end stop, roll end
    assert (out.state, out.paper, out.reasons) == ("paper_out", "out", ("media-empty-error",))
    assert status_from_replies({**ok, 4: 0x72}).state == "paper_out"  # the end sensor alone
    cover = status_from_replies({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12})
    assert (cover.state, cover.reasons) == ("offline", ("cover-open-error",))
    cutter = status_from_replies({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12})  # error; autocutter error
    assert (cutter.state, cutter.reasons) == ("offline", ("cutter-error",))
    assert cutter.message == ESCPOS_MESSAGES["printer_error"]
    assert status_from_replies({**ok, 2: 0x52}).reasons == ("other-error",)
    assert status_from_replies({**ok, 1: 0x1A}).reasons == ("offline-report",)
    for message in ESCPOS_MESSAGES.values():
        assert set(message) == {"vi", "en"} and message["vi"] != message["en"]


def test_addresses():
    tcp = parse_address("tcp://192.168.1.50:9100")
    assert (tcp.scheme, tcp.host, tcp.port) == ("tcp", "192.168.1.50", 9100)
    assert parse_address("tcp://printer.local").port == 9100
    serial = parse_address("serial:///dev/ttyUSB0?baud=19200")
    assert (serial.scheme, serial.device, serial.baud, serial.flow) == ("serial", "/dev/ttyUSB0", 19200, "dsrdtr")
    assert parse_address("serial://COM3?baud=9600&flow=none").device == "COM3"
    usb = parse_address("usb://04b8:0e28")
    assert (usb.scheme, usb.vendor, usb.product) == ("usb", 0x04B8, 0x0E28)
    for bad in ("lpt://1", "tcp://", "usb://epson", "serial://x?flow=carrier-pigeon", "9100"):
        with pytest.raises(ValueError):
            parse_address(bad)
    with pytest.raises(ValueError):
        EscposPrinter("tcp://127.0.0.1:9100", width_dots=500)


def test_serial_and_usb_printers_that_are_not_there_are_not_found(monkeypatch, documents):
    serial = EscposPrinter("serial:///dev/ttyESCPOS-missing?baud=19200", status_timeout_s=TIMEOUT)
    assert serial.status().state == "not_found"
    with pytest.raises(PrinterError) as caught:
        serial.print_pdf(documents["ticket"])
    assert caught.value.code == "not_found" and "ttyESCPOS-missing" in caught.value.detail
    # without the library: not found, and the detail says which library
    monkeypatch.setitem(sys.modules, "serial", None)
    with pytest.raises(PrinterError, match="pyserial is not installed"):
        serial.print_pdf(documents["ticket"])
    monkeypatch.setitem(sys.modules, "escpos.printer", None)
    usb = EscposPrinter("usb://04b8:0e28", status_timeout_s=TIMEOUT)
    with pytest.raises(PrinterError, match="python-escpos") as caught:
        usb.print_pdf(documents["ticket"])
    assert caught.value.code == "not_found"


def test_the_factory_makes_an_escpos_printer_by_kind(tmp_path):
    printer = make_printer(False, kind="escpos", address="tcp://127.0.0.1:9100", width_dots=512)
    assert isinstance(printer, EscposPrinter) and printer.width_dots == 512
    assert isinstance(make_printer(False, queue="kiosk"), CupsPrinter)  # today's default
    assert isinstance(make_printer(True, tmp_path / "spool", kind="escpos"), SimPrinter)
    with pytest.raises(ValueError):
        make_printer(False, kind="escpos")
    with pytest.raises(ValueError):
        make_printer(False, kind="zebra", queue="kiosk")


# --- the simulator's protocol -----------------------------------------------------------------------------------

def ask(sock: socket.socket, command: bytes, size: int) -> bytes:
    sock.sendall(command)
    reply = b""
    while len(reply) < size:
        chunk = sock.recv(size - len(reply))
        assert chunk, "the simulator closed the connection"
        reply += chunk
    return reply


def test_the_simulator_answers_status_bytes_and_its_identity(sim):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        assert ask(sock, b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04", 4) == bytes([0x12] * 4)
        assert ask(sock, b"\x1dI\x43", len(DEFAULT_MODEL) + 2) == b"_" + DEFAULT_MODEL.encode() + b"\x00"
        sim.set_fault("paper_near_end")
        assert ask(sock, b"\x10\x04\x04", 1) == b"\x1e"
        assert ask(sock, b"\x1dr\x01", 1) == b"\x03"  # GS r 1: near end, bit 4 clear
        sim.set_fault("paper_out")
        assert ask(sock, b"\x10\x04\x01\x10\x04\x02\x10\x04\x04", 3) == bytes([0x1A, 0x32, 0x7E])
        sim.refill()
        sim.set_fault("cover_open")
        assert ask(sock, b"\x10\x04\x01\x10\x04\x02", 2) == bytes([0x1A, 0x16])
    with pytest.raises(ValueError):
        sim.set_fault("on_fire")
    assert set(FAULT_NAMES) == {"paper_near_end", "paper_out", "paper_out_mid_job", "cover_open",
                                "no_status_reply", "drop_connection"}


def test_the_simulator_assembles_bands_and_feeds_into_one_image_at_the_cut(sim):
    band = np.zeros((8, 2), np.uint8)
    band[:, 0] = 0xFF  # the first 8 dots of each row black
    raster = b"\x1dv0\x00\x02\x00\x08\x00" + band.tobytes()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        # init, text (skipped: only raster prints), two bands, ESC d 2, ESC J 5, LF, cut with feed 3
        sock.sendall(b"\x1b@\x1ba\x01Xin ch\xe0o\n" + raster + raster + b"\x1bd\x02\x1bJ\x05\n\x1dVB\x03")
        assert sim.wait_for_jobs(1, timeout=5)
    printed = black_of(sim.jobs[0])
    assert printed.shape == (8 + 8 + 2 * 30 + 5 + 30 + 3, 16)
    assert printed[:16, :8].all() and not printed[:16, 8:].any() and not printed[16:].any()
    assert sim.jobs[0].name == "0001.png"
