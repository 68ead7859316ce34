"""The demo's own backend: the simulator on a local port, for ``kiosk demo``, the walkthrough and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.app.services import Services


def start_demo_backend(services: Services) -> None:
    """Start the backend simulator for a kiosk without a backend URL, and point ``services`` at it."""
    from kiosk.backend.sim import start_simulator_thread
    from kiosk.core import wards

    settings = services.settings
    token = settings.backend_token or "demo-token"
    settings.backend_token = token
    # The demo's backend is the kiosk's own province's, as a real one is: it refuses wards elsewhere. Its
    # records live in memory: the kiosk's data directory holds only what the kiosk itself keeps (a file
    # there would be every demo citizen's dossier in clear).
    ward = wards.ward_by_code(settings.ward_code)
    services.simulator = start_simulator_thread(":memory:", token, province_code=ward.province_code if ward else None)
