"""The sender thread delivers the outbox to the real simulator through faults and outages."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from helpers.backend import TOKEN
from helpers.waiting import wait_for_files

from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox
from kiosk.backend.sender import Sender
from kiosk.backend.sim import FaultAction
from kiosk.core.dossier import sample_dossier


class Events:
    """Callback recorder with a way to wait for a condition (no sleeping)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.acked: list[tuple] = []
        self.rejected: list[tuple] = []
        self.states: list[bool] = []

    def _add(self, where: list, item) -> None:
        with self.cond:
            where.append(item)
            self.cond.notify_all()

    def wait_for(self, check, timeout: float = 20.0) -> None:
        with self.cond:
            assert self.cond.wait_for(check, timeout), "condition not reached"


@pytest.fixture
def outbox(tmp_path):
    ob = Outbox.in_data_dir(tmp_path / "data")
    yield ob
    ob.close()


@pytest.fixture
def make_sender(tmp_path, sim):
    started: list[Sender] = []

    def make(token: str = TOKEN, **kw) -> tuple[Sender, Events]:
        ev = Events()
        sender = Sender(tmp_path / "data" / DB_NAME, tmp_path / "data" / KEY_NAME,
                        lambda: BackendClient(sim.url, token, max_retries=kw.pop("max_retries", 1),
                                              backoff_base=0.01, backoff_cap=0.05),
                        on_acknowledged=lambda *a: ev._add(ev.acked, a),
                        on_rejected=lambda *a: ev._add(ev.rejected, a),
                        on_state=lambda online: ev._add(ev.states, online),
                        backoff_base=kw.pop("backoff_base", 0.01), backoff_cap=kw.pop("backoff_cap", 0.05),
                        rng=random.Random(5), **kw)
        started.append(sender)
        sender.start()
        return sender, ev

    yield make
    for s in started:
        s.stop()


def _server_refs(sim) -> Counter:
    return Counter(i["local_ref"] for i in BackendClient(sim.url, TOKEN).find_dossiers())


def test_every_dossier_is_delivered_and_acknowledged(sim, outbox, make_sender):
    refs = [outbox.add(sample_dossier(i)).local_ref for i in range(5)]
    sender, ev = make_sender()
    assert sender.flush(30)
    assert [a[0] for a in ev.acked] == refs  # oldest first
    assert all(outbox.get(r).state == "acknowledged" and outbox.get(r).dossier_code for r in refs)
    assert ev.acked[0][1] == outbox.get(refs[0]).dossier_code and ev.acked[0][2]
    assert _server_refs(sim) == Counter(refs)
    assert ev.states == [True]


def test_5xx_and_dropped_connections_still_deliver_exactly_once(sim, outbox, make_sender):
    sim.faults.error_rate, sim.faults.drop_rate = 0.25, 0.25
    refs = [outbox.add(sample_dossier(i)).local_ref for i in range(40)]
    sender, ev = make_sender()
    assert sender.flush(60)
    sim.faults.clear()
    assert _server_refs(sim) == Counter(refs)  # each exactly once
    assert sim.stats["drop"] > 0 and sum(sim.stats[s] for s in (500, 502, 503, 504)) > 0
    assert outbox.status()["acknowledged"] == 40


def test_an_outage_that_ends(sim, outbox, make_sender):
    sim.pause()
    ref = outbox.add(sample_dossier(0)).local_ref
    sender, ev = make_sender()
    ev.wait_for(lambda: ev.states == [False])
    item = outbox.get(ref)
    assert item.state == "pending" and item.attempts >= 1 and "ConnectError" in item.last_error
    sim.resume()
    sender.wake()
    ev.wait_for(lambda: ev.acked)
    assert ev.states == [False, True]
    assert _server_refs(sim) == Counter([ref])


def test_flush_reports_failure_while_the_backend_is_down(sim, outbox, make_sender):
    sim.pause()
    outbox.add(sample_dossier(0))
    sender, ev = make_sender()
    assert sender.flush(1.0) is False
    assert outbox.status()["undelivered"] == 1  # still there, nothing lost


def test_429_retry_after_holds_every_dossier_and_flush_honours_it(sim, outbox, make_sender):
    """`kiosk outbox flush` against 429 Retry-After: 120 used to send a POST every 0.5 s."""
    sim.faults.script(FaultAction(status=429, headers={"Retry-After": "3600"}, path_prefix="/api/v1/dossiers"))
    ref = outbox.add(sample_dossier(0)).local_ref
    other = outbox.add(sample_dossier(1)).local_ref
    before = time.time()
    sender, ev = make_sender()
    ev.wait_for(lambda: ev.states == [False])
    assert outbox.get(ref).next_attempt_at >= before + 3600
    assert sender.flush(1.5) is False  # the backend asked for an hour: flush waits, it does not push
    sender.wake()
    assert sender.flush(0.5) is False
    assert sim.stats[429] == 1 and sim.stats[201] == 0  # one request in all, the other dossier held too
    assert outbox.get(other).state == "pending"
    assert sender.health()["held_for_s"] > 3000 and sender.health()["alive"]


