"""Paper out, before and after (issue 16 item 1), and the right words on the look-up and done screens (item 6):
through the real widgets, the simulated printer (its faults and its paper count) and the in-process backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from device.sim.faults import FAULTS
from kiosk.core.samples import sample_payload
from kiosk.core.session import State
from kiosk.ui.maintenance import panel as maintenance


def _decoded(qr_label, tmp_path: Path) -> list[str]:
    """What a phone photographing the on-screen QR would read."""
    import zxingcpp
    from PIL import Image

    path = tmp_path / "on-screen-qr.png"
    assert qr_label.pixmap() is not None and not qr_label.pixmap().isNull()
    qr_label.pixmap().save(str(path))
    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


def _spooled(kiosk) -> set[Path]:
    return set(kiosk.services.printer.spool_dir.glob("*.pdf"))


def _take_a_number_with_no_paper(driver, kiosk, qtbot) -> str:
    FAULTS.set("printer", "paper_out", True)
    driver.click("tile-number")
    driver.on(State.NUMBER)
    driver.click(next(b for b, a in kiosk.screens[State.NUMBER].area_buttons if a["id"] == "ho-tich"))
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click("priority-none")
    assert printed.args == ["ticket", False]
    return driver.find("ticket-number").text()


def test_no_paper_is_said_before_the_last_tap_and_the_number_comes_large_with_a_qr(driver, kiosk, qtbot, tmp_path):
    FAULTS.set("printer", "paper_out", True)
    driver.click("tile-number")
    driver.on(State.NUMBER)
    driver.click(next(b for b, a in kiosk.screens[State.NUMBER].area_buttons if a["id"] == "ho-tich"))
    notice = driver.find("number-printer-notice")
    qtbot.waitUntil(notice.isVisible, timeout=10000)  # on the priority page, before the last tap
    assert "hết giấy" in notice.text() and "out of paper" in notice.text()
    assert "QR" in notice.text()
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click("priority-none")
    assert printed.args == ["ticket", False]
    screen = kiosk.screens[State.NUMBER]
    number = driver.find("ticket-number").text()
    assert number == screen.ticket["number"] and not screen.ticket["offline"]  # the counter has it (backend)
    qr = driver.find("ticket-qr")
    assert qr.isVisible() and any(number in text for text in _decoded(qr, tmp_path))
    error = screen.ticket_error.text()
    assert "Chưa in được vé" in error and "The ticket could not be printed" in error  # Vietnamese, then English
    assert "hồ sơ" not in error.lower() and "dossier" not in error.lower()  # a ticket has no dossier
    reprint = driver.find("ticket-reprint")
    assert reprint.isVisible() and not reprint.isEnabled()  # no paper yet
    before = _spooled(kiosk)
    FAULTS.set("printer", "paper_out", False)  # the officer puts a new roll in
    qtbot.waitUntil(reprint.isEnabled, timeout=10000)  # by itself: nobody touched the screen
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click(reprint)
    assert printed.args == ["ticket", True]
    assert [p for p in _spooled(kiosk) - before if number in p.name]
    assert not reprint.isVisible() and not qr.isVisible()
    assert "nhận vé" in screen.ticket_info.text()


def test_a_dossier_without_paper_shows_code_appointment_and_qr_and_prints_again_once_refilled(
        driver, kiosk, qtbot, tmp_path):
    FAULTS.set("printer", "paper_out", True)
    driver.birth_dossier_to_review(sample_payload(1))
    with qtbot.waitSignal(kiosk.submission.sig_finished, timeout=30000) as finished:
        driver.click("review-submit")
        driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
    driver.on(State.DONE)
    result = finished.args[0]
    code = result["dossier_code"]
    assert code and not result["printed"]
    assert driver.find("done-code").text() == code
    details = kiosk.screens[State.DONE].details.text()
    assert kiosk.session.data.appointment_date and kiosk.session.data.appointment_date in details
    assert "Chưa in được giấy tiếp nhận" in details and "đã được lưu" in details and "tại quầy" in details
    qr = driver.find("done-qr")
    assert qr.isVisible() and code in _decoded(qr, tmp_path)  # the receipt's QR, photographed off the screen
    reprint = driver.find("done-reprint")
    assert reprint.isVisible() and not reprint.isEnabled()
    ticket = kiosk.session.data.ticket_number  # the counter's ticket (originals) did not print either
    assert ticket
    before = _spooled(kiosk)
    FAULTS.set("printer", "paper_out", False)
    qtbot.waitUntil(reprint.isEnabled, timeout=10000)
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000, check_params_cb=lambda tag, ok: tag == "receipt"):
        driver.click(reprint)
    qtbot.waitUntil(lambda: any(ticket in p.name for p in _spooled(kiosk) - before), timeout=15000)
    assert [p for p in _spooled(kiosk) - before if "receipt" in p.name and code in p.name]
    assert not reprint.isVisible() and not qr.isVisible()
    assert "Vui lòng nhận giấy tiếp nhận" in kiosk.screens[State.DONE].details.text()


@pytest.fixture
def panel(kiosk, qtbot):
    kiosk.activateWindow()
    qtbot.waitUntil(kiosk.isActiveWindow)
    opened = maintenance.MaintenancePanel.ask(kiosk.ctx, lambda action: None)
    yield opened
    if opened.isVisible():
        opened.finish("close")


def _tap(qtbot, panel_, name: str) -> QPushButton:
    widget = panel_.findChild(QPushButton, name)
    assert widget is not None and widget.isVisible(), name
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    return widget


def test_maintenance_lists_the_failed_ticket_and_reprints_it_after_the_refill(driver, kiosk, qtbot, request):
    number = _take_a_number_with_no_paper(driver, kiosk, qtbot)
    driver.click("ticket-done")  # the citizen leaves: the session (and its "Print again") is gone
    driver.on(State.HOME)
    # then the technician opens maintenance (a finger cannot touch the kiosk's tiles under the open panel)
    panel = request.getfixturevalue("panel")
    _tap(qtbot, panel, "maint-print")
    page = panel.page("print")
    row = page.findChild(type(page.result), "maint-failed-0")
    assert row is not None and number in row.text() and "Vé" in row.text()
    reprint = page.findChild(QPushButton, "maint-reprint-0")
    assert reprint is not None and not reprint.isEnabled()  # still no paper
    before = _spooled(kiosk)
    FAULTS.set("printer", "paper_out", False)
    qtbot.waitUntil(lambda: (b := page.findChild(QPushButton, "maint-reprint-0")) is not None and b.isEnabled(),
                    timeout=10000)
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        qtbot.mouseClick(page.findChild(QPushButton, "maint-reprint-0"), Qt.MouseButton.LeftButton)
    assert printed.args == ["ticket", True]
    assert [p for p in _spooled(kiosk) - before if number in p.name]
    qtbot.waitUntil(lambda: all(number not in (w.text() if hasattr(w, "text") else "")
                                for w in page.findChildren(type(page.result)) if w.objectName().startswith(
                                    "maint-failed-")), timeout=5000)
    assert all(f.reference != number for f in kiosk.devices.failed_prints)


def test_paper_near_its_end_is_a_maintenance_warning(kiosk, qtbot, panel):
    printer = kiosk.services.printer
    printer.refill(3)  # three slips left: the simulated printer says "low" from five
    try:
        _tap(qtbot, panel, "maint-print")
        warning = panel.page("print").findChild(type(panel.page("print").result), "maint-print-paper-warning")
        assert warning is not None
        qtbot.waitUntil(warning.isVisible, timeout=10000)
        assert "sắp hết giấy" in warning.text() and "low on paper" in warning.text() and "3" in warning.text()
    finally:
        printer.refill()


# --- item 6: the right words on the look-up and done screens ----------------------------------------------

def test_a_failed_look_up_says_the_look_up_failed_not_that_a_dossier_was_saved(driver, kiosk, qtbot):
    from kiosk.backend.sim import FaultAction

    faults = kiosk.services.simulator.faults
    faults.script(*[FaultAction(status=504, path_prefix="/api/v1/dossiers/00073-") for _ in range(4)])
    try:
        driver.click("tile-lookup")
        driver.on(State.LOOKUP)
        with qtbot.waitSignal(kiosk.events.sig_lookup_done, timeout=30000) as done:
            driver.type_into("lookup-code", "00073-010101-0001")
            driver.click("lookup-search")
        assert done.args == [{}]
        error = kiosk.screens[State.LOOKUP].error.text()
        assert "Chưa tra cứu được hồ sơ" in error and "ask at the counter" in error
        assert "lưu" not in error and "gửi lại" not in error  # no dossier was being sent
    finally:
        faults.clear()


def test_the_done_screen_switches_to_the_official_code_when_the_dossier_synchronises(driver, kiosk, qtbot):
    simulator = kiosk.services.simulator
    simulator.pause()  # the provincial backend is unreachable while the citizen submits
    kiosk.submission.ack_wait_ms = 1500
    try:
        driver.birth_dossier_to_review(sample_payload(0))
        with qtbot.waitSignal(kiosk.submission.sig_finished, timeout=30000) as finished:
            driver.click("review-submit")
            driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
        driver.on(State.DONE)
        local_ref = finished.args[0]["local_ref"]
        code = driver.find("done-code")
        assert code.text() == local_ref
    finally:
        kiosk.submission.ack_wait_ms = 4000
        simulator.resume()
    kiosk.services.sender.wake()  # the network is back while the citizen still reads the screen
    qtbot.waitUntil(lambda: code.text().startswith("00073-"), timeout=30000)
    held = simulator.store.list_dossiers(local_ref)
    assert [d["dossier_code"] for d in held] == [code.text()]
    screen = kiosk.screens[State.DONE]
    assert "đã được tiếp nhận" in screen.heading.text()
    details = screen.details.text()
    assert "mất kết nối" not in details and kiosk.session.data.appointment_date in details


def test_the_demo_panels_refill_ends_paper_out_and_the_ticket_prints_again(driver, kiosk, qtbot):
    from kiosk.ui.demo import DemoPanel

    demo = DemoPanel(kiosk)
    qtbot.addWidget(demo)
    demo.show()
    demo.toggles["printer:paper_out"].click()  # a trainer shows paper out
    assert FAULTS.active("printer", "paper_out")
    number = _take_a_number_with_no_paper(driver, kiosk, qtbot)
    reprint = driver.find("ticket-reprint")
    assert not reprint.isEnabled()
    qtbot.mouseClick(demo.findChild(QPushButton, "demo-refill"), Qt.MouseButton.LeftButton)
    assert not demo.toggles["printer:paper_out"].isChecked()
    qtbot.waitUntil(reprint.isEnabled, timeout=10000)
    before = _spooled(kiosk)
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click(reprint)
    assert printed.args == ["ticket", True]
    assert [p for p in _spooled(kiosk) - before if number in p.name]
