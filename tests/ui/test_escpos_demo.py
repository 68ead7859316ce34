"""`kiosk demo --printer escpos-sim`: the kiosk prints through the real ESC/POS driver to the protocol simulator;
what the printer made (a PNG per job) carries the ticket's number and QR, and its paper sensor reaches the screen."""

from __future__ import annotations

import pytest

from kiosk.core.session import State

from .driver import Driver


@pytest.fixture()
def escpos_kiosk(qapp, qtbot, tmp_path):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15}, sim_printer="escpos")
    window = build_window(settings, tmp_path / "data", prints_dir=tmp_path / "prints", autoplay_video=False,
                          start_simulator=True, thanks_ms=300, ack_wait_ms=4000)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitUntil(lambda: window.warmed_up, timeout=60000)
    yield window
    close_window(window)


def _take_a_number(driver, window) -> str:
    screen = driver.take_number()
    driver.qtbot.waitUntil(lambda: screen.print_state in ("printed", "print_failed", "failed"), timeout=30000)
    return screen.print_state


def test_a_ticket_prints_through_the_escpos_driver_and_its_png_carries_the_follow_qr(escpos_kiosk, qtbot):
    import zxingcpp
    from PIL import Image

    window = escpos_kiosk
    sim = window.services.escpos_sim
    assert sim is not None and type(window.services.printer).__name__ == "EscposPrinter"
    driver = Driver(window, qtbot)
    assert _take_a_number(driver, window) == "printed"
    qtbot.waitUntil(lambda: len(sim.jobs) == 1, timeout=10000)
    png = Image.open(sim.jobs[0])
    assert png.width == 576  # the 80 mm head's dots
    ticket = window.screens[State.NUMBER].ticket
    decoded = [r.text for r in zxingcpp.read_barcodes(png)]
    assert ticket["follow_url"] in decoded  # the QR printed on whole dots reads back from what the head made


def test_the_escpos_printer_out_of_paper_is_told_before_the_last_tap(escpos_kiosk, qtbot):
    window = escpos_kiosk
    sim = window.services.escpos_sim
    sim.set_fault("paper_out", True)  # the printer's own paper sensor, asked with DLE EOT
    try:
        driver = Driver(window, qtbot)
        driver.click("tile-number")
        driver.on(State.NUMBER)
        area = next(b for b, a in window.screens[State.NUMBER].area_buttons if a["id"] == "ho-tich")
        driver.click(area)
        notice = driver.find("number-printer-notice")
        qtbot.waitUntil(notice.isVisible, timeout=10000)
        assert "hết giấy" in notice.text() and "out of paper" in notice.text()
        driver.click("priority-none")
        screen = window.screens[State.NUMBER]
        qtbot.waitUntil(lambda: screen.print_state in ("printed", "print_failed", "failed"), timeout=30000)
        assert screen.print_state == "print_failed" and not sim.jobs  # nothing printed, the number on screen
        assert driver.find("ticket-qr").isVisible()
    finally:
        sim.refill()
