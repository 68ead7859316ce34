"""Paying a dossier's fee at the kiosk by VietQR (issue 22), through the widgets: the QR read back off the
screen as a phone's camera would and parsed by an independent EMVCo parser (cemacqr), the simulated bank's
transfer, the counter as the way out, and every way the payment can fail leaving the dossier filed once
with a receipt that says the fee is still to pay."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.core.samples import sample_payload
from kiosk.core.session import State
from kiosk.tools.walkthrough.common import type_keys

CERTIFIED_COPY = "chung-thuc-ban-sao"
#: Where the kiosk asks for a dossier's payment order: POST /api/v1/dossiers/{code}/payment (the dossier
#: itself is posted to /api/v1/dossiers, which this prefix does not match).
PAYMENT_PATH = "/api/v1/dossiers/00073-"


# --- helpers -----------------------------------------------------------------------------------------

def _set_number(driver, kiosk, name: str, value: str) -> None:
    """Touch a number field that starts at "1", rub it out and type ``value`` on the on-screen keys."""
    field = driver.find(name)
    driver.type_into(name, "")
    for _ in range(len(field.text())):
        driver.key("backspace")
    assert field.text() == ""
    type_keys(kiosk.keyboard, value, driver.key)
    assert field.text() == value


def _to_review(driver, kiosk, qtbot) -> None:
    """From the form to the review, through the ward screen the app shows for every dossier."""
    driver.click("form-next")
    driver.on(State.WARD)
    ward = kiosk.screens[State.WARD]
    qtbot.waitUntil(lambda: not ward._suggest_pending, timeout=90000)
    driver.click("ward-next")
    driver.on(State.REVIEW)


def _certified_copy_to_review(driver, kiosk, qtbot) -> None:
    """A certified copy of a 3-page paper in 2 copies, the applicant read from the ID card: the review."""
    driver.start_dossier(CERTIFIED_COPY)
    kiosk.services.sim_camera.present_card(sample_payload(0))
    try:
        driver.on(State.FORM, timeout=20000)
    finally:
        kiosk.services.sim_camera.remove_card()
    driver.type_into("field-document_name", "Bằng tốt nghiệp đại học")
    _set_number(driver, kiosk, "field-pages", "3")
    _set_number(driver, kiosk, "field-copies", "2")
    driver.key("hide")
    driver.click("field-declaration_true")
    values = kiosk.screens[State.FORM].page.values()
    assert (values["document_name"], values["pages"], values["copies"]) == ("Bằng tốt nghiệp đại học", "3", "2")
    _to_review(driver, kiosk, qtbot)


def _birth_to_review(driver, kiosk, qtbot, copies: str | None = None) -> None:
    """A birth registered on time (no registration fee); ``copies`` extracts (8,000 đồng each; default 1)."""
    driver.to_form(sample_payload(0))
    driver.fill_birth_form()
    if copies is not None:
        _set_number(driver, kiosk, "field-copies", copies)
        driver.key("hide")
    _to_review(driver, kiosk, qtbot)


def _on_payment_screen(kiosk, qtbot) -> Any:
    qtbot.waitUntil(lambda: kiosk.session.state == State.PAYMENT
                    and kiosk.stack.currentWidget() is kiosk.screens[State.PAYMENT], timeout=30000)
    screen = kiosk.screens[State.PAYMENT]
    qtbot.waitUntil(lambda: screen.qr.pixmap() is not None and not screen.qr.pixmap().isNull())
    return screen


def _qr_on_screen(widget) -> str:
    """The QR widget as it is painted, read by zxing-cpp: what a phone's camera would get."""
    import numpy as np
    import zxingcpp
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    pixels = rows.reshape(image.height(), image.bytesPerLine())[:, : image.width()].copy()
    found = [b.text for b in zxingcpp.read_barcodes(pixels) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1, f"{len(found)} QR codes read off the payment screen"
    return found[0]


def _receipt_text(path: str | None) -> str:
    from pypdf import PdfReader

    assert path, "no receipt rendered"
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


class _Finished:
    """The submission's sig_finished results, collected for the length of a test."""

    def __init__(self, kiosk) -> None:
        self.kiosk = kiosk
        self.results: list[dict] = []

    def __enter__(self) -> _Finished:
        self.kiosk.submission.sig_finished.connect(self.results.append)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kiosk.submission.sig_finished.disconnect(self.results.append)


@pytest.fixture
def screens_seen(kiosk):
    """Every screen shown while the test runs, in order (the window's sig_screen_changed)."""
    seen: list[str] = []
    kiosk.sig_screen_changed.connect(seen.append)
    yield seen
    kiosk.sig_screen_changed.disconnect(seen.append)


@pytest.fixture
def payment_requests(kiosk, monkeypatch):
    """The simulator's payment orders as it makes them, one per POST .../payment it answers."""
    store = kiosk.services.simulator.store
    original = store.request_payment
    made: list[dict] = []

    def spy(dossier_code: str, body: dict) -> tuple[int, dict]:
        status, order = original(dossier_code, body)
        made.append(order)
        return status, order

    monkeypatch.setattr(store, "request_payment", spy)
    return made


def _no_traceback_on_screen(driver) -> None:
    shown = "\n".join(driver.texts())
    for trace in ("Traceback", "PaymentRefused", "ValueError", "Exception", "BackendError", "503"):
        assert trace not in shown, f"{trace!r} on screen"


def _fee_went_to_the_counter(driver, kiosk, qtbot, finished: _Finished, amount_text: str) -> dict:
    """The done screen with the fee to the counter, and the receipt saying it is not paid: the result."""
    qtbot.waitUntil(lambda: bool(finished.results), timeout=30000)
    driver.on(State.DONE)
    result = finished.results[-1]
    assert result["printed"]
    details = kiosk.screens[State.DONE].details.text()
    # the fee line says why the kiosk could not take it, and where to pay
    assert f"Lệ phí {amount_text}: " in details and "tại quầy" in details
    assert "đã thanh toán" not in details
    receipt = _receipt_text(result["receipt_path"])
    assert "CHƯA THANH TOÁN" in receipt and "ĐÃ THANH TOÁN" not in receipt
    assert amount_text in receipt
    assert kiosk.session.data.paid_at is None
    return result


# --- 1. paid by VietQR through the simulated bank ---------------------------------------------------

def test_a_certified_copy_is_paid_by_scanning_the_vietqr_and_the_receipt_says_paid(driver, kiosk, qtbot):
    """3 pages x 2 copies costs 10.000 đồng on the review; the QR on screen is a NAPAS transfer of exactly that
    to the ward's account, a bank app's checksum refuses a tampered copy; once the bank's transfer arrives
    the kiosk moves on by itself and the receipt says paid, with the transaction reference."""
    import cemacqr

    from kiosk.app.demo import citizen_paid
    from kiosk.backend.sim.store import PAYMENT_BENEFICIARY

    _certified_copy_to_review(driver, kiosk, qtbot)
    assert "10.000 đồng" in driver.find("review-summary").toPlainText()
    assert driver.find("header-home").isVisible()  # before the dossier is filed, home is always there
    with _Finished(kiosk) as finished:
        driver.click("review-submit")
        screen = _on_payment_screen(kiosk, qtbot)
        order = kiosk.session.data.payment
        # the dossier is filed, the receipt not yet printed: no way home, no way back
        assert not driver.find("header-home").isVisible()
        assert not driver.find("header-back").isVisible()
        assert driver.find("payment-counter").isVisible()

        decoded = _qr_on_screen(driver.find("payment-qr"))
        assert decoded == screen.qr.property("qr_payload")
        qr = cemacqr.parse_payload(decoded)
        beneficiary = cemacqr.parse_tlv(qr.get_in("38", "01"))
        by_tag = {item.tag: item.value for item in beneficiary}
        assert by_tag == {"00": PAYMENT_BENEFICIARY["bank_bin"], "01": PAYMENT_BENEFICIARY["account_number"]}
        assert qr.get("00") == "01" and qr.point_of_initiation == "12"  # one payment, its amount fixed
        assert qr.get_in("38", "00") == "A000000727" and qr.get_in("38", "02") == "QRIBFTTA"
        assert (qr.amount, qr.currency, qr.country_code) == ("10000", "704", "VN")
        assert qr.get_in("62", "08") == order.purpose and order.reference in order.purpose
        assert qr.crc_ok
        # one digit of the amount changed, the checksum kept: a banking app refuses the code
        tampered = decoded.replace("540510000", "540590000", 1)
        assert tampered != decoded
        assert cemacqr.parse_payload(tampered).amount == "90000"
        assert not cemacqr.parse_payload(tampered).crc_ok

        assert driver.find("payment-amount").text() == "10.000 đồng"
        assert "Mười nghìn đồng" in driver.find("payment-words").text()
        payee = driver.find("payment-payee").text()
        assert PAYMENT_BENEFICIARY["account_number"] in payee and order.purpose in payee
        assert kiosk.session.state == State.PAYMENT and not finished.results  # nothing printed before paying

        paid = citizen_paid(kiosk.services, order.reference)  # the citizen's bank app sends the transfer
        assert paid["status"] == "paid" and paid["reference"] == order.reference
        qtbot.waitUntil(lambda: kiosk.session.state == State.DONE, timeout=30000)
        qtbot.waitUntil(lambda: bool(finished.results), timeout=30000)
    driver.on(State.DONE)
    assert screen.outcome == "paid" and kiosk.session.data.paid_at is not None
    result = finished.results[-1]
    assert result["printed"]
    receipt = _receipt_text(result["receipt_path"])
    assert "ĐÃ THANH TOÁN" in receipt and "CHƯA THANH TOÁN" not in receipt
    assert order.reference in receipt and "10.000 đồng" in receipt
    details = kiosk.screens[State.DONE].details.text()
    assert "Lệ phí 10.000 đồng: đã thanh toán" in details
    assert "✓" in driver.find("submit-step-pay").text()


# --- 2. the citizen chooses the counter -------------------------------------------------------------

def test_pay_at_the_counter_prints_a_receipt_saying_not_paid_and_the_order_stays_pending(driver, kiosk, qtbot):
    store = kiosk.services.simulator.store
    _birth_to_review(driver, kiosk, qtbot)
    assert "8.000 đồng" in driver.find("review-summary").toPlainText()
    with _Finished(kiosk) as finished:
        driver.click("review-submit")
        screen = _on_payment_screen(kiosk, qtbot)
        order = kiosk.session.data.payment
        assert not driver.find("header-home").isVisible()
        assert driver.find("payment-amount").text() == "8.000 đồng"
        assert "Tám nghìn đồng" in driver.find("payment-words").text()
        driver.click("payment-counter")
        result = _fee_went_to_the_counter(driver, kiosk, qtbot, finished, "8.000 đồng")
    assert screen.outcome == "counter"
    assert "Lệ phí" in _receipt_text(result["receipt_path"])
    state = store.payment_state(order.reference)
    assert state is not None and state["status"] == "pending" and "paid_at" not in state
    assert [d["dossier_code"] for d in store.list_dossiers(result["local_ref"])] == [order.dossier_code]


# --- 3. an answer off the contract ------------------------------------------------------------------

@pytest.mark.parametrize("breach", ["bank_bin", "amount"])
def test_a_payment_answer_off_the_contract_sends_the_fee_to_the_counter_without_a_qr(
        driver, kiosk, qtbot, monkeypatch, screens_seen, breach):
    """A backend naming a bank that is no NAPAS BIN, or asking another amount than the review showed: the
    citizen never sees a QR, the dossier is filed once, and the receipt says to pay at the counter."""
    store = kiosk.services.simulator.store
    original = store.request_payment
    answered: list[dict] = []

    def off_the_contract(dossier_code: str, body: dict) -> tuple[int, dict]:
        status, order = original(dossier_code, body)
        if breach == "bank_bin":
            order["beneficiary"] = {**order["beneficiary"], "bank_bin": "12AB"}
        else:
            order["amount_vnd"] = order["amount_vnd"] + 1000
        answered.append(order)
        return status, order

    monkeypatch.setattr(store, "request_payment", off_the_contract)
    _certified_copy_to_review(driver, kiosk, qtbot)
    with _Finished(kiosk) as finished:
        driver.click("review-submit")
        result = _fee_went_to_the_counter(driver, kiosk, qtbot, finished, "10.000 đồng")
    assert answered, "the kiosk never asked the backend for a payment order"
    assert State.PAYMENT.value not in screens_seen
    assert screens_seen[-2:] == [State.SUBMITTING.value, State.DONE.value]
    assert kiosk.session.data.payment is None
    assert len(store.list_dossiers(result["local_ref"])) == 1
    assert "nộp tại quầy" in driver.find("submit-step-pay").text()
    _no_traceback_on_screen(driver)


# --- 4. the backend down when the kiosk asks what to pay --------------------------------------------

@pytest.mark.parametrize("fault", ["503", "dropped"])
def test_the_backend_down_at_payment_time_sends_the_fee_to_the_counter_and_loses_nothing(
        driver, kiosk, qtbot, screens_seen, fault):
    from kiosk.backend.sim import FaultAction

    store = kiosk.services.simulator.store
    faults = kiosk.services.simulator.faults
    action = (FaultAction(status=503, path_prefix=PAYMENT_PATH, sticky=True) if fault == "503"
              else FaultAction(drop="before", path_prefix=PAYMENT_PATH, sticky=True))
    _certified_copy_to_review(driver, kiosk, qtbot)
    faults.script(action)
    try:
        with _Finished(kiosk) as finished:
            driver.click("review-submit")
            result = _fee_went_to_the_counter(driver, kiosk, qtbot, finished, "10.000 đồng")
    finally:
        faults.clear()
    assert State.PAYMENT.value not in screens_seen
    code = result["dossier_code"]
    assert code and driver.find("done-code").text() == code  # acknowledged: the official code
    assert [d["dossier_code"] for d in store.list_dossiers(result["local_ref"])] == [code]
    assert "nộp tại quầy" in driver.find("submit-step-pay").text()
    _no_traceback_on_screen(driver)


# --- 5. a free dossier ------------------------------------------------------------------------------

def test_a_free_dossier_goes_straight_to_done_and_its_receipt_has_no_fee(driver, kiosk, qtbot, screens_seen,
                                                                       payment_requests):
    """A birth registered on time with no extra extract costs nothing: no payment screen, nothing asked of
    the backend's bank, no "Lệ phí" on the receipt."""
    _birth_to_review(driver, kiosk, qtbot, copies="0")
    assert kiosk.screens[State.FORM].page.values()["copies"] == "0"
    with _Finished(kiosk) as finished:
        driver.click("review-submit")
        qtbot.waitUntil(lambda: bool(finished.results), timeout=30000)
    driver.on(State.DONE)
    result = finished.results[-1]
    assert result["printed"] and result["dossier_code"]
    assert State.PAYMENT.value not in screens_seen
    assert screens_seen[-2:] == [State.SUBMITTING.value, State.DONE.value]
    assert payment_requests == []
    assert not driver.find("submit-step-pay").text().startswith("→")
    receipt = _receipt_text(result["receipt_path"])
    assert "Lệ phí" not in receipt and "THANH TOÁN" not in receipt
    assert "Lệ phí" not in kiosk.screens[State.DONE].details.text()
