"""The backend simulator implements the contract: idempotency answers, errors, listings."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid

import httpx
import pytest
from helpers.backend import TOKEN

from kiosk.backend.contract import schema_errors
from kiosk.backend.sim import start_simulator_thread
from kiosk.core.dossier import sample_dossier

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _post(sim, body, key: str | None, headers: dict | None = None) -> httpx.Response:
    h = dict(AUTH)
    if key is not None:
        h["Idempotency-Key"] = key
    h.update(headers or {})
    return httpx.post(f"{sim.url}/api/v1/dossiers", json=body, headers=h)


def _body(n: int = 1) -> dict:
    return sample_dossier(n, local_ref=f"L-KIOSK-01-261124-{n:04d}").to_payload()


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert not schema_errors("Problem", problem)
    assert problem["message"]["vi"] and problem["message"]["en"]
    return problem


def test_a_dossier_gets_an_official_code_and_an_appointment(sim):
    r = _post(sim, _body(), str(uuid.uuid4()))
    assert r.status_code == 201
    receipt = r.json()
    assert not schema_errors("DossierReceipt", receipt)
    assert re.fullmatch(r"00073-\d{6}-0001", receipt["dossier_code"])
    assert receipt["local_ref"] == "L-KIOSK-01-261124-0001"
    assert r.headers["Idempotent-Replayed"] == "false"


def test_the_same_key_and_body_replays_the_first_answer(sim):
    key, body = str(uuid.uuid4()), _body()  # one body: a second _body() may carry a later timestamp
    first = _post(sim, body, key)
    again = _post(sim, body, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = httpx.get(f"{sim.url}/api/v1/dossiers", headers=AUTH).json()["items"]
    assert len(listed) == 1


def test_the_same_key_with_another_body_is_422(sim):
    key, body = str(uuid.uuid4()), _body(1)
    _post(sim, body, key)
    other = {**body, "form": {**body["form"], "child_name": "Trần Văn Khác"}}
    problem = _problem(_post(sim, other, key), 422)
    assert problem["code"] == "idempotency_key_reused"


def test_no_key_is_400(sim):
    assert _problem(_post(sim, _body(), None), 400)["code"] == "no_idempotency_key"
    assert _problem(_post(sim, _body(), "short"), 400)["code"] == "no_idempotency_key"


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer"])
def test_no_or_a_wrong_token_is_401(sim, auth):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if auth:
        headers["Authorization"] = auth
    r = httpx.post(f"{sim.url}/api/v1/dossiers", json=_body(), headers=headers)
    _problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert httpx.get(f"{sim.url}/api/v1/dossiers", headers={}).status_code == 401
    assert httpx.get(f"{sim.url}/api/v1/dossiers", headers=AUTH).json()["items"] == []


def test_a_body_off_the_schema_is_400_without_echoing_personal_data(sim):
    body = _body()
    body["applicant"]["id_number"] = "0010990123XY"
    del body["consent"]
    problem = _problem(_post(sim, body, str(uuid.uuid4())), 400)
    pointers = {e["pointer"] for e in problem["errors"]}
    assert {"/applicant/id_number", "/"} <= pointers
    assert "0010990123XY" not in str(problem)


def test_not_json_wrong_type_too_large_and_wrong_method(sim):
    h = {**AUTH, "Idempotency-Key": str(uuid.uuid4())}
    url = f"{sim.url}/api/v1/dossiers"
    _problem(httpx.post(url, content=b"{not json", headers={**h, "Content-Type": "application/json"}), 400)
    _problem(httpx.post(url, content=b"{}", headers={**h, "Content-Type": "text/plain"}), 415)
    _problem(httpx.post(url, content=b"x" * (300 * 1024), headers={**h, "Content-Type": "application/json"}), 413)
    r = httpx.delete(url, headers=AUTH)
    _problem(r, 405)
    assert r.headers["Allow"] == "GET, POST"
    _problem(httpx.get(f"{sim.url}/api/v2/nothing", headers=AUTH), 404)


def test_get_by_code_and_find_by_local_ref(sim):
    code = _post(sim, _body(1), str(uuid.uuid4())).json()["dossier_code"]
    _post(sim, _body(2), str(uuid.uuid4()))
    record = httpx.get(f"{sim.url}/api/v1/dossiers/{code}", headers=AUTH).json()
    assert not schema_errors("DossierRecord", record)
    assert record["history"][0]["status"] == "received"
    assert "applicant" not in record  # the backend's listing carries no personal data
    _problem(httpx.get(f"{sim.url}/api/v1/dossiers/00073-261124-9999", headers=AUTH), 404)
    found = httpx.get(f"{sim.url}/api/v1/dossiers", params={"local_ref": "L-KIOSK-01-261124-0002"},
                      headers=AUTH).json()["items"]
    assert [f["local_ref"] for f in found] == ["L-KIOSK-01-261124-0002"]
    every = httpx.get(f"{sim.url}/api/v1/dossiers", headers=AUTH).json()["items"]
    assert len(every) == 2 and all(item["idempotency_key"] for item in every)
    _problem(httpx.get(f"{sim.url}/api/v1/dossiers", params={"local_ref": "nope"}, headers=AUTH), 400)


def test_concurrent_retries_of_one_key_make_one_dossier(sim):
    key, body = str(uuid.uuid4()), _body()
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def submit() -> None:
        barrier.wait()
        r = _post(sim, body, key)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["dossier_code"] for r in answers}) == 1
    assert len(httpx.get(f"{sim.url}/api/v1/dossiers", headers=AUTH).json()["items"]) == 1


def test_dossier_codes_count_per_competent_ward(sim):
    codes = [_post(sim, sample_dossier(0, ward_code=w, local_ref=f"L-K-261124-{i:04d}").to_payload(),
                   str(uuid.uuid4())).json()["dossier_code"] for i, w in enumerate(["00073", "00073", "00004"], 1)]
    assert [c.split("-")[0] + "-" + c.split("-")[2] for c in codes] == ["00073-0001", "00073-0002", "00004-0001"]


def test_tickets_feedback_heartbeat_health(sim):
    t1 = httpx.post(f"{sim.url}/api/v1/queue/tickets", json={"area": "ho-tich", "priority": False,
                                                             "kiosk_id": "KIOSK-01"}, headers=AUTH)
    t2 = httpx.post(f"{sim.url}/api/v1/queue/tickets", json={"area": "ho-tich", "priority": False,
                                                             "kiosk_id": "KIOSK-01"}, headers=AUTH)
    assert (t1.status_code, t1.json()["number"], t2.json()["number"]) == (201, "A001", "A002")
    assert t2.json()["people_ahead"] == 1
    fb = httpx.post(f"{sim.url}/api/v1/feedback", json={"kiosk_id": "KIOSK-01", "rating": 5}, headers=AUTH)
    assert fb.status_code == 201 and not schema_errors("FeedbackReceipt", fb.json())
    _problem(httpx.post(f"{sim.url}/api/v1/feedback", json={"kiosk_id": "KIOSK-01", "rating": 9},
                        headers=AUTH), 400)
    hb = httpx.post(f"{sim.url}/api/v1/kiosks/KIOSK-01/heartbeat",
                    json={"sent_at": "2026-11-24T08:00:00+07:00", "outbox": {"pending": 2}}, headers=AUTH)
    assert hb.status_code == 200 and not schema_errors("HeartbeatAck", hb.json())
    health = httpx.get(f"{sim.url}/api/v1/health")  # no token needed to ask whether it is up
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_backend_sim_command_serves_the_contract(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db", str(tmp_path / "s.db"),
         "--token", "t0k3n", "--seed", "3"],
        stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://\S+", line).group(0)
        assert httpx.get(f"{url}/api/v1/health", timeout=5).json()["status"] == "ok"
        assert httpx.get(f"{url}/api/v1/dossiers", headers={"Authorization": "Bearer t0k3n"}, timeout=5
                         ).json() == {"items": []}
    finally:
        proc.terminate()
        proc.wait(10)


# --- non-boundary filing stays inside the province (issue 15 item 8) ----------------------------------

PHUONG_SAI_GON = "26740"  # Thành phố Hồ Chí Minh (79)


def test_a_ward_outside_the_backends_province_is_refused_plainly(tmp_path):
    with start_simulator_thread(tmp_path / "hanoi.sqlite3", TOKEN, province_code="01") as hanoi:
        body = _body()
        body["ward_code"] = PHUONG_SAI_GON
        problem = _problem(_post(hanoi, body, str(uuid.uuid4())), 422)
        assert problem["code"] == "ward_outside_province"
        assert "tỉnh, thành phố khác" in problem["message"]["vi"] and "another province" in problem["message"]["en"]
        assert httpx.get(f"{hanoi.url}/api/v1/dossiers", headers=AUTH).json() == {"items": []}  # nothing filed
        # a ward of Hà Nội itself (the sample's Phường Cửa Nam, 00073) is received as before
        assert _post(hanoi, _body(2), str(uuid.uuid4())).status_code == 201


def test_backend_sim_command_serves_the_province_it_is_given(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db", str(tmp_path / "p.db"),
         "--token", TOKEN, "--province", "01"],
        stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+", proc.stdout.readline()).group(0)
        body = _body()
        body["ward_code"] = PHUONG_SAI_GON
        r = httpx.post(f"{url}/api/v1/dossiers", json=body, headers={**AUTH, "Idempotency-Key": str(uuid.uuid4())},
                       timeout=5)
        assert _problem(r, 422)["code"] == "ward_outside_province"
    finally:
        proc.terminate()
        proc.wait(10)


def test_backend_sim_command_refuses_an_unknown_province(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db",
                           str(tmp_path / "x.db"), "--token", TOKEN, "--province", "99"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "not one of the 34 province codes" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_simulator_holds_a_burst_of_fifty_clients(sim):
    """socketserver's listen backlog of 5 dropped part of such a burst (resets; here, dropped SYNs that
    cost a client a 1 s retransmit, past a 0.8 s connect timeout)."""
    import threading

    import httpx

    start = threading.Barrier(50)
    outcomes: list[object] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        try:
            with httpx.Client(timeout=httpx.Timeout(20, connect=0.8)) as c:  # a SYN dropped = 1 s
                result: object = c.get(f"{sim.url}/api/v1/health").status_code
        except httpx.HTTPError as exc:
            result = type(exc).__name__
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes == [200] * 50
