"""The sender bridge: ``kiosk.backend.sender.Sender``'s callbacks as Qt signals.

The workers are plain Python threads with callbacks (``device`` and ``kiosk.backend`` know nothing of
Qt). Emitting a Qt signal from their thread queues the call into the GUI thread, so slots run where
widgets may be touched and the GUI thread never waits on a camera, a network, a disk or a printer
(DESIGN.md section 5).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class SenderBridge(QObject):
    """Signals from ``kiosk.backend.sender.Sender`` (delivery of the outbox in the background)."""

    sig_acknowledged = Signal(str, str, str)
    """The backend recorded a dossier: (local_ref, dossier_code, appointment_date or "")."""
    sig_rejected = Signal(str, dict)
    """The backend refused a dossier for good: (local_ref, message {vi, en})."""
    sig_online = Signal(bool)
    """The backend became reachable (True) or unreachable (False)."""

    def on_acknowledged(self, local_ref: str, dossier_code: str, appointment_date: Any = None) -> None:
        self.sig_acknowledged.emit(local_ref, dossier_code, str(appointment_date or ""))

    def on_rejected(self, local_ref: str, status: Any = None, message: Any = None) -> None:
        if not isinstance(message, dict) or "vi" not in message:
            message = {"vi": "Hồ sơ bị từ chối", "en": "The dossier was refused"}
        self.sig_rejected.emit(local_ref, dict(message))

    def on_state(self, online: bool) -> None:
        self.sig_online.emit(bool(online))
