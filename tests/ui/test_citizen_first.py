"""A citizen never waits behind the kiosk's own chores, nor longer than the citizen deadline.

The backend here is a real socket that accepts every request and never answers (a network that
drops packets after the handshake): the heartbeat hangs on it, and so does the ticket request."""

from __future__ import annotations

from helpers.backend import TOKEN, RawServer

from kiosk.core.session import State

from .driver import Driver


def test_with_a_backend_that_never_answers_a_number_comes_from_the_local_range(qapp, qtbot, tmp_path):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    with RawServer(lambda conn, server: server.stop.wait()) as silent:
        settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15}, backend_url=silent.url,
                                 backend_token=TOKEN)
        window = build_window(settings, tmp_path, prints_dir=tmp_path / "prints", autoplay_video=False,
                              start_simulator=False, thanks_ms=300)
        try:
            window.setFixedSize(1920, 1080)
            window.show()
            qtbot.waitUntil(lambda: silent.connections >= 1, timeout=10000)  # the start-up heartbeat hangs
            window.send_heartbeat()  # and another one
            driver = Driver(window, qtbot)
            driver.click("tile-number")
            area = next(b for b, a in window.screens[State.NUMBER].area_buttons if a["id"] == "ho-tich")
            driver.click(area)
            driver.click("priority-none")
            # the heartbeat's 10 s connect timeout and retry held this for 21 s; the citizen deadline is 3 s
            qtbot.waitUntil(lambda: driver.find("ticket-number").text().startswith("L01-"), timeout=8000)
        finally:
            close_window(window)
