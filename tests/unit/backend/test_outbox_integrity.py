"""A lost outbox is noticed and no provisional reference is ever issued twice; the schema migrates from
version 0 keeping its rows; a purged dossier leaves nothing that decrypts in any file of the data dir."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from kiosk.backend.outbox import DB_NAME, HWM_NAME, KEY_NAME, SCHEMA_VERSION, Outbox, OutboxError, OutboxLost
from kiosk.core.dossier import sample_dossier


def _remove_database(data: Path) -> None:
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (data / name).unlink(missing_ok=True)


def _issued(data: Path, count: int) -> list[str]:
    with Outbox.in_data_dir(data) as outbox:
        return [outbox.add(sample_dossier(i)).local_ref for i in range(count)]


def test_a_deleted_database_with_its_key_kept_refuses_dossiers_until_acknowledged(tmp_path):
    data = tmp_path / "data"
    before = _issued(data, 2)
    _remove_database(data)  # a bad restore, a file-system repair: the key survives

    with Outbox.in_data_dir(data) as outbox:
        assert outbox.status()["lost"] == "database_new"
        with pytest.raises(OutboxLost) as refused:
            outbox.add(sample_dossier(0))
        assert "báo cán bộ kỹ thuật" in refused.value.message["vi"]
        assert "Please tell the technician" in refused.value.message["en"]
        with pytest.raises(OutboxLost):
            outbox.new_local_ref("KIOSK-01")
    with Outbox.in_data_dir(data) as outbox:  # still lost after a restart: only the technician clears it
        assert outbox.lost() is not None
        acknowledged = outbox.acknowledge_loss()
        assert acknowledged["reason"] == "database_new" and acknowledged["acknowledged_at"]
        after = [outbox.add(sample_dossier(i)).local_ref for i in range(2)]
        assert outbox.status()["lost"] is None
    assert not set(before) & set(after)
    assert [r[-4:] for r in after] == ["0003", "0004"]  # numbering goes on above the mark
    with Outbox.in_data_dir(data) as outbox:  # acknowledged for good
        assert outbox.lost() is None


def test_an_emptied_database_file_is_noticed(tmp_path):
    data = tmp_path / "data"
    before = _issued(data, 1)
    (data / DB_NAME).write_bytes(b"")  # truncated to nothing: SQLite sees a new, empty database
    with Outbox.in_data_dir(data) as outbox:
        assert outbox.lost()["reason"] == "database_new"
        outbox.acknowledge_loss()
        assert outbox.add(sample_dossier(0)).local_ref not in before


def test_a_wal_deleted_after_a_crash_is_noticed_as_lost_rows(tmp_path):
    data, restored = tmp_path / "data", tmp_path / "restored"
    _issued(data, 1)  # checkpointed into the database file on close
    outbox = Outbox.in_data_dir(data)
    try:
        later = [outbox.add(sample_dossier(i)).local_ref for i in range(2)]  # still only in the WAL
        restored.mkdir()
        for name in (DB_NAME, KEY_NAME, HWM_NAME):  # the crash's WAL is gone
            shutil.copy2(data / name, restored / name)
    finally:
        outbox.close()
    with Outbox.in_data_dir(restored) as outbox:
        assert outbox.status()["pending"] == 1
        assert outbox.lost()["reason"] == "rows_lost"
        outbox.acknowledge_loss()
        again = outbox.add(sample_dossier(0)).local_ref
    assert again not in later and again.endswith("-0004")


def test_a_reference_reserved_but_never_committed_is_not_a_loss_and_is_skipped(tmp_path):
    """The mark is written before the commit: a power cut in between leaves the mark one ahead."""
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
        # the mark is on disk, then the transaction is abandoned (as a power cut would)
        outbox._conn.execute("BEGIN IMMEDIATE")
        reserved = outbox._allocate_local_ref("KIOSK-01", None)
        outbox._conn.execute("ROLLBACK")
    with Outbox.in_data_dir(data) as outbox:
        assert outbox.lost() is None
        assert outbox.add(sample_dossier(1)).local_ref not in (reserved,)


def test_an_outbox_older_than_the_mark_is_not_taken_for_a_lost_one(tmp_path):
    data = tmp_path / "data"
    before = _issued(data, 2)
    (data / HWM_NAME).unlink()  # as left by a version without the mark
    with Outbox.in_data_dir(data) as outbox:
        assert outbox.lost() is None
        assert outbox.add(sample_dossier(0)).local_ref not in before
    assert (data / HWM_NAME).exists()


# Today's (version 0) schema and encryption, as the release before the schema version wrote them.
_V0_SCHEMA = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, local_ref TEXT NOT NULL UNIQUE, idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'acknowledged', 'rejected')), payload BLOB,
    kiosk_id TEXT NOT NULL, procedure_code TEXT NOT NULL, ward_code TEXT NOT NULL, id_masked TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT, dossier_code TEXT, appointment_date TEXT,
    received_at TEXT, acknowledged_at REAL, rejected_status INTEGER, problem TEXT);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE local_ref_counters (kiosk_id TEXT, day TEXT, seq INTEGER NOT NULL, PRIMARY KEY (kiosk_id, day));
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_a_version_0_database_migrates_keeping_its_rows(tmp_path):
    import hashlib
    import json

    data = tmp_path / "data"
    data.mkdir()
    key = Fernet.generate_key()
    (data / KEY_NAME).write_bytes(key + b"\n")
    (data / KEY_NAME).chmod(0o600)
    dossier = sample_dossier(0, local_ref="L-KIOSK-01-261124-0007")
    conn = sqlite3.connect(data / DB_NAME)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_V0_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('key_id', ?)", (hashlib.sha256(key).hexdigest()[:16],))
    conn.execute("INSERT INTO local_ref_counters VALUES ('KIOSK-01', '261124', 7)")
    payload = Fernet(key).encrypt(json.dumps(dossier.to_payload(), ensure_ascii=False).encode())
    conn.execute("INSERT INTO outbox (local_ref, idempotency_key, state, payload, kiosk_id, procedure_code, "
                 "ward_code, id_masked, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (dossier.local_ref, dossier.idempotency_key, "pending", payload, "KIOSK-01", "1.001193",
                  "00073", "0010******45", 1.0, 1.0))
    conn.commit()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    conn.close()

    with Outbox.in_data_dir(data) as outbox:
        assert outbox._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert outbox.lost() is None
        assert [i.local_ref for i in outbox.pending()] == [dossier.local_ref]
        assert outbox.dossier(dossier.local_ref).applicant.id_number == dossier.applicant.id_number
        assert outbox.new_local_ref("KIOSK-01", outbox_day(2026, 11, 24)).endswith("-0008")
        fresh = outbox.add(sample_dossier(1))
        assert outbox.payload(fresh.local_ref)["applicant"]["full_name"]


def outbox_day(year: int, month: int, day: int):
    from datetime import datetime

    from kiosk.core import clock

    return datetime(year, month, day, 12, tzinfo=clock.zone())


def test_a_database_from_a_newer_version_is_refused_and_kept(tmp_path):
    data = tmp_path / "data"
    _issued(data, 1)
    conn = sqlite3.connect(data / DB_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    size = (data / DB_NAME).stat().st_size
    with pytest.raises(OutboxError) as refused:
        Outbox.in_data_dir(data)
    assert "phiên bản" in refused.value.message["vi"] and "newer kiosk version" in refused.value.message["en"]
    assert (data / DB_NAME).stat().st_size == size


# --- purged means gone ----------------------------------------------------------------------------

_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{20,}={0,2}")


def _everything_that_decrypts(files: list[Path], key: bytes) -> list[bytes]:
    """Every Fernet token in these files that decrypts with the outbox key, or with a data key that does."""
    raw = b"".join(p.read_bytes() for p in files)
    tokens = set(_TOKEN.findall(raw))
    keys, plain = [Fernet(key)], []
    progress = True
    while progress:
        progress = False
        for token in list(tokens):
            for fernet in keys:
                try:
                    text = fernet.decrypt(token)
                except InvalidToken:
                    continue
                plain.append(text)
                tokens.discard(token)
                progress = True
                try:
                    keys.append(Fernet(text.strip()))  # a data key: try it on the rest
                except ValueError:
                    pass
                break
    return plain


def test_after_purge_no_file_of_the_data_dir_holds_anything_that_decrypts(tmp_path):
    data = tmp_path / "data"
    dossier = sample_dossier(0)
    markers = [dossier.applicant.full_name.encode(), dossier.applicant.id_number.encode(),
               dossier.applicant.phone.encode()]
    assert re.fullmatch(rb"\d{12}", markers[1])
    reader = Outbox.in_data_dir(data)  # another thread's connection, as in the running kiosk
    outbox = Outbox.in_data_dir(data)
    try:
        ref = outbox.add(dossier).local_ref
        # the payload is there and decryptable before the purge: the search below would find it
        files = sorted(p for p in data.iterdir() if p.is_file())
        assert any(m in b"".join(_everything_that_decrypts(files, (data / KEY_NAME).read_bytes().strip()))
                   for m in markers)
        reader.status()
        outbox.mark_sent(ref)
        outbox.mark_acknowledged(ref, "00073-261202-0001")
        assert reader.get(ref).dossier_code == "00073-261202-0001"
        files = sorted(p for p in data.iterdir() if p.is_file())
        names = {p.name for p in files}
        assert {DB_NAME, KEY_NAME} <= names
        key = (data / KEY_NAME).read_bytes().strip()
        raw = b"".join(p.read_bytes() for p in files)
        plain = b"".join(_everything_that_decrypts(files, key))
        for marker in markers:
            assert marker not in raw
            assert marker not in plain
    finally:
        outbox.close()
        reader.close()


def test_a_lost_outbox_whose_mark_is_gone_too_numbers_far_above_what_a_day_issues(tmp_path):
    data = tmp_path / "data"
    before = _issued(data, 2)
    _remove_database(data)
    (data / HWM_NAME).unlink()  # nothing says how far the old database had counted
    with Outbox.in_data_dir(data) as outbox:
        assert outbox.lost()["reason"] == "database_new"
        outbox.acknowledge_loss()
        again = outbox.add(sample_dossier(0)).local_ref
    assert again not in before and again.endswith("-5001")
