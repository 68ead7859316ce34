"""A hung GUI thread stops the watchdog pings, which is what makes systemd restart the kiosk.

The supervisor thread here does what systemd does with WatchdogSec=: it waits for WATCHDOG=1 on the
notify socket and declares the service hung when none arrives within the period.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from PySide6.QtCore import QTimer

from kiosk.core.watchdog import SystemdNotifier
from kiosk.ui.watchdog import WatchdogPinger

WATCHDOG_S = 0.6  # the pinger pings every 200 ms


class Supervisor(threading.Thread):
    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages: list[bytes] = []
        self.expired = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        self.sock.settimeout(WATCHDOG_S)
        while not self.stopped.is_set():
            try:
                self.messages.append(self.sock.recv(256))
            except TimeoutError:
                if b"WATCHDOG=1" in self.messages:  # armed by the first ping, as systemd is
                    self.expired.set()
        self.sock.close()


def test_pings_come_from_the_gui_thread_and_stop_when_it_hangs(qtbot, tmp_path: Path) -> None:
    supervisor = Supervisor(str(tmp_path / "notify.sock"))
    supervisor.start()
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
                                "WATCHDOG_USEC": str(int(WATCHDOG_S * 1_000_000))})
    pinger = WatchdogPinger(notifier)
    assert pinger.start()
    qtbot.waitUntil(lambda: supervisor.messages.count(b"WATCHDOG=1") >= 3, timeout=5000)
    assert supervisor.messages[0].startswith(b"READY=1")
    assert not supervisor.expired.is_set()

    # Hang the GUI thread until the supervisor notices: the pings must stop while it is blocked.
    pings_before = pinger.pings
    hung = {}

    def hang() -> None:
        hung["noticed"] = supervisor.expired.wait(timeout=10)
        hung["pings_during"] = pinger.pings - pings_before

    QTimer.singleShot(0, hang)
    qtbot.waitUntil(lambda: "noticed" in hung, timeout=15000)
    assert hung["noticed"], "the supervisor never saw the pings stop"
    assert hung["pings_during"] == 0

    # Once the loop turns again the pings resume (systemd would have restarted it by now).
    count = supervisor.messages.count(b"WATCHDOG=1")
    qtbot.waitUntil(lambda: supervisor.messages.count(b"WATCHDOG=1") > count, timeout=5000)
    pinger.stop()
    supervisor.stopped.set()
    supervisor.join(timeout=5)


def test_outside_systemd_the_pinger_stays_off(qtbot) -> None:
    pinger = WatchdogPinger(SystemdNotifier({}))
    assert not pinger.start()


def test_notify_without_watchdog_sends_ready_only(qtbot, tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "n.sock"))
    server.setblocking(False)
    pinger = WatchdogPinger(SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "n.sock")}))
    assert pinger.start()
    received: list[bytes] = []

    def got_ready() -> bool:
        try:
            received.append(server.recv(256))
        except BlockingIOError:
            pass
        return bool(received)

    qtbot.waitUntil(got_ready, timeout=5000)  # READY goes once the event loop turns
    assert received[0].startswith(b"READY=1")
    assert not pinger._timer.isActive()
    server.close()
