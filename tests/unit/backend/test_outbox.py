"""The outbox keeps every dossier, durably and encrypted, until the backend has it."""

from __future__ import annotations

import sqlite3
import stat
import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from kiosk.backend.outbox import DB_NAME, KEY_NAME, MAX_RETRY_DELAY_S, Outbox, OutboxError
from kiosk.core.dossier import sample_dossier


@pytest.fixture
def outbox(tmp_path):
    ob = Outbox.in_data_dir(tmp_path)
    yield ob
    ob.close()


def test_an_added_dossier_is_committed_for_any_other_reader(tmp_path, outbox):
    item = outbox.add(sample_dossier(0))
    assert item.state == "pending" and item.local_ref.startswith("L-KIOSK-01-")
    other = sqlite3.connect(tmp_path / DB_NAME)  # e.g. a process started after a power cut
    assert other.execute("SELECT local_ref, idempotency_key FROM outbox").fetchall() == [
        (item.local_ref, item.idempotency_key)]
    assert outbox._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_local_refs_count_up_and_survive_a_restart(tmp_path, outbox):
    refs = [outbox.add(sample_dossier(i)).local_ref for i in range(3)]
    outbox.close()
    again = Outbox.in_data_dir(tmp_path)
    refs.append(again.add(sample_dossier(0)).local_ref)
    assert [r[-4:] for r in refs] == ["0001", "0002", "0003", "0004"]
    assert len({r[:-4] for r in refs}) == 1


def test_adding_the_same_dossier_twice_keeps_one(outbox):
    d = sample_dossier(0, local_ref="L-KIOSK-01-261124-0042")
    assert outbox.add(d) == outbox.add(d)
    assert outbox.status()["pending"] == 1


def test_personal_data_is_encrypted_at_rest_with_a_0600_key_outside_the_db(tmp_path, outbox):
    d = sample_dossier(0)
    outbox.add(d)
    outbox.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(DB_NAME))
    for secret in (d.applicant.id_number, d.applicant.full_name, "Hàng Bài"):
        assert secret.encode() not in raw
    key = tmp_path / KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes().strip() not in raw


def test_a_different_key_is_refused_with_a_clear_message(tmp_path, outbox):
    outbox.add(sample_dossier(0))
    outbox.close()
    (tmp_path / KEY_NAME).unlink()
    with pytest.raises(OutboxError) as info:
        Outbox.in_data_dir(tmp_path)
    assert info.value.message["vi"] and info.value.message["en"]


def test_acknowledgement_keeps_the_code_and_purges_the_payload(outbox):
    d = sample_dossier(0)
    item = outbox.add(d)
    assert outbox.dossier(item.local_ref).applicant.id_number == d.applicant.id_number
    outbox.mark_sent(item.local_ref)
    outbox.mark_acknowledged(item.local_ref, "00073-261124-0001", "2026-11-27", "2026-11-24T08:00:00Z")
    acked = outbox.get(item.local_ref)
    assert (acked.state, acked.dossier_code, acked.appointment_date) == (
        "acknowledged", "00073-261124-0001", "2026-11-27")
    assert not acked.has_payload and acked.id_masked is None and acked.acknowledged_at
    with pytest.raises(OutboxError):
        outbox.payload(item.local_ref)


def test_a_rejected_dossier_stays_visible_with_its_payload_and_can_be_requeued(outbox):
    item = outbox.add(sample_dossier(0))
    outbox.mark_sent(item.local_ref)
    outbox.mark_rejected(item.local_ref, 422, {"title": "Unprocessable", "code": "idempotency_key_reused"})
    rejected = outbox.get(item.local_ref)
    assert rejected.state == "rejected" and rejected.rejected_status == 422 and rejected.has_payload
    assert rejected.id_masked == "0010******45"
    assert outbox.status()["rejected"] == 1 and outbox.pending() == []
    outbox.requeue(item.local_ref)
    assert [i.local_ref for i in outbox.due()] == [item.local_ref]


def test_retry_schedules_the_next_attempt(outbox):
    a, b = outbox.add(sample_dossier(0)), outbox.add(sample_dossier(1))
    outbox.mark_sent(a.local_ref)
    when = time.time() + 600
    outbox.mark_retry(a.local_ref, "ConnectError", next_attempt_at=when)
    assert [i.local_ref for i in outbox.due(now=when - 1)] == [b.local_ref]
    assert [i.local_ref for i in outbox.due(now=when + 1)] == [a.local_ref, b.local_ref]
    assert outbox.get(a.local_ref).attempts == 1 and outbox.get(a.local_ref).last_error == "ConnectError"


