"""The heartbeat to the province: version, device states, paper and outbox depth (DESIGN.md section 8).

What it says is put together here, off the GUI thread (the printer is asked, the outbox read);
kiosk.ui.heartbeat only gathers what the window knows and hands this to its backend thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.core import clock

if TYPE_CHECKING:
    from device.printer import Printer
    from kiosk.backend.outbox import Outbox

log = logging.getLogger("kiosk.heartbeat")


class DeviceSource(Protocol):
    """What :func:`device_states` asks of :class:`kiosk.app.services.Services`."""

    printer: Printer | None

    def sender_health(self) -> dict[str, Any] | None: ...

    def outbox_health(self) -> str: ...


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ward-kiosk")
    except PackageNotFoundError:  # a frozen build without the package metadata
        return "0.1.0"


def device_states(services: DeviceSource, camera_status: str, camera_running: bool,
                  online: bool | None) -> dict[str, str]:
    """What the heartbeat says of the devices (worker threads only: the printer is asked)."""
    devices = {"camera": camera_status, "camera_running": "yes" if camera_running else "no",
               "backend": {True: "online", False: "offline"}.get(online, "unknown")}
    sender = services.sender_health()
    if sender is not None:  # the province sees a kiosk whose deliveries stopped or keep failing
        devices["sender"] = "alive" if sender["alive"] else "dead"
        devices["sender_errors"] = str(sender["errors"] + sender["restarts"])
    # a lost outbox (refusing dossiers until a technician acknowledges it) is for the province to see too
    health = getattr(services, "outbox_health", None)
    if health is not None:
        devices["outbox"] = health()
    printer = services.printer
    if printer is None:
        devices["printer"] = "none"
        return devices
    try:
        status = printer.status()
    except Exception as err:  # a heartbeat must still go out when the printer cannot be asked
        log.warning("printer status for the heartbeat failed: %r", err)
        devices["printer"] = "error"
        return devices
    devices["printer"], devices["paper"] = status.state, status.paper
    if status.paper_left is not None:
        devices["paper_left"] = str(status.paper_left)
    return devices


def heartbeat_body(outbox: Callable[[], Outbox], devices: dict[str, str] | None = None) -> dict[str, Any]:
    """The heartbeat's body: the time, the version, the outbox backlog and ``devices`` (at most 16, short)."""
    from kiosk.backend.outbox import OutboxError

    body: dict[str, Any] = {"sent_at": clock.now().isoformat(timespec="seconds"), "app_version": app_version()}
    try:
        status = outbox().status()
    except OutboxError as err:  # the province still hears from the kiosk; devices["outbox"] says why
        log.warning("outbox status for the heartbeat: %s", err)
    else:
        backlog: dict[str, Any] = {"pending": status["undelivered"], "rejected": status.get("rejected", 0)}
        if status["oldest_pending_age_s"] is not None:
            backlog["oldest_pending_age_s"] = status["oldest_pending_age_s"]
        body["outbox"] = backlog
    if devices:
        body["devices"] = {k: str(v)[:64] for k, v in list(devices.items())[:16]}
    return body


def outbox_health(outbox: Callable[[], Outbox]) -> str:
    """The outbox in one word for the heartbeat (worker threads only): ok, lost:<reason>, unusable."""
    from kiosk.backend.outbox import OutboxError

    try:
        lost = outbox().lost()
    except OutboxError:
        return "unusable"
    return f"lost:{lost['reason']}" if lost else "ok"
