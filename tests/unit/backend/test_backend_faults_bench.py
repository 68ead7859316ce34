"""The misbehaving backend of benchmarks/backend_faults.py really misbehaves, as seen by httpx on 127.0.0.1:
the benchmark's figures mean nothing if a fault is not the fault it is named after."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from misbehaving_backend import OVERSIZED_BYTES, RETRY_AFTER_S, MisbehavingBackend  # noqa: E402

TOKEN = "bench-token"


@pytest.fixture
def backend() -> Iterator[MisbehavingBackend]:
    b = MisbehavingBackend(TOKEN).start()
    yield b
    b.stop()


def _post(backend: MisbehavingBackend, local_ref: str = "L-BENCH-01-261202-0001", key: str | None = None,
          timeout: float = 5.0) -> httpx.Response:
    return httpx.post(f"{backend.url}/api/v1/dossiers", json={"local_ref": local_ref},
                      headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key or str(uuid.uuid4())},
                      timeout=timeout)


def test_normal_answers_a_receipt_and_honours_the_idempotency_key(backend):
    first = _post(backend, key="k1")
    assert first.status_code == 201
    assert set(first.json()) == {"dossier_code", "status", "received_at", "appointment_date", "local_ref"}
    assert _post(backend, key="k1").json()["dossier_code"] == first.json()["dossier_code"]
    assert backend.dossiers_per_local_ref() == {"L-BENCH-01-261202-0001": 1}
    _post(backend, key="k2")  # same local reference, another key: a second dossier, counted as a duplicate
    assert backend.dossiers_per_local_ref() == {"L-BENCH-01-261202-0001": 2}


def test_answers_that_are_wrong(backend):
    backend.behaviour = "error500"
    assert _post(backend).status_code == 500
    backend.behaviour = "retry_after"
    r = _post(backend)
    assert r.status_code == 429 and r.headers["Retry-After"] == str(RETRY_AFTER_S)
    backend.behaviour = "malformed"
    r = _post(backend)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


def test_oversized_announces_and_streams_200_mib(backend):
    backend.behaviour = "oversized"
    with httpx.stream("POST", f"{backend.url}/api/v1/dossiers", json={"local_ref": "L-BENCH-01-261202-0001"},
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5.0) as r:
        assert int(r.headers["Content-Length"]) == OVERSIZED_BYTES
        assert len(next(r.iter_raw())) > 0  # streamed, not refused; the rest is left unread


@pytest.mark.parametrize("behaviour", ["slow_drip", "never_answers"])
def test_a_stuck_answer_runs_into_the_clients_read_timeout(backend, behaviour):
    backend.behaviour = behaviour
    with pytest.raises(httpx.ReadTimeout):
        _post(backend, timeout=0.5)
    assert backend.snapshot()[0].behaviour == behaviour


def test_resets_and_outage(backend):
    backend.behaviour = "resets"
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        _post(backend)
    backend.behaviour = "outage"
    with pytest.raises(httpx.ConnectError):
        _post(backend)
    backend.behaviour = "normal"  # recovery: the same address answers again
    assert _post(backend).status_code == 201
