"""Fixtures for the backend tests: a real simulator on 127.0.0.1 with a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.backend import TOKEN

from kiosk.backend.client import BackendClient
from kiosk.backend.sim import SimulatorHandle, start_simulator_thread


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    handle = start_simulator_thread(tmp_path / "backend.sqlite3", TOKEN, seed=1)
    yield handle
    handle.stop()


@pytest.fixture
def slept() -> list[float]:
    """Delays the client asked to sleep; tests check them instead of sleeping."""
    return []


@pytest.fixture
def client(sim: SimulatorHandle, slept: list[float]) -> Iterator[BackendClient]:
    c = BackendClient(sim.url, TOKEN, sleep=slept.append, max_retries=3)
    yield c
    c.close()
