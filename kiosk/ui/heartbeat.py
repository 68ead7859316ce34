"""The heartbeat to the province: version, device states, paper and outbox depth (DESIGN.md section 8).

The window's timer fires every ``backend.heartbeat_interval_s`` on the GUI thread; everything slow
(asking the printer, reading the outbox, the HTTP request) runs on the window's backend thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

log = logging.getLogger("kiosk.heartbeat")


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ward-kiosk")
    except PackageNotFoundError:  # a frozen build without the package metadata
        return "0.1.0"


def device_states(services: Any, camera_status: str, camera_running: bool, online: bool | None) -> dict[str, str]:
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


def send_heartbeat(ctx: ScreenContext) -> None:
    """Send one heartbeat off the GUI thread (called by the window's heartbeat timer)."""
    services = ctx.app
    camera = ctx.devices.camera
    camera_status, camera_running, online = getattr(camera, "status", "unknown"), camera.running, ctx.devices.online
    # the outbox's state and, when citizens are turned away, which journeys are closed and which part is why
    health = ctx.health.heartbeat_fields()

    def send() -> Any:
        devices = device_states(services, camera_status, camera_running, online)
        if health.get("outbox") in (None, "unknown"):  # no health check yet (the start-up heartbeat)
            health.pop("outbox", None)
        return services.heartbeat({**devices, **health})

    ctx.runners.chores.run(send, None, lambda err: log.info("heartbeat not delivered: %r", err))
