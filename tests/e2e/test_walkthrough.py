"""`kiosk walkthrough --fast` as a subprocess: screens, an 80 mm ticket, a receipt whose QR scans back."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("walkthrough")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "walkthrough", "--out", str(out), "--fast",
         "--data-dir", str(out / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert str(out / "screens") in proc.stdout  # it says where to look
    return out


# the second dossier pays its fee by VietQR; keys_only: all four again with a keypad and a keyboard, no touch
JOURNEYS = ["number", "dossier", "dossier", "lookup", "rating", "keys_only"]


def test_journey_json_has_the_journeys(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    kinds = [j["kind"] for j in result["journeys"]]
    assert kinds == JOURNEYS
    for journey in result["journeys"]:
        assert set(journey) >= {"kind", "dossier_code", "local_ref", "ticket_number", "duration_ms", "rss_mb"}
        assert "applicant_name" not in journey  # a dossier is named by its code and local reference
        assert journey["duration_ms"] > 0 and journey["rss_mb"] > 0
    dossier = result["journeys"][1]
    assert dossier["dossier_code"].startswith("00073-") and dossier["local_ref"].startswith("L-KIOSK-01-")
    assert result["journeys"][0]["ticket_number"]
    assert set(result["ui_stall_ms"]) >= {"max", "p99"} and result["startup_ms"] > 0


def test_every_screen_was_saved(walkthrough: Path):
    names = {p.stem.split("-", 1)[1] for p in (walkthrough / "screens").glob("*.png")}
    assert {"home", "number-ticket", "procedure", "details-video", "consent", "identify-waiting",
            "form-prefilled", "form-keyboard", "ward", "review", "submitting", "done",
            "lookup-not-a-receipt", "lookup-result",
            "rating", "rating-thanks"} <= names


def test_the_fault_rounds_record_their_outcomes_and_screens(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    faults = {f["round"]: f for f in result["faults"]}
    camera = faults["camera_unplugged"]
    assert camera["outcome"] == "dossier_filed_by_typing" and not camera["card_read"]
    assert camera["local_ref"].startswith("L-KIOSK-01-")
    everything = faults["everything_down"]
    assert everything["outcome"] == "out_of_service_shown" and everything["tiles_offered"] == []
    assert {"printer:offline", "backend:offline", "outbox:damaged"} <= set(everything["cause"].split(","))
    assert everything["recovered"]
    names = {p.stem.split("-", 1)[1] for p in (walkthrough / "screens").glob("*.png")}
    assert {"fault-camera-identify", "fault-camera-done", "fault-all-home", "fault-all-recovered"} <= names
    assert [j["kind"] for j in result["journeys"]] == JOURNEYS


def test_with_no_paper_a_number_and_a_dossier_finish_on_screen_and_print_again_after_the_refill(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    paper = next(f for f in result["faults"] if f["round"] == "paper_out")
    assert paper["outcome"] == "ok"
    assert paper["ticket_on_screen"] and paper["receipt_on_screen"]
    names = {p.stem.split("-", 1)[1] for p in (walkthrough / "screens").glob("*.png")}
    assert {"fault-paper-number-notice", "fault-paper-number", "fault-paper-done"} <= names
    spool = walkthrough / "data" / "demo-printer-spool"  # what the (simulated) printer printed, after the refill
    assert [p for p in spool.glob("*.pdf") if f"-ticket-{paper['ticket_number']}-" in p.name] \
        == [spool / paper["ticket_reprinted"][0]]
    receipt = paper["receipt_reprinted"][0].split("-", 1)[1]  # NNNN-receipt-<code>-<time>-<seq>.pdf
    assert (walkthrough / "prints" / receipt).is_file()  # its PDF in DIR/prints
    assert paper["dossier_code"] in receipt or paper["local_ref"] in receipt
    assert [p for p in spool.glob("*.pdf") if receipt in p.name] == [spool / paper["receipt_reprinted"][0]]


def test_the_ticket_is_80_mm_wide(walkthrough: Path):
    from pypdf import PdfReader

    tickets = sorted((walkthrough / "prints").glob("ticket-*.pdf"))
    assert tickets
    for ticket in tickets:
        width_pt = float(PdfReader(ticket).pages[0].mediabox.width)
        assert width_pt / 72 * 25.4 == pytest.approx(80, abs=0.5)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_one_fee_is_paid_through_the_bank_and_one_left_to_the_counter(walkthrough: Path):
    """The walkthrough read each VietQR back off its screenshot; the receipts say paid and to pay."""
    import cemacqr
    import cv2
    import zxingcpp

    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    payments = {j["payment"]["how"]: j for j in result["journeys"] if "payment" in j}
    assert set(payments) == {"bank", "counter"}
    paid, counter = payments["bank"], payments["counter"]
    assert paid["procedure"] == "chung-thuc-ban-sao" and paid["payment"]["amount_vnd"] == 10_000  # 3 pages x 2
    assert paid["payment"]["receipt"] == "paid" and counter["payment"]["receipt"] == "to pay at the counter"
    # the screenshot itself, decoded again here and parsed by an independent EMVCo parser
    shot = cv2.imread(str(walkthrough / "screens" / paid["payment"]["screenshot"]), cv2.IMREAD_GRAYSCALE)
    text = next(b.text for b in zxingcpp.read_barcodes(shot) if b.text.startswith("000201"))
    qr = cemacqr.parse_payload(text)
    assert qr.crc_ok and qr.get("54") == "10000" and qr.get("53") == "704" and qr.get("58") == "VN"
    assert qr.get_in("62", "08") == paid["payment"]["qr"]["purpose"]
    assert paid["payment"]["reference"] in qr.get_in("62", "08")
    paid_text = _pdf_text(walkthrough / "prints" / paid["payment"]["receipt_file"])
    assert "ĐÃ THANH TOÁN" in paid_text and paid["payment"]["reference"] in paid_text and "10.000 đồng" in paid_text
    counter_text = _pdf_text(walkthrough / "prints" / counter["payment"]["receipt_file"])
    assert "CHƯA THANH TOÁN" in counter_text and "8.000 đồng" in counter_text


def test_the_keys_only_round_finishes_every_journey(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    keys = next(j for j in result["journeys"] if j["kind"] == "keys_only")
    assert keys["finished"] == ["number", "dossier", "lookup", "rating"] and keys["lookup_found"]
    assert keys["dossier_code"].startswith("00073-") and keys["ticket_number"]


def test_the_voice_transcript_has_every_screen_and_no_citizen(walkthrough: Path):
    """journey.json's "speech": what the voice said on each screen, in Vietnamese; no typed value kept."""
    from kiosk.core.samples import TEST_CITIZENS

    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    speech = result["speech"]
    # (a screen the walkthrough leaves before its phrase starts, the consent, is interrupted, as for a citizen)
    assert {"number", "procedure", "details", "identify", "form", "ward", "review", "payment", "done", "lookup",
            "rating"} <= {p["screen"] for p in speech}
    said = "\n".join(p["text"] for p in speech)
    assert "Lấy số thứ tự" in said and "Thanh toán lệ phí" in said  # titles, as the header shows them
    for citizen in TEST_CITIZENS:
        assert citizen["full_name"] not in said and citizen["id_number"] not in said


