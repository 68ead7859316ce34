"""Which citizen journeys can finish with the kiosk's parts as they are now (DESIGN.md section 3: no dead ends).

A home tile is offered only when its journey can end with the citizen holding what they came for:

- a queue number needs the backend (the number is announced to the counter and shown on screen) or the
  printer (a ticket from the kiosk-local range, on paper);
- a dossier needs a writable outbox and nothing else: typing replaces the camera, the receipt can be shown
  on screen, and the sender delivers the dossier once the backend is back;
- a look-up needs the backend (a kiosk with no backend at all looks its own outbox up instead);
- a rating needs somewhere to keep it, and only the backend keeps ratings.

Pure and Qt-free: the home screen, the maintenance diagnostics and the heartbeat all ask this one function.
"""

from __future__ import annotations

#: The citizen journeys, named as the home tiles' screens are (kiosk.core.session.State values).
JOURNEYS = ("number", "procedure", "lookup", "rating")


def journey_availability(printer_ok: bool, camera_ok: bool, backend_ok: bool, outbox_ok: bool,
                         has_backend: bool = True) -> dict[str, bool]:
    """Journey -> whether it can finish. ``camera_ok`` changes nothing (every journey can be typed); it is
    asked so that the rule is written here whole. ``has_backend``: False for a kiosk configured without one."""
    del camera_ok  # typing replaces it everywhere
    backend_ok = backend_ok and has_backend
    return {
        "number": backend_ok or printer_ok,
        "procedure": outbox_ok,
        "lookup": backend_ok or (not has_backend and outbox_ok),
        "rating": backend_ok,
    }


def out_of_service(availability: dict[str, bool]) -> bool:
    """No citizen journey can finish: the kiosk sends citizens to the counter."""
    return not any(availability.values())


def failed_parts(printer_ok: bool, camera_ok: bool, backend_ok: bool, outbox_ok: bool,
                 has_backend: bool = True) -> list[str]:
    """The parts that are down, in the order a technician would check them (the heartbeat and the
    maintenance diagnostics name these as the cause)."""
    down = [("printer", printer_ok), ("camera", camera_ok), ("backend", backend_ok or not has_backend),
            ("outbox", outbox_ok)]
    return [name for name, ok in down if not ok]
