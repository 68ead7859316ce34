"""The demo's own backend: the simulator on a local port, for ``kiosk demo``, the walkthrough and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def call_next_ticket(services: Services, counter: int = 3) -> dict[str, Any]:
    """The demo's counter calls the next citizen, through the simulator's counter API with the kiosk's own
    token (as a counter of the ward would): the follow pages of the tickets behind it count down. Blocking
    (an HTTP call): worker threads only. Returns the contract's CallNextResult."""
    from kiosk.backend.client import BackendClient

    if services.simulator is None:
        raise RuntimeError("no simulated backend: a real ward's counters call their own queue")
    with BackendClient(services.simulator.url, services.settings.backend_token or "", max_retries=1) as client:
        return client.call_next(counter)


def citizen_paid(services: Services, reference: str | None = None) -> dict[str, Any]:
    """The demo's "bank": the citizen's transfer arrives for a payment (the newest pending one when no
    reference is given), through the simulator's bank API (``POST /api/v1/sim/bank/transfers``). Blocking:
    worker threads only. Returns the contract's PaymentState, now paid."""
    from kiosk.backend.client import BackendClient

    # the in-process simulator, or a `kiosk backend-sim` the kiosk was pointed at (a real backend answers 404)
    url = services.simulator.url if services.simulator is not None else services.backend_url
    if not url:
        raise RuntimeError("no backend: a real ward's bank tells its own backend")
    with BackendClient(url, services.settings.backend_token or "", max_retries=1) as client:
        return client.sim_bank_transfer(reference)


def backend_attachments(services: Services, dossier_code: str) -> list[dict[str, Any]]:
    """What the backend holds of a dossier's photographed documents (``GET /api/v1/dossiers/{code}/attachments``):
    each with its SHA-256, size, bytes received and whether it is complete. Blocking: worker threads only."""
    from kiosk.backend.client import BackendClient

    url = services.simulator.url if services.simulator is not None else services.backend_url
    if not url:
        raise RuntimeError("no backend")
    with BackendClient(url, services.settings.backend_token or "", max_retries=1) as client:
        return client.attachments(dossier_code)
