"""Everything down: each home tile is offered only when its journey can finish; when none can, the home
screen says the kiosk is out of service and points to the counter; the diagnostics and the heartbeat name
the cause; and it all comes back by itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from device.sim.faults import FAULTS
from kiosk.backend.outbox import DB_NAME
from kiosk.core.session import State

from .driver import Driver

OUT_OF_SERVICE_VI = "Kiosk tạm ngừng phục vụ. Vui lòng đến quầy tiếp nhận."
OUT_OF_SERVICE_EN = "The kiosk is out of service. Please go to the reception counter."


@pytest.fixture(scope="module")
def build(qapp, tmp_path_factory: pytest.TempPathFactory):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    data = tmp_path_factory.mktemp("out-of-service")
    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15})
    window = build_window(settings, data, prints_dir=data / "prints", autoplay_video=False,
                          start_simulator=True, thanks_ms=300)
    window.setFixedSize(1920, 1080)
    window.show()
    yield window, Path(data)
    close_window(window)
    window.deleteLater()


@pytest.fixture
def kiosk_down(build, qtbot):
    """The window on its home screen; afterwards every part back, and the tiles with them."""
    window, data = build
    window.go_home()
    yield window, data
    for device, fault in (("printer", "offline"), ("camera", "unplugged"), ("network", "down")):
        FAULTS.set(device, fault, False)
    window.services.simulator.resume()
    _repair_outbox(data)
    qtbot.waitUntil(lambda: all(window.health.availability().values()), timeout=15000)


def _network_down(window) -> None:
    FAULTS.set("network", "down", True)  # as the demo panel does: the backend stops answering
    window.services.simulator.pause()


def _damage_outbox(data: Path) -> None:
    """The outbox file unreadable, as a failing disk leaves it. The database and its WAL are moved aside
    (the kiosk's open connections keep them) and put back by :func:`_repair_outbox`."""
    for suffix in ("", "-wal", "-shm"):
        if (data / f"{DB_NAME}{suffix}").exists():
            (data / f"{DB_NAME}{suffix}").rename(data / f"aside-{DB_NAME}{suffix}")
    (data / DB_NAME).write_bytes(b"\x00garbage, not an SQLite database\x00" * 64)


def _repair_outbox(data: Path) -> None:
    if not (data / f"aside-{DB_NAME}").exists():
        return
    for suffix in ("", "-wal", "-shm"):
        (data / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
        if (data / f"aside-{DB_NAME}{suffix}").exists():
            (data / f"aside-{DB_NAME}{suffix}").rename(data / f"{DB_NAME}{suffix}")


def test_with_printer_and_network_down_only_the_dossier_tile_is_offered_and_the_rest_come_back(kiosk_down, qtbot):
    window, _data = kiosk_down
    home = window.screens[State.HOME]
    tiles = {state.value: tile for state, tile in home.tiles.items()}
    FAULTS.set("printer", "offline", True)
    _network_down(window)
    qtbot.waitUntil(lambda: not tiles["number"].isEnabled(), timeout=15000)
    assert tiles["procedure"].isEnabled()  # typed, kept in the outbox, receipt on screen: it can finish
    assert not tiles["lookup"].isEnabled() and not tiles["rating"].isEnabled()
    assert "(tạm ngừng)" in tiles["number"].text()
    assert not home.out_of_service.isVisible()
    FAULTS.set("printer", "offline", False)  # a printer back: a local-range paper ticket again
    qtbot.waitUntil(lambda: tiles["number"].isEnabled(), timeout=15000)
    window.services.simulator.resume()
    FAULTS.set("network", "down", False)
    qtbot.waitUntil(lambda: tiles["lookup"].isEnabled() and tiles["rating"].isEnabled(), timeout=15000)
    assert "(tạm ngừng)" not in tiles["lookup"].text()


def test_with_everything_down_home_says_out_of_service_then_comes_back_by_itself(kiosk_down, qtbot):
    window, data = kiosk_down
    home = window.screens[State.HOME]
    driver = Driver(window, qtbot)
    FAULTS.set("printer", "offline", True)
    FAULTS.set("camera", "unplugged", True)
    _network_down(window)
    _damage_outbox(data)
    qtbot.waitUntil(home.out_of_service.isVisible, timeout=15000)
    assert OUT_OF_SERVICE_VI in home.out_of_service.text() and OUT_OF_SERVICE_EN in home.out_of_service.text()
    assert not any(tile.isVisible() for tile in home.tiles.values())  # no journey offered that cannot end
    assert {"printer", "backend", "outbox"} <= set(window.health.failed_parts())
    heartbeat = window.health.heartbeat_fields()
    assert heartbeat["service"] == "out_of_service"
    assert {"printer:offline", "backend:offline", "outbox:damaged"} <= set(heartbeat["cause"].split(","))
    # the outbox repaired and the printer back: the kiosk offers what it can again, unasked
    _repair_outbox(data)
    FAULTS.set("printer", "offline", False)
    qtbot.waitUntil(lambda: not home.out_of_service.isVisible(), timeout=15000)
    driver.on(State.HOME)
    assert home.tiles[State.PROCEDURE].isVisible() and home.tiles[State.PROCEDURE].isEnabled()
    assert home.tiles[State.NUMBER].isEnabled()


def test_the_diagnostics_name_the_parts_that_put_the_kiosk_out_of_service(kiosk_down, qtbot):
    from kiosk.ui.maintenance import panel as maintenance

    window, data = kiosk_down
    FAULTS.set("printer", "offline", True)
    _network_down(window)
    _damage_outbox(data)
    panel = maintenance.MaintenancePanel.ask(window.ctx, lambda action: None)
    try:
        qtbot.mouseClick(panel.findChild(QPushButton, "maint-diagnostics"), Qt.MouseButton.LeftButton)
        page = panel.page("diagnostics")
        qtbot.waitUntil(lambda: {"printer", "backend", "outbox"} <= set(page.parts), timeout=20000)
        summary = page.service.text()
        assert "Kiosk tạm ngừng phục vụ công dân" in summary and "out of service" in summary
        for part in ("máy in", "máy chủ tỉnh", "hồ sơ chờ gửi"):
            assert part in summary
        outbox_line = page.part_lines["outbox"].text()
        assert "bị hỏng" in outbox_line and "damaged" in outbox_line  # what is wrong with it, not "check failed"
    finally:
        if panel.isVisible():
            panel.finish("close")


def test_the_heartbeat_names_the_outbox_and_the_closed_journeys(kiosk_down, qtbot):
    window, data = kiosk_down
    FAULTS.set("printer", "offline", True)
    _damage_outbox(data)  # the backend still answers: the province hears why the kiosk turns citizens away
    qtbot.waitUntil(lambda: window.health.outbox == "damaged" and window.health.printer == "offline",
                    timeout=15000)
    store = window.services.simulator.store

    def received() -> dict | None:
        with store._lock:
            row = store._conn.execute("SELECT body FROM heartbeats WHERE kiosk_id = ?",
                                      (window.services.settings.kiosk_id,)).fetchone()
        return json.loads(row[0]) if row else None

    window._heartbeat_timer.timeout.emit()  # what the timer does every backend.heartbeat_interval_s
    qtbot.waitUntil(lambda: (received() or {}).get("devices", {}).get("outbox") == "damaged", timeout=15000)
    devices = received()["devices"]
    assert devices["service"] == "partial"
    assert devices["closed_journeys"] == "procedure"  # a number, a look-up and a rating still go through the backend
    assert {"printer:offline", "outbox:damaged"} <= set(devices["cause"].split(","))