def test_the_receipt_qr_at_203_dpi_scans_back_to_the_dossier_code(walkthrough: Path, tmp_path: Path):
    import zxingcpp
    from PIL import Image

    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    code = result["journeys"][1]["dossier_code"]
    receipts = sorted((walkthrough / "prints").glob(f"receipt-{code}-*.pdf"))  # the fault rounds file one more
    assert len(receipts) == 1
    subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(receipts[0]),
                    str(tmp_path / "receipt")], check=True, timeout=60)
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "receipt.png"))]
    assert code in decoded


def test_the_receipt_text_extracts_as_vietnamese(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    receipt = sorted((walkthrough / "prints").glob(f"receipt-{result['journeys'][1]['dossier_code']}-*.pdf"))[0]
    text = _pdf_text(receipt)
    assert "Nguyễn Văn Thử" in text
    assert "Đăng ký khai sinh" in text
    assert "hồ sơ" in text.lower()


def _without_diacritics(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _personal_forms() -> dict[str, str]:
    """Every way a test citizen's name, birth date, phone or address could be written, and whose it is."""
    from kiosk.core.samples import TEST_CITIZENS, TEST_PHONE

    forms: dict[str, str] = {TEST_PHONE: "phone", TEST_PHONE[1:]: "phone"}
    for citizen in TEST_CITIZENS:
        dob = citizen["date_of_birth"]
        for what, text in [("name", citizen["full_name"]), ("address", citizen["address"]),
                           ("address", citizen["address"].split(",")[0])]:
            for variant in {text, unicodedata.normalize("NFD", text), _without_diacritics(text)}:
                forms[variant] = what
                forms[json.dumps(variant)[1:-1]] = what  # JSON with \uXXXX escapes
                forms[quote(variant)] = what  # in a URL
        for text in (dob.isoformat(), dob.strftime("%d/%m/%Y"), dob.strftime("%d%m%Y"), dob.strftime("%d-%m-%Y")):
            forms[text] = "birth date"
    return forms


def test_no_file_under_the_data_directory_holds_a_test_citizens_data(walkthrough: Path):
    data = walkthrough / "data"
    # The outbox is encrypted and the print spool is the (simulated) printer's; everything else the kiosk
    # keeps -- logs, journey.json, heartbeat, exports, crash files, caches, databases -- must hold none of it.
    excluded = {data / "demo-printer-spool"}
    files = [f for f in data.rglob("*") if f.is_file() and not f.name.startswith("outbox.sqlite3")
             and not any(d in f.parents for d in excluded)]
    files.append(walkthrough / "journey.json")
    assert len(files) > 2 and any(f.name == "kiosk.jsonl" for f in files)
    forms = _personal_forms()
    found = []
    for path in files:
        raw = path.read_bytes()
        for form, what in forms.items():
            for encoded in {form.encode("utf-8"), form.encode("utf-16-le")}:
                if encoded.lower() in raw.lower():
                    found.append(f"{path.relative_to(walkthrough)}: {what} {form!r}")
    assert not found, "\n".join(sorted(set(found)))
    log = (data / "logs" / "kiosk.jsonl").read_text(encoding="utf-8")
    assert "001099012345" not in log


def test_with_the_backend_silent_the_citizen_still_gets_a_local_number(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))
    silent = next(f for f in result["faults"] if f["round"] == "backend_silent")
    assert silent["outcome"] == "number" and silent["offline"] and silent["ticket_number"].startswith("L01-")
    assert silent["time_to_number_ms"] > 0  # the figure itself is read, not asserted (benchmarks/README.md)
    assert list((walkthrough / "screens").glob("*-fault-backend-silent-ticket.png"))
