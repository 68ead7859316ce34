"""What the kiosk's parts can do right now (printer, camera, backend, outbox), kept fresh in the background.

The home screen offers a journey only when it can finish (kiosk.core.availability), so it must know the parts'
state before a citizen taps, not find out half-way. The printer, the outbox and the backend are asked on a
runner of their own every few seconds (a citizen's request never waits behind these checks); the camera's
status and the sender's view of the backend come as they change. A part never asked yet counts as working:
a kiosk that just started does not greet its first citizen with closed tiles.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.core.availability import failed_parts, journey_availability, out_of_service
from kiosk.ui.bridges.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.app.services import Services
    from kiosk.ui.bridges.devices import Devices

log = logging.getLogger("kiosk.health")

#: How often the printer, the outbox and the backend are asked (a check costs a status query, one SQLite
#: lock and one small HTTP request, off the GUI thread).
CHECK_INTERVAL_MS = 5000
#: A backend that has not answered its health check by then is taken as down for the tiles.
BACKEND_CHECK_TIMEOUT_S = 2.0


def camera_gone(code: str) -> bool:
    """Whether a camera status (device.camera, kiosk.ui.bridges.CameraBridge) means no picture is coming."""
    return code not in ("", "idle", "starting", "ok")


class KioskHealth(QObject):
    sig_changed = Signal()
    """A part's state changed, and with it maybe the journeys a citizen can finish."""
    _sig_fault_changed = Signal()
    """A simulated fault was set or cleared (from any thread): check again now."""

    def __init__(self, services: Services, devices: Devices, parent: QObject | None = None,
                 interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.devices = devices
        self.services = services
        self.printer = "unknown"  # device.printer state: ready, paper_out, offline...; "none": no printer
        self.backend = "unknown" if self.services.has_backend else "none"  # online, offline
        self.outbox = "unknown"  # ok, or a kiosk.backend.outbox.STORAGE_FAULTS key
        self.details: dict[str, str] = {}
        self._checking = False
        self._client: Any = None
        self.runner = TaskRunner("health", parent=self)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        devices.camera.sig_status.connect(self._on_camera_status)
        devices.sender.sig_online.connect(self._on_sender_online)
        self._sig_fault_changed.connect(self.refresh)
        self._faults: Any = None
        if self.services.settings.simulate:  # the demo panel's faults show on the tiles at once
            from kiosk.app.devices import simulated_faults

            self._faults = simulated_faults()
            self._faults.subscribe(self._on_fault_changed)

    # --- what the screens ask -----------------------------------------------------------------------
    @property
    def camera(self) -> str:
        return self.devices.camera.status

    def parts_ok(self) -> dict[str, bool]:
        return {"printer_ok": self.printer in ("unknown", "ready"), "camera_ok": not camera_gone(self.camera),
                "backend_ok": self.backend in ("unknown", "online"), "outbox_ok": self.outbox in ("unknown", "ok"),
                "has_backend": self.services.has_backend}

    def availability(self) -> dict[str, bool]:
        """Journey (home tile) -> whether it can finish now."""
        return journey_availability(**self.parts_ok())

    def out_of_service(self) -> bool:
        return out_of_service(self.availability())

    def failed_parts(self) -> list[str]:
        return failed_parts(**self.parts_ok())

    def heartbeat_fields(self) -> dict[str, str]:
        """What the heartbeat adds: the outbox's state and which journeys are closed, and why."""
        availability = self.availability()
        closed = [journey for journey, ok in availability.items() if not ok]
        service = "out_of_service" if not any(availability.values()) else "partial" if closed else "ok"
        fields = {"outbox": self.outbox, "service": service}
        if closed:
            fields["closed_journeys"] = ",".join(closed)
            fields["cause"] = ",".join(f"{part}:{self._state_of(part)}" for part in self.failed_parts())[:64]
        return fields

    def _state_of(self, part: str) -> str:
        return {"printer": self.printer, "camera": self.camera, "backend": self.backend, "outbox": self.outbox}[part]

    # --- keeping it fresh ---------------------------------------------------------------------------
    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()
        self.runner.shutdown()
        if self._faults is not None:
            self._faults.unsubscribe(self._on_fault_changed)
            self._faults = None

    def _on_fault_changed(self, _device: str, _fault: str, _on: bool) -> None:
        try:
            self._sig_fault_changed.emit()  # queued to the GUI thread if set from another
        except RuntimeError:  # the window is already gone
            pass

    def refresh(self) -> None:
        """Ask the printer, the outbox and the backend again (on the health runner)."""
        if self._checking or not self._timer.isActive():
            return
        self._checking = True
        self.runner.run(self._check, self._on_checked, self._on_check_failed, survive_wipe=True)

    def note_outbox_failed(self, cause: str) -> None:
        """A commit just failed: the tiles need not wait for the next check."""
        self._set(outbox=cause)

    def _check(self) -> dict[str, Any]:
        """Worker thread: every check, each failure named rather than raised."""
        from kiosk.app.diagnostics import outbox_usable

        found: dict[str, Any] = {"details": {}}
        printer = self.services.printer
        if printer is None:
            found["printer"] = "none"
        else:
            try:
                status = printer.status()
                found["printer"] = "ready" if status.ok else status.state
            except Exception as err:
                found["printer"], found["details"]["printer"] = "error", repr(err)
        unusable = outbox_usable(self.services.data_dir)
        found["outbox"] = "ok" if unusable is None else unusable.state
        if unusable is not None:
            found["details"]["outbox"] = unusable.data.get("detail", "")
        else:  # it opens, but a lost outbox refuses dossiers until a technician acknowledges the loss
            found["outbox"] = self.services.outbox_health()
        if self.services.has_backend:
            try:
                self._backend_client().health()
                found["backend"] = "online"
            except Exception as err:  # refused, timed out, 5xx: all "a citizen's request would fail"
                found["backend"], found["details"]["backend"] = "offline", type(err).__name__
        return found

    def _backend_client(self) -> Any:
        if self._client is None:
            # the kiosk's own client (its TLS, its refusal of clear text), with a short overall deadline
            self._client = self.services.make_client()
            self._client.max_retries = 0
            self._client.deadlines["health"] = BACKEND_CHECK_TIMEOUT_S
        return self._client

    def _on_checked(self, found: dict[str, Any]) -> None:
        self._checking = False
        self.details = found.pop("details")
        self._set(**found)

    def _on_check_failed(self, err: BaseException) -> None:
        self._checking = False
        log.warning("health check failed: %r", err)

    def _on_camera_status(self, _code: str, _message: dict) -> None:
        self.sig_changed.emit()

    def _on_sender_online(self, online: bool) -> None:
        if self.services.has_backend:
            self._set(backend="online" if online else "offline")

    def _set(self, **states: str) -> None:
        changed = {k: v for k, v in states.items() if getattr(self, k) != v}
        if not changed:
            return
        for key, value in changed.items():
            setattr(self, key, value)
        log.info("kiosk parts: %s", ", ".join(f"{k}={v}" for k, v in changed.items()))
        self.sig_changed.emit()