def test_one_failing_dossier_does_not_hold_the_others_back(sim, outbox, make_sender):
    """A backend answering 500 to one dossier only: it waits on its own backoff, the rest go."""
    poisoned = outbox.add(sample_dossier(0)).local_ref
    sim.faults.script(FaultAction(status=500, path_prefix="/api/v1/dossiers", body_contains=poisoned.encode(),
                                  sticky=True))
    others = [outbox.add(sample_dossier(i)).local_ref for i in range(1, 4)]
    sender, ev = make_sender(backoff_base=0.5, backoff_cap=5.0)
    ev.wait_for(lambda: len(ev.acked) == 3)
    assert sorted(a[0] for a in ev.acked) == sorted(others)
    assert outbox.get(poisoned).state == "pending" and outbox.get(poisoned).attempts >= 1


def test_a_missing_ca_file_does_not_end_the_sender(sim, outbox, tmp_path):
    """The client factory raising (FileNotFoundError for the CA) used to end the thread for good."""
    ref = outbox.add(sample_dossier(0)).local_ref
    calls: list[int] = []
    ev = Events()

    def factory() -> BackendClient:
        calls.append(1)
        if len(calls) == 1:  # the technician has not copied the CA file yet
            return BackendClient("https://127.0.0.1:1", TOKEN, ca_file=tmp_path / "missing-ca.pem")
        return BackendClient(sim.url, TOKEN, max_retries=1)

    sender = Sender(tmp_path / "data" / DB_NAME, tmp_path / "data" / KEY_NAME, factory,
                    on_acknowledged=lambda *a: ev._add(ev.acked, a), backoff_base=0.01, backoff_cap=0.05)
    sender.start()
    try:
        ev.wait_for(lambda: ev.acked)
        assert ev.acked[0][0] == ref and sender.is_alive()
        assert sender.errors == 1 and sender.health()["last_error"] == "FileNotFoundError"
    finally:
        sender.stop()


def test_a_corrupt_answer_from_a_proxy_does_not_end_the_sender(sim, outbox, tmp_path):
    """httpx.DecodingError (a mangled gzip body) used to escape the round and end the thread."""
    from helpers.backend import RawServer

    def corrupt(conn, server):
        body = b"\x1f\x8b\x08\x00garbage" * 3
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)

    ref = outbox.add(sample_dossier(0)).local_ref
    target = {"url": None}
    ev = Events()
    with RawServer(corrupt) as proxy:
        target["url"] = proxy.url
        sender = Sender(tmp_path / "data" / DB_NAME, tmp_path / "data" / KEY_NAME,
                        lambda: BackendClient(target["url"], TOKEN, max_retries=0),
                        on_acknowledged=lambda *a: ev._add(ev.acked, a), backoff_base=0.01, backoff_cap=0.05)
        sender.start()
        try:
            wait_for_files(tmp_path / "data", lambda: outbox.get(ref).attempts >= 2, 20, "two attempts")
            assert sender.is_alive() and "DecodingError" in outbox.get(ref).last_error
        finally:
            sender.stop()


def test_a_4xx_is_rejected_kept_and_reported_while_others_go_on(sim, outbox, make_sender):
    good1 = outbox.add(sample_dossier(0)).local_ref
    bad = sample_dossier(1)
    bad = type(bad)(**{**bad.__dict__, "ward_code": "ABCDE"})  # not a ward code: 400 from the backend
    bad_ref = outbox.add(bad).local_ref
    good2 = outbox.add(sample_dossier(2)).local_ref
    sender, ev = make_sender()
    assert sender.flush(30)
    assert [r[0] for r in ev.rejected] == [bad_ref] and ev.rejected[0][1] == 400
    assert ev.rejected[0][2]["vi"] and ev.rejected[0][2]["en"]
    item = outbox.get(bad_ref)
    assert item.state == "rejected" and item.has_payload and item.problem["status"] == 400
    assert _server_refs(sim) == Counter([good1, good2])


def test_a_reused_key_with_another_body_is_rejected_not_duplicated(sim, outbox, make_sender):
    d = sample_dossier(0, local_ref="L-KIOSK-01-261124-0001")
    other = sample_dossier(1, local_ref="L-KIOSK-01-261124-0001")
    BackendClient(sim.url, TOKEN).submit_dossier(other.to_payload(), d.idempotency_key)
    outbox.add(d)
    sender, ev = make_sender()
    assert sender.flush(30)
    assert ev.rejected[0][1] == 422
    assert len(BackendClient(sim.url, TOKEN).find_dossiers()) == 1


def test_a_wrong_token_keeps_dossiers_pending(sim, outbox, make_sender):
    ref = outbox.add(sample_dossier(0)).local_ref
    sender, ev = make_sender(token="not-the-token")
    ev.wait_for(lambda: ev.states == [False])
    assert outbox.get(ref).state == "pending" and ev.rejected == []
