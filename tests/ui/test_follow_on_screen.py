"""The follow QR on the on-screen ticket, and the demo panel's "call next" (issue 23), through the real widgets
and the in-process backend simulator."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from kiosk.core.session import State


def _decoded(qr_label, tmp_path: Path) -> list[str]:
    """What a phone photographing the on-screen QR would read."""
    import zxingcpp
    from PIL import Image

    path = tmp_path / "qr.png"
    assert qr_label.pixmap().save(str(path))
    with Image.open(path) as image:
        return [r.text for r in zxingcpp.read_barcodes(image)]


def test_the_ticket_screen_shows_the_follow_qr_and_the_demo_panel_calls_it_to_a_counter(
        driver, kiosk, qtbot, tmp_path, monkeypatch):
    from kiosk.app import demo as demo_backend
    from kiosk.ui.demo import DEMO_COUNTER, DemoPanel

    driver.click("tile-number")
    driver.on(State.NUMBER)
    screen = kiosk.screens[State.NUMBER]
    driver.click(next(b for b, a in screen.area_buttons if a["id"] == "ho-tich"))
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000):
        driver.click("priority-none")
    ticket = screen.ticket
    assert ticket["follow_url"] and not ticket["offline"]
    follow_qr = driver.find("ticket-follow-qr")
    assert follow_qr.isVisible() and _decoded(follow_qr, tmp_path) == [ticket["follow_url"]]
    assert "Quét để theo dõi lượt" in driver.find("ticket-follow-caption").text()
    assert not driver.find("ticket-qr").isVisible()  # one QR at a time

    threads: list[str] = []
    real = demo_backend.call_next_ticket

    def spy(services, counter=3):
        threads.append(threading.current_thread().name)
        return real(services, counter)

    monkeypatch.setattr(demo_backend, "call_next_ticket", spy)
    panel = DemoPanel(kiosk)
    qtbot.addWidget(panel)
    panel.show()
    token = ticket["follow_url"].rsplit("/", 1)[1]
    sim = kiosk.services.simulator
    while not httpx.get(f"{sim.url}/api/v1/queue/status/{token}").json()["called"]:
        before = panel.status.text()
        qtbot.mouseClick(panel.findChild(QPushButton, "demo-call-next"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda b=before: panel.status.text() != b and "quầy" in panel.status.text(), timeout=10000)
    status = httpx.get(f"{sim.url}/api/v1/queue/status/{token}").json()
    assert (status["counter"], status["number"]) == (DEMO_COUNTER, ticket["number"])
    assert f"{ticket['number']} called to counter {DEMO_COUNTER}" in panel.status.text()
    assert threads and threading.main_thread().name not in threads  # the HTTP call ran on a worker
