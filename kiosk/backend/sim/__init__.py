"""``kiosk backend-sim``: a real HTTP server implementing docs/backend-api.yaml, for demos and tests.

SQLite-backed (:mod:`.store`), with injectable faults (:mod:`.faults`) in front of the HTTP handler
(:mod:`.http`). Callers use the names below: ``from kiosk.backend.sim import start_simulator_thread``.
"""

from __future__ import annotations

from kiosk.backend.sim.faults import FaultAction, Faults
from kiosk.backend.sim.http import SimulatorHandle, serve, start_simulator_thread
from kiosk.backend.sim.store import Problem, Store

__all__ = ["FaultAction", "Faults", "Problem", "SimulatorHandle", "Store", "serve", "start_simulator_thread"]