def test_a_clock_that_went_back_does_not_strand_a_dossier(outbox):
    item = outbox.add(sample_dossier(0))
    outbox.mark_retry(item.local_ref, "HTTP 429", next_attempt_at=time.time() + 86_400)  # a silly Retry-After
    assert outbox.get(item.local_ref).next_attempt_at <= time.time() + MAX_RETRY_DELAY_S
    scheduled = outbox.get(item.local_ref).next_attempt_at
    assert outbox.due(now=scheduled - 600) == []
    # The kiosk rebooted with its RTC two days behind: the attempt is not two days away.
    assert [i.local_ref for i in outbox.due(now=scheduled - 2 * 86_400)] == [item.local_ref]


class OutboxMachine(RuleBasedStateMachine):
    """Any sequence of adds, sends, failures, answers and restarts keeps the outbox consistent:
    nothing lost, nothing purged early, acknowledged and rejected are final."""

    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        import tempfile
        from pathlib import Path

        self._dir = tempfile.TemporaryDirectory()
        self.path = Path(self._dir.name)
        self.outbox = Outbox.in_data_dir(self.path)
        self.model: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        self.n = 0

    @initialize()
    def start(self) -> None:
        pass

    @rule(target=refs, citizen=st.integers(0, 2))
    def add(self, citizen: int) -> str:
        d = sample_dossier(citizen)
        ref = self.outbox.add(d).local_ref
        assert ref not in self.model
        self.model[ref] = "pending"
        self.ids[ref] = d.applicant.id_number
        return ref

    @rule(ref=refs)
    def send(self, ref: str) -> None:
        self.outbox.mark_sent(ref)
        if self.model[ref] in ("pending", "sent"):
            self.model[ref] = "sent"

    @rule(ref=refs)
    def fail(self, ref: str) -> None:
        self.outbox.mark_retry(ref, "timeout", 0.0)
        if self.model[ref] in ("pending", "sent"):
            self.model[ref] = "pending"

    @rule(ref=refs)
    def acknowledge(self, ref: str) -> None:
        self.n += 1
        code = f"00073-261124-{self.n:04d}"
        self.outbox.mark_acknowledged(ref, code, "2026-11-27")
        if self.model[ref] in ("pending", "sent"):
            self.model[ref] = "acknowledged"
            self.codes[ref] = code

    @rule(ref=refs, status=st.sampled_from([400, 413, 422]))
    def reject(self, ref: str, status: int) -> None:
        self.outbox.mark_rejected(ref, status, {"title": "x"})
        if self.model[ref] in ("pending", "sent"):
            self.model[ref] = "rejected"

    @rule()
    def restart(self) -> None:  # a power cut between any two steps
        self.outbox.close()
        self.outbox = Outbox.in_data_dir(self.path)

    @invariant()
    def matches_the_model(self) -> None:
        items = {i.local_ref: i for i in self.outbox.items()}
        assert {r: i.state for r, i in items.items()} == self.model
        for ref, item in items.items():
            if item.state == "acknowledged":
                assert not item.has_payload and item.dossier_code == self.codes[ref]
            else:
                assert self.outbox.payload(ref)["applicant"]["id_number"] == self.ids[ref]
        status = self.outbox.status()
        assert status["undelivered"] == sum(s in ("pending", "sent") for s in self.model.values())
        assert {i.local_ref for i in self.outbox.due(now=float("inf"))} == {
            r for r, s in self.model.items() if s in ("pending", "sent")}

    def teardown(self) -> None:
        self.outbox.close()
        self._dir.cleanup()


OutboxMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
test_outbox_state_machine = OutboxMachine.TestCase


def test_an_outbox_failure_is_named_by_its_cause():
    import errno
    import sqlite3

    from kiosk.backend.outbox import STORAGE_FAULTS, storage_fault

    assert storage_fault(OSError(errno.ENOSPC, "No space left on device")) == "full"
    assert storage_fault(sqlite3.OperationalError("database or disk is full")) == "full"
    assert storage_fault(sqlite3.OperationalError("attempt to write a readonly database")) == "read_only"
    assert storage_fault(OSError(errno.EROFS, "Read-only file system")) == "read_only"
    assert storage_fault(sqlite3.DatabaseError("file is not a database")) == "damaged"
    assert storage_fault(sqlite3.DatabaseError("database disk image is malformed")) == "damaged"
    assert storage_fault(sqlite3.OperationalError("unable to open database file")) == "unavailable"
    assert all(text["vi"] and text["en"] for text in STORAGE_FAULTS.values())
