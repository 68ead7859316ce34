"""The heartbeat: version, device states, paper and outbox depth, sent off the GUI thread on the
configured interval, received by the (simulated) provincial backend."""

from __future__ import annotations

import json
import threading

from device.sim.faults import FAULTS
from kiosk.ui.heartbeat import app_version


def _received(kiosk) -> dict | None:
    store = kiosk.services.simulator.store
    with store._lock:
        row = store._conn.execute("SELECT body FROM heartbeats WHERE kiosk_id = ?",
                                  (kiosk.services.settings.kiosk_id,)).fetchone()
    return json.loads(row[0]) if row else None


def test_the_first_heartbeat_goes_out_at_start_up_not_one_interval_later(kiosk, qtbot):
    # 300 s between heartbeats: what arrives now was sent by the warm-up (this file's tests run in order,
    # and nothing else sends heartbeats)
    assert kiosk.services.settings.heartbeat_interval_s >= 60
    qtbot.waitUntil(lambda: _received(kiosk) is not None, timeout=15000)
    assert _received(kiosk)["app_version"] == app_version()


def test_the_heartbeat_carries_version_devices_paper_and_outbox(kiosk, qtbot, monkeypatch):
    assert kiosk._heartbeat_timer.isActive()
    assert kiosk._heartbeat_timer.interval() == int(kiosk.services.settings.heartbeat_interval_s * 1000)
    asked_from: list[threading.Thread] = []
    printer = kiosk.services.printer
    real_status = printer.status
    monkeypatch.setattr(printer, "status", lambda: (asked_from.append(threading.current_thread()),
                                                    real_status())[1])
    FAULTS.set("printer", "paper_out", True)
    before = _received(kiosk)
    kiosk._heartbeat_timer.timeout.emit()  # what the timer does every backend.heartbeat_interval_s
    qtbot.waitUntil(lambda: _received(kiosk) not in (None, before) and _received(kiosk)["devices"].get("paper")
                    == "out", timeout=15000)
    body = _received(kiosk)
    assert body["app_version"] == app_version()
    assert body["devices"]["printer"] == "paper_out"
    assert set(body["devices"]) >= {"camera", "printer", "paper", "backend"}
    assert set(body["outbox"]) >= {"pending", "rejected"}
    assert asked_from and threading.main_thread() not in asked_from  # the printer is never asked on the GUI thread
