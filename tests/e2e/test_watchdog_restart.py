"""The supervised kiosk session: `kiosk run` under a notify socket, hung, killed and restarted.

This test plays systemd's part for deploy/ward-kiosk.service (Type=notify, WatchdogSec=, Restart=always):
it starts the real kiosk, waits for READY=1 and the watchdog pings, freezes the process (SIGSTOP, a hang
as far as the event loop is concerned), sees the pings stop within the watchdog period, kills it as
systemd would (SIGABRT then SIGKILL) and starts it again, which must come back READY.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

WATCHDOG_S = 2.0


def start_kiosk(tmp_path: Path, sock: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": sock,
           "WATCHDOG_USEC": str(int(WATCHDOG_S * 1_000_000)), "KIOSK_KIOSK_SIMULATE": "1",
           "KIOSK_DATA_DIR": str(tmp_path / "data")}
    env.pop("KIOSK_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--windowed"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def receive_until(server: socket.socket, want: bytes, deadline_s: float) -> bool:
    """Read notify messages until one equals/starts with ``want`` or the deadline passes."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        server.settimeout(max(0.05, end - time.monotonic()))
        try:
            if server.recv(256).startswith(want):
                return True
        except TimeoutError:
            return False
    return False


def drain(server: socket.socket) -> None:
    server.setblocking(False)
    try:
        while True:
            server.recv(256)
    except BlockingIOError:
        pass
    server.setblocking(True)


@pytest.mark.slow
def test_a_hung_kiosk_is_detected_and_restarted(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    kiosk = start_kiosk(tmp_path, path)
    try:
        assert receive_until(server, b"READY=1", 90), "the kiosk never said READY"
        assert receive_until(server, b"WATCHDOG=1", WATCHDOG_S * 3), "no watchdog ping"
        kiosk.send_signal(signal.SIGSTOP)  # the event loop stops turning
        drain(server)  # a ping sent just before the stop is not evidence either way
        assert not receive_until(server, b"WATCHDOG=1", WATCHDOG_S), "pings went on from a hung kiosk"
        # Watchdog expired: systemd sends SIGABRT (WatchdogSignal) and restarts the unit.
        kiosk.send_signal(signal.SIGABRT)
        kiosk.send_signal(signal.SIGCONT)
        try:
            kiosk.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kiosk.kill()
            kiosk.wait(timeout=10)
        restarted = start_kiosk(tmp_path, path)
        try:
            assert receive_until(server, b"READY=1", 90), "the restarted kiosk never said READY"
            assert receive_until(server, b"WATCHDOG=1", WATCHDOG_S * 3)
        finally:
            restarted.terminate()
            restarted.wait(timeout=20)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait(timeout=10)
        server.close()
