"""Paying a dossier's fee by VietQR: the backend's payment order (idempotent per dossier), its status as the
kiosk polls it, the simulator's bank transfer, expiry on the simulator's clock, and the client's three calls."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from helpers.backend import TOKEN

from kiosk.backend.client import BackendClient, MalformedCode, NotFound, Rejected, Unauthorized
from kiosk.backend.contract import schema_errors
from kiosk.backend.sim import FaultAction
from kiosk.backend.sim.store import PAYMENT_BENEFICIARY, PAYMENT_VALID_MINUTES
from kiosk.core import clock
from kiosk.core.dossier import sample_dossier

AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEE = 50_000


def _dossier(client: BackendClient, n: int = 1) -> str:
    """An acknowledged dossier's official code."""
    payload = sample_dossier(n, local_ref=f"L-KIOSK-01-261124-{n:04d}").to_payload()
    return client.submit_dossier(payload, str(uuid.uuid4()))["dossier_code"]


def _pay_url(sim, code: str) -> str:
    return f"{sim.url}/api/v1/dossiers/{code}/payment"


def _post_payment(sim, code: str, amount: object = FEE, **extra: object) -> httpx.Response:
    return httpx.post(_pay_url(sim, code), json={"kiosk_id": "KIOSK-01", "amount_vnd": amount, **extra},
                      headers=AUTH)


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert not schema_errors("Problem", problem)
    assert problem["message"]["vi"] and problem["message"]["en"]
    return problem


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_payment_order_names_the_backends_account_and_a_reference_for_the_purpose(sim, client):
    code = _dossier(client)
    r = _post_payment(sim, code)
    assert r.status_code == 201, r.text
    order = r.json()
    assert schema_errors("PaymentOrder", order) == []
    assert (order["dossier_code"], order["amount_vnd"], order["currency"], order["status"]) == (
        code, FEE, "VND", "pending")
    assert order["beneficiary"] == PAYMENT_BENEFICIARY
    assert re.fullmatch(r"HS[A-Z0-9]{10}", order["reference"])
    assert order["purpose"] == f"{order['reference']} LE PHI" and len(order["purpose"]) <= 25
    assert order["purpose"].isascii()
    assert _at(order["expires_at"]) - _at(order["created_at"]) == timedelta(minutes=PAYMENT_VALID_MINUTES)
    assert "paid_at" not in order


def test_a_repeat_is_the_same_order_and_another_amount_is_a_conflict(sim, client):
    code = _dossier(client)
    first = _post_payment(sim, code)
    again = _post_payment(sim, code)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert client.request_payment(code, "KIOSK-01", FEE)["reference"] == first.json()["reference"]
    problem = _problem(_post_payment(sim, code, FEE + 1000), 409)
    assert problem["code"] == "payment_conflict" and problem["type"].endswith("/payment_conflict")
    with pytest.raises(Rejected) as refused:
        client.request_payment(code, "KIOSK-01", 1)
    assert refused.value.status == 409 and refused.value.problem["code"] == "payment_conflict"
    assert "số tiền khác" in refused.value.message["vi"]
    # another dossier gets its own order
    other = client.request_payment(_dossier(client, 2), "KIOSK-01", FEE)
    assert other["reference"] != first.json()["reference"]


def test_concurrent_requests_for_one_dossier_make_one_order(sim, client):
    code = _dossier(client)
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def ask() -> None:
        barrier.wait()
        r = _post_payment(sim, code)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["reference"] for r in answers}) == 1


def test_an_unknown_dossier_is_404(sim, client):
    _dossier(client)
    for code in ("00073-261124-9999", "not-a-code"):
        assert _problem(_post_payment(sim, code), 404)["code"] == "not_found"
    with pytest.raises(NotFound):
        client.request_payment("00073-261124-9999", "KIOSK-01", FEE)
    before = sim.stats.total()
    with pytest.raises(MalformedCode):  # refused before any request: never sent in a URL
        client.request_payment("../../health", "KIOSK-01", FEE)
    assert sim.stats.total() == before


