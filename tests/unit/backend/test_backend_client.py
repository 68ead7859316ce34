"""The httpx client against the real simulator: what it retries, how long it waits, what it raises."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from helpers.backend import TOKEN, make_pki

from kiosk.backend.client import (
    BackendClient,
    MalformedCode,
    NotFound,
    Rejected,
    Unauthorized,
    Unavailable,
    Unreachable,
    backoff_delay,
    parse_retry_after,
)
from kiosk.backend.sim import FaultAction, start_simulator_thread
from kiosk.core.documents import ReceiptDoc
from kiosk.core.dossier import sample_dossier
from kiosk.core.patterns import is_dossier_reference
from kiosk.core.samples import sample_payload


def _dossier(n: int = 1):
    return sample_dossier(n, local_ref=f"L-KIOSK-01-261124-{n:04d}")


def test_submit_then_read_back(client):
    d = _dossier()
    receipt = client.submit_dossier(d.to_payload(), d.idempotency_key)
    assert client.get_dossier(receipt["dossier_code"])["local_ref"] == d.local_ref
    assert client.find_dossiers(d.local_ref)[0]["dossier_code"] == receipt["dossier_code"]
    assert client.get_dossier("00073-000000-0001") is None
    assert client.health()["status"] == "ok"


@pytest.mark.parametrize("not_a_code", [
    sample_payload(0),  # a citizen ID card shown instead of the receipt
    "001099012345",
    "00020101021238570010A00000072701270006970403",  # a payment QR
    "https://dichvucong.gov.vn/p/home",
    "00073-261124-0001\n",
    "00073-261124-0001/../../queue",
])
def test_a_malformed_code_is_refused_before_any_request(sim, client, not_a_code):
    with pytest.raises(MalformedCode) as refused:
        client.get_dossier(not_a_code)
    with pytest.raises(MalformedCode):
        client.find_dossiers(not_a_code)
    assert sum(sim.stats.values()) == 0  # the simulator saw nothing
    assert not_a_code.strip() not in repr(refused.value)  # what a worker's error log would print
    assert "00073-261124-0001" in refused.value.message["vi"]


def test_what_a_receipt_qr_carries_is_a_dossier_reference():
    received = datetime(2026, 12, 2, 4, 31)
    online = ReceiptDoc(unit_name="Phường Cửa Nam", procedure_name={"vi": "-", "en": "-"},
                        procedure_code="1.001193", applicant_name="-", received_at=received,
                        dossier_code="00073-261202-0001", local_ref="L-KIOSK-01-261202-0001")
    offline = ReceiptDoc(unit_name="Phường Cửa Nam", procedure_name={"vi": "-", "en": "-"},
                         procedure_code="1.001193", applicant_name="-", received_at=received,
                         local_ref="L-KIOSK-01-261202-0001", offline=True)
    assert is_dossier_reference(online.code) and is_dossier_reference(offline.code)
    assert not is_dossier_reference(sample_payload(0))


@pytest.mark.parametrize("status", [502, 503, 504, 408])
def test_retryable_answers_are_retried_with_jittered_backoff(sim, client, slept, status):
    sim.faults.script(FaultAction(status=status), FaultAction(status=status))
    d = _dossier()
    receipt = client.submit_dossier(d.to_payload(), d.idempotency_key)
    assert receipt["dossier_code"]
    assert len(slept) == 2
    assert 0 <= slept[0] <= 0.25 and 0 <= slept[1] <= 0.5  # full jitter under the capped exponential


def test_a_5xx_after_the_backend_recorded_it_is_retried_into_the_same_dossier(sim, client):
    sim.faults.script(FaultAction(status=502, after=True))
    d = _dossier()
    receipt = client.submit_dossier(d.to_payload(), d.idempotency_key)
    assert [i["dossier_code"] for i in client.find_dossiers()] == [receipt["dossier_code"]]


def test_500_is_not_retried(sim, client, slept):
    sim.faults.script(FaultAction(status=500))
    with pytest.raises(Unavailable) as info:
        client.health()
    assert info.value.status == 500 and slept == []
    assert info.value.message["vi"] and info.value.message["en"]


def test_429_retry_after_seconds_is_honoured(sim, client, slept):
    sim.faults.script(FaultAction(status=429, headers={"Retry-After": "7"}))
    assert client.submit_dossier(_dossier().to_payload(), "k-429-honoured")["dossier_code"]
    assert slept == [7.0]


def test_a_retry_after_past_the_calls_deadline_is_left_to_the_caller(sim, client, slept):
    """A citizen's ticket (3 s deadline) does not wait 7 s for the backend: it falls back instead."""
    sim.faults.script(FaultAction(status=429, headers={"Retry-After": "7"}))
    with pytest.raises(Unavailable) as info:
        client.issue_ticket("ho-tich", False, "KIOSK-01")
    assert info.value.retry_after == 7 and slept == []


