"""The heartbeat: version, device states, paper and outbox depth, sent off the GUI thread on the
configured interval, received by the (simulated) provincial backend."""

from __future__ import annotations

import json
import threading

import pytest

from device.sim.faults import FAULTS
from kiosk.app.heartbeat import app_version


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
    assert set(body["devices"]) >= {"camera", "printer", "paper", "backend", "sender"}
    assert body["devices"]["sender"] == "alive"
    assert set(body["outbox"]) >= {"pending", "rejected"}
    assert asked_from and threading.main_thread() not in asked_from  # the printer is never asked on the GUI thread


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's end, wanted
def test_a_sender_thread_that_ended_is_started_again_and_the_heartbeat_says_so(kiosk, qtbot):
    """A sender thread that ended used to stay dead: nothing was delivered again until a restart."""
    from kiosk.core.dossier import sample_dossier

    services = kiosk.services
    dead = services.sender

    def end_the_thread(*_args) -> None:
        raise SystemExit  # what no `except Exception` catches: the thread ends, silently

    dead.on_acknowledged = end_the_thread
    services.outbox().add(sample_dossier(7))
    dead.wake()
    qtbot.waitUntil(lambda: not dead.is_alive(), timeout=15000)
    before = _received(kiosk)
    kiosk._heartbeat_timer.timeout.emit()
    qtbot.waitUntil(lambda: _received(kiosk) not in (None, before), timeout=15000)
    devices = _received(kiosk)["devices"]
    assert devices["sender"] == "alive" and devices["sender_errors"] == "1"  # restarted, and counted
    assert services.sender is not dead and services.sender.is_alive()
    health = services.sender_health()
    assert health["restarts"] == 1
