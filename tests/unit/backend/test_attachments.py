"""Issue 24: photographed pages go with the dossier -- after it, in parts, resumable, exactly once.

The simulator's rules (overlap idempotent, gap 409, unknown 404, size and checksum 422, one completion), the
client's calls, the outbox's storage and purge (data, then the data key, from the file and the WAL), the
migration from schema version 1, and the sender's uploads through drops, restarts, 409s and bad checksums."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import sqlite3
import threading
import time

import pytest
from helpers.backend import TOKEN, with_attachments

from kiosk.backend.client import AttachmentGap, BackendClient, NotFound, Rejected
from kiosk.backend.contract import schema_errors
from kiosk.backend.outbox import DB_NAME, KEY_NAME, SCHEMA_VERSION, Outbox, OutboxError
from kiosk.backend.sender import Sender
from kiosk.backend.sim import FaultAction
from kiosk.core.dossier import Attachment, Dossier, sample_dossier

KB = 1024


# --- the dossier -----------------------------------------------------------------------------------

def test_an_attachment_checks_its_sha256_and_the_payload_carries_only_its_manifest():
    data = b"\xff\xd8\xff" + bytes(range(256)) * 40
    with pytest.raises(ValueError):
        Attachment(document=0, page=1, content_type="image/jpeg", data=data, sha256="0" * 64)
    page = Attachment.of(1, 2, data, flags=("blur",), document_name={"vi": "Giấy khai sinh", "en": "Birth cert"})
    assert page.sha256 == hashlib.sha256(data).hexdigest() and page.size == len(data)
    assert "data" not in repr(page) and str(data[:8]) not in repr(page)
    assert page.manifest() == {"document": 1, "page": 2, "content_type": "image/jpeg", "size": len(data),
                               "sha256": page.sha256, "flags": ["blur"],
                               "document_name": {"vi": "Giấy khai sinh", "en": "Birth cert"}}
    plain = sample_dossier(0, local_ref="L-KIOSK-01-261124-0001")
    assert "attachments" not in plain.to_payload()  # older payloads (and their idempotent digests) unchanged
    dossier = dataclasses.replace(plain, attachments=[page])
    payload = dossier.to_payload()
    assert payload["attachments"] == [page.manifest()] and not schema_errors("DossierSubmission", payload)
    restored = Dossier.from_payload(payload, dossier.idempotency_key).attachments
    assert restored[0].manifest() == page.manifest() and restored[0].data == b""


# --- the simulator and the client ------------------------------------------------------------------

@pytest.fixture
def filed(client):
    """A dossier with two pages (300 KB and 40 KB) acknowledged by the simulator: (dossier, receipt)."""
    dossier = with_attachments(sample_dossier(0, local_ref="L-KIOSK-01-261124-0001"), [300 * KB, 40 * KB],
                               random.Random(1))
    receipt = client.submit_dossier(dossier.to_payload(), dossier.idempotency_key)
    return dossier, receipt


def test_the_receipt_lists_what_the_backend_holds(client, filed):
    dossier, receipt = filed
    assert not schema_errors("DossierReceipt", receipt)
    assert receipt["attachments"] == [{"sha256": a.sha256, "size": a.size, "received": 0, "complete": False}
                                      for a in dossier.attachments]


def test_parts_overlap_idempotently_a_gap_is_409_and_the_last_byte_completes_once(sim, client, filed):
    dossier, receipt = filed
    code, key, page = receipt["dossier_code"], dossier.idempotency_key, dossier.attachments[0]
    data, size = page.data, page.size
    state = client.put_attachment_part(code, page.sha256, 0, data[:100 * KB], size, key)
    assert state == {"sha256": page.sha256, "size": size, "received": 100 * KB, "complete": False}
    assert not schema_errors("AttachmentState", state)
    # the same part again, and one overlapping what is held: accepted, the overlap ignored
    assert client.put_attachment_part(code, page.sha256, 0, data[:100 * KB], size, key)["received"] == 100 * KB
    assert client.put_attachment_part(code, page.sha256, 50 * KB, data[50 * KB:150 * KB], size,
                                      key)["received"] == 150 * KB
    with pytest.raises(AttachmentGap) as gap:  # beyond what is held: resume at received
        client.put_attachment_part(code, page.sha256, 200 * KB, data[200 * KB:], size, key)
    assert gap.value.status == 409 and gap.value.received == 150 * KB
    assert gap.value.problem["code"] == "attachment_gap"
    held = client.attachments(code)
    assert held[0] == {"sha256": page.sha256, "size": size, "received": 150 * KB, "complete": False,
                       "document": 0, "page": 1}
    assert not schema_errors("AttachmentList", {"attachments": held})
    done = client.put_attachment_part(code, page.sha256, 150 * KB, data[150 * KB:], size, key)
    assert done == {"sha256": page.sha256, "size": size, "received": size, "complete": True}
    # resent after completion (a drop after the answer): the same answer, no second completion
    assert client.put_attachment_part(code, page.sha256, 150 * KB, data[150 * KB:], size, key)["complete"]
    assert client.put_attachment_part(code, page.sha256, 0, data[:10], size, key)["complete"]
    assert sim.store.attachment_data(code, page.sha256) == data
    completions = {a["sha256"]: a["completions"] for a in sim.store.attachment_completions(code)}
    assert completions == {page.sha256: 1, dossier.attachments[1].sha256: 0}
    # the sim-only listing and the dossier's record say the same
    listed = client._call("lookup", "GET", "/api/v1/sim/attachments")
    assert not schema_errors("SimAttachmentList", listed)
    assert [a["completions"] for a in listed["attachments"]] == [1, 0]
    record = client.get_dossier(code)
    assert not schema_errors("DossierRecord", record)
    assert [a["complete"] for a in record["attachments"]] == [True, False]
    replay = client.submit_dossier(dossier.to_payload(), key)  # the idempotent replay says it too
    assert replay["dossier_code"] == code and [a["received"] for a in replay["attachments"]] == [size, 0]


def test_unknown_sha_wrong_size_wrong_key_and_a_bad_checksum_are_refused(sim, client, filed):
    dossier, receipt = filed
    code, key, page = receipt["dossier_code"], dossier.idempotency_key, dossier.attachments[1]
    with pytest.raises(NotFound):
        client.put_attachment_part(code, "ab" * 32, 0, b"x" * 10, 10, key)
    with pytest.raises(NotFound):
        client.attachments("00073-261124-0999")
    with pytest.raises(Rejected) as size:
        client.put_attachment_part(code, page.sha256, 0, page.data[:10], page.size + 1, key)
    assert size.value.status == 422 and size.value.problem["code"] == "attachment_size_mismatch"
    with pytest.raises(Rejected) as other_key:
        client.put_attachment_part(code, page.sha256, 0, page.data[:10], page.size, "another-key-0000")
    assert other_key.value.status == 422 and other_key.value.problem["code"] == "idempotency_key_mismatch"
    corrupt = bytearray(page.data)
    corrupt[-1] ^= 0xFF  # one bit flipped in transit
    client.put_attachment_part(code, page.sha256, 0, bytes(corrupt[:20 * KB]), page.size, key)
    with pytest.raises(Rejected) as checksum:
        client.put_attachment_part(code, page.sha256, 20 * KB, bytes(corrupt[20 * KB:]), page.size, key)
    assert checksum.value.status == 422 and checksum.value.problem["code"] == "attachment_checksum"
    assert checksum.value.message["vi"] and checksum.value.message["en"]
    # what was held is discarded: the upload starts again from 0, and then completes
    assert client.attachments(code)[1]["received"] == 0
    assert client.put_attachment_part(code, page.sha256, 0, page.data, page.size, key)["complete"]
    assert [a["completions"] for a in sim.store.attachment_completions(code)] == [0, 1]


def test_attachment_calls_honour_retry_after_and_the_part_size_cap(sim, client, filed, slept):
    dossier, receipt = filed
    code, key, page = receipt["dossier_code"], dossier.idempotency_key, dossier.attachments[1]
    sim.faults.script(FaultAction(status=503, headers={"Retry-After": "2"}, path_prefix=f"/api/v1/dossiers/{code}"))
    assert client.put_attachment_part(code, page.sha256, 0, page.data, page.size, key)["complete"]
    assert slept == [2.0]
    big = dossier.attachments[0]
    raw = BackendClient(sim.url, TOKEN, max_retries=0)
    with pytest.raises(Rejected) as too_large:  # a part over 1 MiB
        raw._call("attachment", "PUT", f"/api/v1/dossiers/{code}/attachments/{big.sha256}",
                  content=b"x" * (1024 * KB + 1), headers={"Idempotency-Key": key,
                                                          "Content-Type": "application/octet-stream",
                                                          "Content-Range": f"bytes 0-{1024 * KB}/{big.size}"})
    assert too_large.value.status == 413
    with pytest.raises(Rejected) as bad_range:  # the range does not match the body
        raw._call("attachment", "PUT", f"/api/v1/dossiers/{code}/attachments/{big.sha256}", content=b"x" * 10,
                  headers={"Idempotency-Key": key, "Content-Type": "application/octet-stream",
                           "Content-Range": f"bytes 0-99/{big.size}"})
    assert bad_range.value.status == 400 and bad_range.value.problem["code"] == "invalid_range"
    raw.close()


# --- the outbox -------------------------------------------------------------------------------------

@pytest.fixture
def outbox(tmp_path):
    ob = Outbox.in_data_dir(tmp_path / "data")
    yield ob
    ob.close()


def _files(folder):
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def test_attachments_are_committed_encrypted_with_their_dossier(tmp_path, outbox):
    dossier = with_attachments(sample_dossier(0), [50 * KB, 30 * KB, 50 * KB], random.Random(2))
    dossier = dataclasses.replace(dossier, attachments=[*dossier.attachments, dossier.attachments[0]])  # a repeat
    item = outbox.add(dossier)
    other = sqlite3.connect(tmp_path / "data" / DB_NAME)  # committed: any other reader sees them
    assert other.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 3
    other.close()
    for page in dossier.attachments:
        assert page.data[:64] not in _files(tmp_path / "data")
        assert outbox.attachment_data(item.local_ref, page.sha256) == page.data
    status = outbox.status()
    assert status["attachments_pending"] == 3 and status["attachments_rejected"] == 0
    assert status["attachments_bytes"] > 130 * KB
    assert [(a.page, a.size, a.received, a.state) for a in outbox.attachments(item.local_ref)] == [
        (1, 50 * KB, 0, "pending"), (2, 30 * KB, 0, "pending"), (3, 50 * KB, 0, "pending")]
    assert outbox.attachments_due() == []  # not before the dossier is acknowledged
    with pytest.raises(OutboxError):  # a manifest without its bytes cannot be queued
        outbox.add(dataclasses.replace(sample_dossier(1), attachments=[
            Attachment.from_manifest(dossier.attachments[0].manifest())]))


def test_a_full_disk_while_adding_loses_nothing_already_committed(tmp_path, outbox):
    kept = outbox.add(with_attachments(sample_dossier(0), [20 * KB], random.Random(3)))
    (pages,) = outbox._conn.execute("PRAGMA page_count").fetchone()
    outbox._conn.execute(f"PRAGMA max_page_count = {pages + 20}")  # the disk fills up mid-transaction
    with pytest.raises(sqlite3.Error, match="full"):
        outbox.add(with_attachments(sample_dossier(1), [400 * KB], random.Random(4)))
    assert [i.local_ref for i in outbox.items()] == [kept.local_ref]
    assert len(outbox.attachments()) == 1 and outbox.attachment_data(kept.local_ref, outbox.attachments()[0].sha256)


def _secret_fragment(outbox, local_ref, sha256) -> bytes:
    (blob,) = outbox._conn.execute("SELECT data FROM attachments WHERE local_ref = ? AND sha256 = ?",
                                   (local_ref, sha256)).fetchone()
    return bytes(blob[len(blob) // 2:len(blob) // 2 + 48])  # a piece of the ciphertext, inside one page


def test_the_data_key_outlives_the_payload_until_the_last_attachment_is_complete(tmp_path, outbox):
    from test_outbox_integrity import _everything_that_decrypts

    data = tmp_path / "data"
    dossier = with_attachments(sample_dossier(0), [60 * KB, 70 * KB], random.Random(5))
    ref = outbox.add(dossier).local_ref
    reader = Outbox.in_data_dir(data)  # another thread's connection, as in the running kiosk
    try:
        first, second = dossier.attachments
        fragments = [_secret_fragment(outbox, ref, a.sha256) for a in dossier.attachments]
        assert all(f in _files(data) for f in fragments)
        reader.status()
        outbox.mark_sent(ref)
        outbox.mark_acknowledged(ref, "00073-261202-0001")
        assert not outbox.get(ref).has_payload
        assert outbox.attachment_data(ref, first.sha256) == first.data  # the key is kept for the uploads
        assert [a.local_ref for a in outbox.attachments_due()] == [ref, ref]
        outbox.mark_attachment_progress(ref, first.sha256, 10 * KB)
        assert outbox.attachments(ref)[0].received == 10 * KB
        outbox.mark_attachment_complete(ref, first.sha256)
        assert fragments[0] not in _files(data) and fragments[1] in _files(data)
        assert outbox.status()["attachments_pending"] == 1
        assert outbox.attachment_data(ref, second.sha256) == second.data
        with pytest.raises(OutboxError):
            outbox.attachment_data(ref, first.sha256)
        outbox.mark_attachment_complete(ref, second.sha256)
        assert reader.get(ref).dossier_code == "00073-261202-0001"
        raw = _files(data)
        assert not any(f in raw for f in fragments)  # zeroed in the file, gone from the WAL
        key = (data / KEY_NAME).read_bytes().strip()
        plain = b"".join(_everything_that_decrypts(sorted(p for p in data.iterdir() if p.is_file()), key))
        assert dossier.applicant.id_number.encode() not in plain and not plain.strip()
        assert outbox._conn.execute("SELECT COUNT(*) FROM dossier_keys").fetchone()[0] == 0
        status = outbox.status()
        assert status["attachments_pending"] == 0 and status["attachments_bytes"] == 0
        assert outbox.attachment_counts(ref) == (2, 2)
    finally:
        reader.close()


def test_a_rejected_attachment_is_kept_with_its_key_and_counted(outbox):
    dossier = with_attachments(sample_dossier(0), [10 * KB], random.Random(6))
    ref = outbox.add(dossier).local_ref
    outbox.mark_acknowledged(ref, "00073-261202-0001")
    sha = dossier.attachments[0].sha256
    outbox.mark_attachment_rejected(ref, sha, 422, {"code": "attachment_checksum", "title": "x"})
    status = outbox.status()
    assert status["attachments_rejected"] == 1 and status["attachments_pending"] == 0
    assert outbox.attachment_data(ref, sha) == dossier.attachments[0].data
    assert outbox.attachments(ref)[0].problem["code"] == "attachment_checksum"
    outbox.requeue_attachment(ref, sha)
    assert [a.sha256 for a in outbox.attachments_due()] == [sha]


def test_a_version_1_database_migrates_keeping_its_dossiers(tmp_path):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        old = outbox.add(sample_dossier(0)).local_ref
    conn = sqlite3.connect(data / DB_NAME)  # as the release before attachments left it
    conn.execute("DROP TABLE attachments")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Outbox.in_data_dir(data) as outbox:
        assert outbox._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert outbox.lost() is None
        assert outbox.dossier(old).applicant.id_number == sample_dossier(0).applicant.id_number
        new = outbox.add(with_attachments(sample_dossier(1), [5 * KB], random.Random(7)))
        assert outbox.status()["attachments_pending"] == 1 and new.local_ref != old


# --- the sender ------------------------------------------------------------------------------------

class Recorder(BackendClient):
    """Records each call (``POST ref`` / ``PUT sha start`` / ``GET code``); ``on_put`` may act before a part."""

    calls: list[str]
    on_put = None
    stale: dict[str, int] | None = None  # received values a lying GET reports

    def submit_dossier(self, payload, idempotency_key):
        self.calls.append(f"POST {payload['local_ref']}")
        return super().submit_dossier(payload, idempotency_key)

    def put_attachment_part(self, dossier_code, sha256, start, chunk, total, idempotency_key):
        self.calls.append(f"PUT {sha256[:8]} {start}")
        if self.on_put is not None:
            chunk = self.on_put(sha256, start, chunk) or chunk
        return super().put_attachment_part(dossier_code, sha256, start, chunk, total, idempotency_key)

    def attachments(self, dossier_code):
        self.calls.append(f"GET {dossier_code}")
        held = super().attachments(dossier_code)
        if self.stale:
            held = [{**a, "received": self.stale.get(a["sha256"], a["received"])} for a in held]
        return held


@pytest.fixture
def make_sender(tmp_path, sim):
    started: list[Sender] = []

    def make(on_put=None, stale=None, **kw):
        calls: list[str] = []
        progress: list[tuple] = []
        cond = threading.Condition()
        retries = kw.pop("max_retries", 1)

        def factory():
            c = Recorder(sim.url, TOKEN, max_retries=retries, backoff_base=0.01,
                         backoff_cap=0.05)
            c.calls, c.on_put, c.stale = calls, on_put, stale
            return c

        def on_attachments(*args):
            with cond:
                progress.append(args)
                cond.notify_all()

        sender = Sender(tmp_path / "data" / DB_NAME, tmp_path / "data" / KEY_NAME, factory,
                        on_attachments=on_attachments, backoff_base=0.01, backoff_cap=0.05,
                        rng=random.Random(5), part_bytes=kw.pop("part_bytes", 64 * KB), **kw)
        started.append(sender)
        sender.start()
        return sender, calls, progress

    yield make
    for s in started:
        s.stop()


def _delivered_once(sim, outbox, dossiers) -> None:
    """Every attachment of these dossiers arrived whole, completed exactly once; no bytes left in the outbox."""
    for dossier in dossiers:
        code = outbox.get(dossier.local_ref).dossier_code
        held = {a["sha256"]: a["completions"] for a in sim.store.attachment_completions(code)}
        assert held == {a.sha256: 1 for a in dossier.attachments}
        for page in dossier.attachments:
            assert hashlib.sha256(sim.store.attachment_data(code, page.sha256)).hexdigest() == page.sha256
    assert outbox.status()["attachments_bytes"] == 0 and outbox.status()["attachments_pending"] == 0


def _queued(outbox, index, sizes, seed):
    dossier = with_attachments(sample_dossier(index), sizes, random.Random(seed))
    return dataclasses.replace(dossier, local_ref=outbox.add(dossier).local_ref)


def test_the_dossier_goes_first_then_its_attachments_part_by_part(sim, outbox, make_sender):
    dossier = _queued(outbox, 0, [150 * KB, 20 * KB], 8)
    sender, calls, progress = make_sender()
    assert sender.flush(30)
    first, second = (a.sha256[:8] for a in dossier.attachments)
    assert calls == [f"POST {dossier.local_ref}", f"PUT {first} 0", f"PUT {first} {64 * KB}",
                     f"PUT {first} {128 * KB}", f"PUT {second} 0"]
    assert progress == [(dossier.local_ref, 0, 2), (dossier.local_ref, 1, 2), (dossier.local_ref, 2, 2)]
    _delivered_once(sim, outbox, [dossier])
    assert outbox._conn.execute("SELECT COUNT(*) FROM dossier_keys").fetchone()[0] == 0


def test_a_new_dossier_does_not_wait_behind_an_upload(tmp_path, sim, outbox, make_sender):
    big = _queued(outbox, 0, [300 * KB], 9)
    added: list[Dossier] = []

    def citizen_arrives(sha, start, chunk):
        if start == 64 * KB and not added:  # a citizen confirms a dossier while the pages upload
            with Outbox.in_data_dir(tmp_path / "data") as other:
                added.append(dataclasses.replace(sample_dossier(1), local_ref=other.add(sample_dossier(1)).local_ref))

    sender, calls, progress = make_sender(on_put=citizen_arrives)
    assert sender.flush(30)
    sha = big.attachments[0].sha256[:8]
    assert calls[:5] == [f"POST {big.local_ref}", f"PUT {sha} 0", f"PUT {sha} {64 * KB}",
                         f"POST {added[0].local_ref}", f"PUT {sha} {128 * KB}"]
    _delivered_once(sim, outbox, [big])


def test_a_kiosk_that_died_mid_attachment_resumes_where_the_backend_is(sim, outbox, make_sender):
    dossier = _queued(outbox, 0, [200 * KB], 10)
    page = dossier.attachments[0]
    # the previous process posted the dossier and sent 128 KB, and died before committing any of it
    with BackendClient(sim.url, TOKEN) as c:
        receipt = c.submit_dossier(outbox.payload(dossier.local_ref), dossier.idempotency_key)
        c.put_attachment_part(receipt["dossier_code"], page.sha256, 0, page.data[:128 * KB], page.size,
                              dossier.idempotency_key)
    sender, calls, progress = make_sender()
    assert sender.flush(30)
    # the replayed POST says 128 KB are held: the upload goes on from there, nothing sent twice
    assert calls == [f"POST {dossier.local_ref}", f"PUT {page.sha256[:8]} {128 * KB}",
                     f"PUT {page.sha256[:8]} {192 * KB}"]
    _delivered_once(sim, outbox, [dossier])


def test_an_upload_cut_after_the_backend_took_a_part_resumes_without_a_second_completion(sim, outbox,
                                                                                          make_sender):
    dossier = _queued(outbox, 0, [100 * KB, 100 * KB], 11)
    code_path = "/api/v1/dossiers/00073"
    # the answer to each final part is lost: the backend completed it, the kiosk does not know
    sim.faults.script(FaultAction(drop="after", path_prefix=code_path, body_contains=dossier.attachments[0].data[-64:]),
                      FaultAction(drop="after", path_prefix=code_path, body_contains=dossier.attachments[1].data[-64:]))
    sender, calls, progress = make_sender(max_retries=0)
    assert sender.flush(30)
    assert sim.stats["drop"] == 2
    _delivered_once(sim, outbox, [dossier])
    assert progress[-1] == (dossier.local_ref, 2, 2)


def test_a_409_makes_the_sender_resume_at_the_received_it_names(sim, outbox, make_sender):
    dossier = _queued(outbox, 0, [200 * KB], 12)
    page = dossier.attachments[0]
    with BackendClient(sim.url, TOKEN) as c:  # an earlier process had the dossier acknowledged
        receipt = c.submit_dossier(outbox.payload(dossier.local_ref), dossier.idempotency_key)
    outbox.mark_sent(dossier.local_ref)
    outbox.mark_acknowledged(dossier.local_ref, receipt["dossier_code"])
    outbox.mark_attachment_retry(dossier.local_ref, page.sha256, "ReadTimeout", 0.0)  # and tried once
    # the GET says more than the backend holds (a lying proxy's cache): the first part is a 409 naming 0
    sender, calls, progress = make_sender(stale={page.sha256: 192 * KB})
    assert sender.flush(30)
    sha = page.sha256[:8]
    assert calls == [f"GET {receipt['dossier_code']}", f"PUT {sha} {192 * KB}", f"PUT {sha} 0",
                     f"PUT {sha} {64 * KB}", f"PUT {sha} {128 * KB}", f"PUT {sha} {192 * KB}"]
    _delivered_once(sim, outbox, [dossier])


def test_a_checksum_mismatch_marks_the_attachment_rejected_and_others_go_on(sim, outbox, make_sender):
    dossier = _queued(outbox, 0, [100 * KB, 30 * KB], 13)
    bad = dossier.attachments[0]

    def corrupt(sha, start, chunk):
        if sha == bad.sha256 and start == 64 * KB:
            return bytes([chunk[0] ^ 0xFF]) + chunk[1:]
        return None

    sender, calls, progress = make_sender(on_put=corrupt)
    assert sender.flush(30)  # a rejected attachment does not hold flush back
    states = {a.sha256: a for a in outbox.attachments(dossier.local_ref)}
    assert states[bad.sha256].state == "rejected" and states[bad.sha256].rejected_status == 422
    assert states[bad.sha256].problem["code"] == "attachment_checksum" and states[bad.sha256].has_data
    assert states[dossier.attachments[1].sha256].state == "complete"
    status = outbox.status()
    assert status["attachments_rejected"] == 1 and status["attachments_bytes"] > 0
    assert outbox.attachment_data(dossier.local_ref, bad.sha256) == bad.data  # kept, with its key


def test_retry_after_on_a_part_holds_the_uploads(sim, outbox, make_sender):
    dossier = _queued(outbox, 0, [100 * KB], 14)
    sim.faults.script(FaultAction(status=429, headers={"Retry-After": "3600"}, path_prefix="/api/v1/dossiers/0"))
    before = time.time()
    sender, calls, progress = make_sender()
    assert sender.flush(1.0) is False
    (att,) = outbox.attachments(dossier.local_ref)
    assert outbox.get(dossier.local_ref).state == "acknowledged"
    assert att.state == "pending" and att.next_attempt_at >= before + 3600 and "429" in att.last_error
    assert sender.health()["held_for_s"] > 3000 and sim.stats[429] == 1
    assert outbox.status()["attachments_pending"] == 1


def test_faults_and_drops_still_complete_every_attachment_exactly_once(sim, outbox, make_sender):
    sim.faults.error_rate, sim.faults.drop_rate = 0.2, 0.2
    dossiers = [_queued(outbox, i, [(20 + 37 * i) * KB] * (1 + i % 3), 100 + i) for i in range(6)]
    sender, calls, progress = make_sender()
    assert sender.flush(60)
    sim.faults.clear()
    assert sim.stats["drop"] > 0
    _delivered_once(sim, outbox, dossiers)
