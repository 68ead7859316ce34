"""The window's side of the heartbeat to the province (DESIGN.md section 8).

The window's timer fires every ``backend.heartbeat_interval_s`` on the GUI thread: here it reads what only
the window knows (the camera, the link, the health checks) and hands the rest to its backend thread, where
:mod:`kiosk.app.heartbeat` asks the printer and the outbox and the request goes out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kiosk.app.heartbeat import device_states

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

log = logging.getLogger("kiosk.heartbeat")


def send_heartbeat(ctx: ScreenContext) -> None:
    """Send one heartbeat off the GUI thread (called by the window's heartbeat timer)."""
    services = ctx.app
    camera = ctx.devices.camera
    camera_status, camera_running, online = getattr(camera, "status", "unknown"), camera.running, ctx.devices.online
    # the outbox's state and, when citizens are turned away, which journeys are closed and which part is why
    health = ctx.health.heartbeat_fields()
    # what the camera granted (a UVC camera that fell back to YUYV runs at a few frames a second)
    granted = getattr(getattr(camera, "camera", None), "granted", None) or {}
    camera_format = (f"{granted.get('width')}x{granted.get('height')} {granted.get('fourcc') or '?'} "
                     f"{granted.get('fps') or 0:g}fps" if granted else "")

    def send() -> Any:
        devices = device_states(services, camera_status, camera_running, online)
        if camera_format:
            devices["camera_format"] = camera_format
        if health.get("outbox") in (None, "unknown"):  # no health check yet (the start-up heartbeat)
            health.pop("outbox", None)
        return services.heartbeat({**devices, **health})

    ctx.runners.chores.run(send, None, lambda err: log.info("heartbeat not delivered: %r", err))
