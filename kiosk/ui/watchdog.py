"""The systemd watchdog, fed from the GUI thread.

The pings come from a QTimer on the GUI thread on purpose: if the event loop hangs, they stop, and
systemd (``WatchdogSec=`` in deploy/ward-kiosk.service) kills and restarts the kiosk. A ping from a
worker thread would keep a frozen screen alive forever.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from kiosk.core.watchdog import SystemdNotifier

log = logging.getLogger("kiosk.ui.watchdog")


class WatchdogPinger(QObject):
    """Sends READY=1 once the event loop runs, then WATCHDOG=1 every third of the watchdog period."""

    def __init__(self, notifier: SystemdNotifier | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier or SystemdNotifier()
        self.pings = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> bool:
        """Arm it; returns False outside systemd (nothing to do)."""
        if not self.notifier.enabled:
            return False
        # READY only once the event loop turns: the home screen is drawn and touches are served.
        QTimer.singleShot(0, self.notifier.ready)
        interval = self.notifier.ping_interval_ms()
        if interval:  # Type=notify without WatchdogSec: READY only
            self._timer.start(interval)
        log.info("systemd notify: watchdog ping every %d ms", interval)
        return True

    def stop(self) -> None:
        self._timer.stop()
        self.notifier.stopping()

    def _on_timer_timeout(self) -> None:
        if self.notifier.ping():
            self.pings += 1