def test_503_retry_after_http_date_is_honoured(sim, client, slept):
    when = datetime.now(UTC) + timedelta(seconds=20)
    sim.faults.script(FaultAction(status=503, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    assert client.submit_dossier(_dossier().to_payload(), "k-503-date")["dossier_code"]
    assert len(slept) == 1 and 15 <= slept[0] <= 21


def test_a_retry_after_beyond_the_limit_is_left_to_the_caller(sim, slept):
    c = BackendClient(sim.url, TOKEN, sleep=slept.append, max_retry_after=30)
    sim.faults.script(FaultAction(status=429, headers={"Retry-After": "120"}))
    with pytest.raises(Unavailable) as info:
        c.health()
    assert info.value.retry_after == 120 and slept == []


def test_too_many_429_give_up_with_a_typed_error(sim, client, slept):
    sim.faults.script(*[FaultAction(status=429, headers={"Retry-After": "1"})] * 4)
    with pytest.raises(Unavailable) as info:
        client.health()
    assert info.value.status == 429 and slept == [1.0, 1.0, 1.0]


def test_latency_beyond_the_read_timeout_is_unreachable_then_within_it_succeeds(sim, slept):
    sim.faults.latency_ms = 400
    impatient = BackendClient(sim.url, TOKEN, timeout=httpx.Timeout(0.1), max_retries=1, sleep=slept.append)
    with pytest.raises(Unreachable) as info:
        impatient.health()
    assert "Timeout" in info.value.detail and len(slept) == 1  # a timeout is retried
    patient = BackendClient(sim.url, TOKEN, timeout=httpx.Timeout(5.0), sleep=slept.append)
    assert patient.health()["status"] == "ok"


def test_a_dropped_connection_is_not_retried_by_the_client(sim, client, slept):
    sim.faults.script(FaultAction(drop="after"))
    d = _dossier()
    with pytest.raises(Unreachable):
        client.submit_dossier(d.to_payload(), d.idempotency_key)
    assert slept == []
    # It did land; resending under the same key (as the sender does) returns the same dossier.
    receipt = client.submit_dossier(d.to_payload(), d.idempotency_key)
    assert [i["dossier_code"] for i in client.find_dossiers()] == [receipt["dossier_code"]]


def test_connection_refused_is_retried_then_unreachable(sim, client, slept):
    sim.pause()
    with pytest.raises(Unreachable) as info:
        client.health()
    assert len(slept) == 3
    assert "kết nối" in info.value.message["vi"]


def test_an_outage_that_ends_during_the_backoff(sim, client):
    sim.pause()
    waits: list[float] = []

    def sleep_then_recover(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 2:
            sim.resume()  # the provincial portal comes back while the client waits

    c = BackendClient(sim.url, TOKEN, sleep=sleep_then_recover, max_retries=5)
    d = _dossier()
    assert c.submit_dossier(d.to_payload(), d.idempotency_key)["local_ref"] == d.local_ref
    assert len(waits) == 2


def test_4xx_is_rejected_without_retry(sim, client, slept):
    bad = _dossier().to_payload()
    bad["ward_code"] = "73"
    with pytest.raises(Rejected) as info:
        client.submit_dossier(bad, "k-123456789")
    assert info.value.status == 400 and slept == []
    assert info.value.problem["errors"][0]["pointer"] == "/ward_code"
    with pytest.raises(Unauthorized):
        BackendClient(sim.url, "wrong").find_dossiers()
    with pytest.raises(NotFound):
        client._call("lookup", "GET", "/api/v1/nowhere")


def test_tls_is_verified_against_the_configured_ca_file(tmp_path):
    pki = make_pki(tmp_path / "pki")
    with start_simulator_thread(tmp_path / "tls.db", TOKEN, tls_cert=pki["server_cert"],
                                tls_key=pki["server_key"]) as tls_sim:
        assert tls_sim.url.startswith("https://127.0.0.1:")
        with BackendClient(tls_sim.url, TOKEN, ca_file=pki["ca"]) as trusted:
            assert trusted.health()["status"] == "ok"
        with BackendClient(tls_sim.url, TOKEN, ca_file=pki["other_ca"], max_retries=0) as wrong_ca:
            with pytest.raises(Unreachable) as info:
                wrong_ca.health()
            assert "CERTIFICATE_VERIFY_FAILED" in info.value.detail


def test_a_client_certificate_is_presented_when_the_backend_demands_one(tmp_path):
    pki = make_pki(tmp_path / "pki")
    with start_simulator_thread(tmp_path / "mtls.db", TOKEN, tls_cert=pki["server_cert"],
                                tls_key=pki["server_key"], client_ca=pki["ca"]) as mtls_sim:
        with BackendClient(mtls_sim.url, TOKEN, ca_file=pki["ca"],
                           client_cert=(pki["client_cert"], pki["client_key"])) as with_cert:
            assert with_cert.health()["status"] == "ok"
        with BackendClient(mtls_sim.url, TOKEN, ca_file=pki["ca"], max_retries=0) as without:
            with pytest.raises(Unreachable):
                without.health()


def test_retry_after_parsing():
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("Tue, 24 Nov 2026 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 07:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("-3") is None


def test_backoff_is_full_jitter_under_a_cap():
    rng = random.Random(4)
    delays = [backoff_delay(a, 0.5, 8.0, rng) for a in range(12) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(delays) > 6 and min(delays) < 0.5  # spread over the whole range, not a fixed ladder
