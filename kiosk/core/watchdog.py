"""systemd's service notification protocol (sd_notify), for ``Type=notify`` + ``WatchdogSec=``.

The UI calls :meth:`SystemdNotifier.ping` from a timer on the GUI thread: if the event loop hangs,
the pings stop, systemd sees the watchdog expire and restarts the kiosk (``Restart=always``).
Outside systemd (no ``NOTIFY_SOCKET``) every call is a no-op. The protocol is one datagram of
``KEY=VALUE`` lines to a unix socket; writing it here avoids an unmaintained dependency.
"""

from __future__ import annotations

import os
import socket


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # abstract namespace socket
            address = "\0" + address[1:]
        self._address = address or None
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s = int(usec) / 1_000_000 if usec.isdigit() else None
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, state: str) -> bool:
        if not self._address:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(state.encode(), self._address)
            return True
        except OSError:
            return False

    def ready(self) -> bool:
        return self.notify("READY=1\nSTATUS=Kiosk ready")

    def ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def ping_interval_ms(self) -> int:
        """Ping at a third of the watchdog period (systemd's advice is at most half)."""
        if not self.watchdog_interval_s:
            return 0
        return max(100, int(self.watchdog_interval_s * 1000 / 3))