def test_pending_then_a_bank_transfer_then_paid(sim, client):
    code = _dossier(client)
    order = client.request_payment(code, "KIOSK-01", FEE)
    state = client.payment_status(order["reference"])
    assert schema_errors("PaymentState", state) == []
    assert state == {"reference": order["reference"], "dossier_code": code, "status": "pending",
                     "amount_vnd": FEE, "expires_at": order["expires_at"]}
    r = httpx.get(f"{sim.url}/api/v1/payments/{order['reference']}", headers=AUTH)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"

    paid = client.sim_bank_transfer()  # no reference: the newest pending order
    assert schema_errors("PaymentState", paid) == []
    assert (paid["reference"], paid["status"]) == (order["reference"], "paid")
    assert _at(order["created_at"]) <= _at(paid["paid_at"]) <= _at(order["expires_at"])
    assert client.payment_status(order["reference"]) == paid
    # the order itself says paid too, and a second notice from the bank changes nothing
    again = client.request_payment(code, "KIOSK-01", FEE)
    assert schema_errors("PaymentOrder", again) == [] and again["paid_at"] == paid["paid_at"]
    assert client.sim_bank_transfer(order["reference"]) == paid
    # nothing is pending any more
    with pytest.raises(NotFound):
        client.sim_bank_transfer()
    assert _problem(httpx.post(f"{sim.url}/api/v1/sim/bank/transfers", headers=AUTH), 404)["code"] == "not_found"


def test_a_transfer_names_its_order_or_pays_the_newest_pending_one(sim, client):
    first = client.request_payment(_dossier(client, 1), "KIOSK-01", FEE)
    second = client.request_payment(_dossier(client, 2), "KIOSK-01", 2 * FEE)
    assert client.sim_bank_transfer(first["reference"])["status"] == "paid"
    assert client.payment_status(second["reference"])["status"] == "pending"
    r = httpx.post(f"{sim.url}/api/v1/sim/bank/transfers", json={}, headers=AUTH)
    assert r.status_code == 200 and r.json()["reference"] == second["reference"]
    assert _problem(httpx.post(f"{sim.url}/api/v1/sim/bank/transfers", json={"reference": "HS0000000000"},
                               headers=AUTH), 404)["code"] == "not_found"
    assert client.payment_status("HS0000000000") is None
    assert client.payment_status("not a reference/") is None


def test_an_unpaid_order_expires_on_the_simulators_clock_and_cannot_be_paid_then(sim, client):
    start = datetime(2026, 11, 24, 9, 0, tzinfo=clock.zone())
    with clock.pin(start):
        code = _dossier(client)
        order = client.request_payment(code, "KIOSK-01", FEE)
        assert _at(order["expires_at"]) == start + timedelta(minutes=PAYMENT_VALID_MINUTES)
    with clock.pin(start + timedelta(minutes=PAYMENT_VALID_MINUTES)):
        assert client.payment_status(order["reference"])["status"] == "pending"  # up to the second itself
    with clock.pin(start + timedelta(minutes=PAYMENT_VALID_MINUTES, seconds=1)):
        state = client.payment_status(order["reference"])
        assert state["status"] == "expired" and "paid_at" not in state
        assert schema_errors("PaymentState", state) == []
        problem = _problem(httpx.post(f"{sim.url}/api/v1/sim/bank/transfers",
                                      json={"reference": order["reference"]}, headers=AUTH), 409)
        assert problem["code"] == "payment_expired"
        with pytest.raises(Rejected) as refused:
            client.sim_bank_transfer(order["reference"])
        assert refused.value.status == 409
        with pytest.raises(NotFound):  # an expired order is not pending
            client.sim_bank_transfer()
        # asking again for the dossier answers the same order, expired
        again = _post_payment(sim, code)
        assert again.status_code == 200 and again.json()["reference"] == order["reference"]
        assert again.json()["status"] == "expired" and schema_errors("PaymentOrder", again.json()) == []


