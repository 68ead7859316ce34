"""The sd_notify client speaks systemd's protocol to a real unix datagram socket."""

from __future__ import annotations

import socket
from pathlib import Path

from kiosk.core.watchdog import SystemdNotifier


def test_ready_and_watchdog_pings_reach_the_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "3000000"})
    assert notifier.enabled and notifier.ping_interval_ms() == 1000
    assert notifier.ready() and notifier.ping()
    assert server.recv(256) == b"READY=1\nSTATUS=Kiosk ready"
    assert server.recv(256) == b"WATCHDOG=1"
    server.close()


def test_outside_systemd_it_does_nothing() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled and not notifier.ping() and notifier.ping_interval_ms() == 0
