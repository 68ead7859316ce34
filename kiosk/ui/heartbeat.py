"""The window's side of the heartbeat to the province (DESIGN.md section 8).

The window's timer fires every ``backend.heartbeat_interval_s`` on the GUI thread: here it reads what only
the window knows (the camera, the link, the health checks) and hands the rest to its backend thread, where
:mod:`kiosk.app.heartbeat` asks the printer and the outbox and the request goes out.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.app.heartbeat import app_version, device_states

__all__ = ["app_version", "device_states", "send_heartbeat"]

log = logging.getLogger("kiosk.heartbeat")


def send_heartbeat(window: Any) -> None:  # the KioskWindow: naming it would tie this module to the shell
    """Send one heartbeat off the GUI thread (called by the window's heartbeat timer)."""
    services = window.services
    camera = window.camera
    camera_status, camera_running, online = getattr(camera, "status", "unknown"), camera.running, window.online
    # the outbox's state and, when citizens are turned away, which journeys are closed and which part is why
    health = window.health.heartbeat_fields()

    def send() -> Any:
        devices = device_states(services, camera_status, camera_running, online)
        if health.get("outbox") in (None, "unknown"):  # no health check yet (the start-up heartbeat)
            health.pop("outbox", None)
        return services.heartbeat({**devices, **health})

    window.chores_runner.run(send, None, lambda err: log.info("heartbeat not delivered: %r", err))