@pytest.mark.parametrize("body", [
    {"kiosk_id": "KIOSK-01", "amount_vnd": "abc"},
    {"kiosk_id": "KIOSK-01", "amount_vnd": FEE, "bank": "mine"},
    {"kiosk_id": "KIOSK-01", "amount_vnd": 0},
    {"kiosk_id": "KIOSK-01", "amount_vnd": 1_000_000_001},
    {"kiosk_id": "KIOSK-01", "amount_vnd": 1.5},
    {"amount_vnd": FEE},
    {"kiosk_id": "kiosk 01", "amount_vnd": FEE},
])
def test_a_payment_request_off_the_contract_is_400(sim, client, body):
    code = _dossier(client)
    problem = _problem(httpx.post(_pay_url(sim, code), json=body, headers=AUTH), 400)
    assert problem["code"] == "invalid_body" and problem["errors"]
    assert client.payment_status("HS0000000000") is None
    assert _post_payment(sim, code).status_code == 201  # nothing was recorded by the refused one


def test_malformed_bodies_wrong_types_and_methods(sim, client):
    code = _dossier(client)
    url = _pay_url(sim, code)
    json_ct = {**AUTH, "Content-Type": "application/json"}
    assert _problem(httpx.post(url, content=b"{not json", headers=json_ct), 400)["code"] == "not_json"
    _problem(httpx.post(url, content=b"{}", headers={**AUTH, "Content-Type": "text/plain"}), 415)
    _problem(httpx.post(url, headers=json_ct), 400)  # no body at all
    r = httpx.get(url, headers=AUTH)
    assert _problem(r, 405) and r.headers["Allow"] == "POST"
    transfers = f"{sim.url}/api/v1/sim/bank/transfers"
    for body in ({"reference": "hs-lower"}, {"reference": 12345678}, {"amount_vnd": FEE}):
        assert _problem(httpx.post(transfers, json=body, headers=AUTH), 400)["code"] == "invalid_body"
    _problem(httpx.post(transfers, content=b'{"reference": "HS0000000000"}',
                        headers={**AUTH, "Content-Type": "text/plain"}), 415)
    _problem(httpx.delete(f"{sim.url}/api/v1/payments/HS0000000000", headers=AUTH), 405)


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token"])
def test_no_or_a_wrong_token_is_401(sim, client, auth):
    code = _dossier(client)
    reference = client.request_payment(code, "KIOSK-01", FEE)["reference"]
    headers = {"Authorization": auth} if auth else {}
    calls = [
        httpx.post(_pay_url(sim, code), json={"kiosk_id": "KIOSK-01", "amount_vnd": FEE}, headers=headers),
        httpx.get(f"{sim.url}/api/v1/payments/{reference}", headers=headers),
        httpx.post(f"{sim.url}/api/v1/sim/bank/transfers", json={}, headers=headers),
    ]
    for r in calls:
        assert _problem(r, 401)["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    with BackendClient(sim.url, "wrong-token", max_retries=0) as stranger:
        with pytest.raises(Unauthorized):
            stranger.payment_status(reference)
    assert client.payment_status(reference)["status"] == "pending"  # nobody paid it


def test_a_retry_after_a_lost_answer_gets_the_same_order(sim, client, slept):
    code = _dossier(client)
    # the backend records the order, then the answer is a 503: the client's retry must not make another
    sim.faults.script(FaultAction(status=503, after=True, path_prefix=f"/api/v1/dossiers/{code}/payment"))
    order = client.request_payment(code, "KIOSK-01", FEE)
    assert len(slept) == 1
    assert client.request_payment(code, "KIOSK-01", FEE) == order
    sim.faults.script(FaultAction(status=503, path_prefix="/api/v1/payments/"))
    assert client.payment_status(order["reference"])["status"] == "pending" and len(slept) == 2
