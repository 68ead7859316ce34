"""The durable outbox: no dossier is lost, none is sent twice.

A dossier is committed here -- with its idempotency key and its provisional ``local_ref`` --
before any receipt prints (SQLite in WAL mode with ``synchronous=FULL``: the commit is on disk
when :meth:`Outbox.add` returns). The sender (kiosk/backend/sender.py) then delivers it:

    pending -> sent -> acknowledged          (the official dossier code recorded)
                    -> rejected              (a 4xx retrying cannot fix: kept, visible, never dropped)
    sent -> pending                          (no answer or a 5xx: tried again later, same key)

Personal data is encrypted at rest (Fernet): each dossier with a data key of its own, kept wrapped
by the outbox key (a file next to, not inside, the database, mode 0600). Once the backend acknowledges,
the payload and its data key are deleted (``secure_delete`` zeroes them in the file) and the WAL is
checkpointed and truncated, so no file of the data directory holds anything that decrypts (the code and
times stay).

Attachments (photographed pages) are committed with their dossier, in the same transaction, each encrypted
with the dossier's data key. They go after the dossier is acknowledged, part by part; each part's progress
(``received``, the bytes the backend holds) is committed as it is acknowledged, so a restart resumes:

    pending -> complete                      (the backend checked its SHA-256: the bytes are deleted)
            -> rejected                      (a 4xx such as a checksum mismatch: kept, visible, never dropped)

The acknowledgement purges the payload but keeps the data key while any attachment is not complete; the last
completion deletes the key too (``secure_delete`` and the WAL shred, as for the payload).

A small fsynced file beside the key, ``outbox.hwm``, records the database's id and the highest
provisional reference issued, written *before* each new reference commits. An outbox whose database
was emptied, replaced or lost rows (a bad restore, a deleted WAL) is then noticed when it opens: it
refuses dossiers (:class:`OutboxLost`) until a technician acknowledges it (:meth:`Outbox.acknowledge_loss`),
and numbering continues above the mark, so no provisional reference is ever handed out twice.
One :class:`Outbox` per thread: each owns its own SQLite connection.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import logging
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from kiosk.core import clock
from kiosk.core.dossier import Dossier, new_local_ref
from kiosk.core.identity import mask_id

log = logging.getLogger(__name__)

DB_NAME = "outbox.sqlite3"
KEY_NAME = "outbox.key"
HWM_NAME = "outbox.hwm"
#: ``PRAGMA user_version``: 0 is the outbox before versioning (payloads under the outbox key itself);
#: 1 adds per-dossier data keys and the database id the high-water mark names; 2 adds attachments.
SCHEMA_VERSION = 2
#: After a loss whose mark is unknown (an outbox from before the mark existed), today's numbering
#: restarts here: far above what one kiosk issues in a day, so an old reference is not met again.
UNKNOWN_LOSS_SEQ = 5000
HWM_DAYS_KEPT = 62  # a reference carries its day: older days' counters can never be reissued
STATES = ("pending", "sent", "acknowledged", "rejected")
ATTACHMENT_STATES = ("pending", "complete", "rejected")
MAX_RETRY_DELAY_S = 3600.0  # even a long Retry-After is tried again within the hour

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    local_ref TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'acknowledged', 'rejected')),
    payload BLOB,
    kiosk_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    ward_code TEXT NOT NULL,
    id_masked TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    dossier_code TEXT,
    appointment_date TEXT,
    received_at TEXT,
    acknowledged_at REAL,
    rejected_status INTEGER,
    problem TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS local_ref_counters (kiosk_id TEXT, day TEXT, seq INTEGER NOT NULL,
                                               PRIMARY KEY (kiosk_id, day));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Version 1: each dossier's data key, wrapped by the outbox key, in a row of its own that the purge deletes.
_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS dossier_keys (local_ref TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL);
"""

#: Version 2: each dossier's attachments, their bytes under the dossier's data key until the backend has them.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS attachments (
    local_ref TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    position INTEGER NOT NULL,
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB,
    received INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'complete', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    rejected_status INTEGER,
    problem TEXT,
    completed_at REAL,
    PRIMARY KEY (local_ref, sha256)
);
CREATE INDEX IF NOT EXISTS attachments_due ON attachments(state, next_attempt_at);
"""


#: Why the outbox cannot take a dossier, as a citizen and a technician are told it (see :func:`storage_fault`).
STORAGE_FAULTS: dict[str, dict[str, str]] = {
    "full": {"vi": "ổ đĩa của kiosk đã đầy", "en": "the kiosk's disk is full"},
    "read_only": {"vi": "ổ đĩa của kiosk không cho ghi", "en": "the kiosk's disk cannot be written"},
    "damaged": {"vi": "tệp hồ sơ chờ gửi của kiosk bị hỏng", "en": "the kiosk's outbox file is damaged"},
    "unavailable": {"vi": "không mở được hàng đợi hồ sơ của kiosk", "en": "the kiosk's outbox cannot be opened"},
}


def storage_fault(error: BaseException) -> str:
    """The cause of an outbox failure, a key of :data:`STORAGE_FAULTS` (SQLite says it only in words)."""
    import errno

    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            return "full"
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "read_only"
    text = str(error).lower()
    if "full" in text:
        return "full"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "damaged"
    return "unavailable"


class OutboxError(Exception):
    """The outbox cannot be used as it is (a missing or wrong key, an unknown reference)."""

    def __init__(self, detail: str, message: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.message = message or {
            "vi": "Không mở được hàng đợi hồ sơ của kiosk. Vui lòng báo cán bộ kỹ thuật.",
            "en": "The kiosk's dossier queue cannot be opened. Please tell the technician.",
        }


class OutboxLost(OutboxError):
    """The database lost dossiers the high-water mark says were issued: no dossier is accepted until a
    technician acknowledges it in maintenance (:meth:`Outbox.acknowledge_loss`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {
            "vi": "Kiosk tạm ngừng nhận hồ sơ: hàng đợi hồ sơ bị mất dữ liệu. Vui lòng báo cán bộ kỹ thuật "
                  "(Bảo trì > Hồ sơ chờ gửi).",
            "en": "The kiosk is not accepting dossiers: its dossier queue lost data. Please tell the technician "
                  "(Maintenance > Outbox)."})


LOST_REASONS = {
    "database_new": {"vi": "cơ sở dữ liệu bị xoá hoặc làm trống (khoá vẫn còn)",
                     "en": "the database was deleted or emptied (its key was kept)"},
    "database_replaced": {"vi": "cơ sở dữ liệu bị thay bằng một tệp khác",
                          "en": "the database was replaced by another file"},
    "rows_lost": {"vi": "cơ sở dữ liệu mất các hồ sơ gần nhất (ví dụ tệp WAL bị xoá)",
                  "en": "the database lost its latest dossiers (e.g. its WAL was deleted)"},
}


def lost_message(reason: str) -> dict[str, str]:
    """What a technician reads about a lost outbox: it refuses dossiers, and why."""
    why = LOST_REASONS.get(reason, {"vi": reason, "en": reason})
    message = OutboxLost("").message
    return {"vi": f"{message['vi']} Lý do: {why['vi']}.", "en": f"{message['en']} Why: {why['en']}."}


def _wrong_key(key_path: Path) -> dict[str, str]:
    return {"vi": f"Không mở được hàng đợi hồ sơ: {key_path} không phải khoá của nó. Khôi phục đúng tệp khoá từ bản "
                  "sao lưu; đừng xoá tệp nào.",
            "en": f"The dossier queue cannot be opened: {key_path} is not its key. Restore the right key file from "
                  "the backup; do not delete any file."}


def _nearly_full(folder: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(folder).free < 1_000_000
    except OSError:
        return False


def storage_error(path: Path, exc: BaseException) -> OutboxError:
    """A one-line bilingual :class:`OutboxError` naming the file and what to do, for a SQLite or OS error.

    Never a reason to delete or recreate the file: what is damaged is kept for support to look at."""
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    folder = path.parent
    if code == errno.ENOSPC or "disk is full" in text or "disk full" in text or (
            "disk i/o error" in text and _nearly_full(folder)):  # SQLite's shared memory says only "I/O error"
        message = {"vi": f"Ổ đĩa chứa {path} đã đầy: giải phóng dung lượng (nhật ký cũ, bản cài cũ) rồi thử lại.",
                   "en": f"The disk holding {path} is full: free some space (old logs, releases), then try again."}
    elif (code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text
          or "unable to open" in text or "permission" in text):
        message = {"vi": f"Không ghi được vào {folder} (chỉ đọc hoặc không có quyền): kiểm tra ổ đĩa và quyền "
                         "của thư mục dữ liệu, rồi khởi động lại kiosk.",
                   "en": f"{folder} cannot be written (read-only or no permission): check the disk and the data "
                         "folder's permissions, then restart the kiosk."}
    elif isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text
                                                     or "corrupt" in text):
        message = {"vi": f"Tệp {path} bị hỏng (không phải cơ sở dữ liệu hợp lệ): đừng xoá nó; sao chép sang nơi "
                         "khác và báo bộ phận hỗ trợ.",
                   "en": f"{path} is damaged (not a valid database): do not delete it; copy it aside and contact "
                         "support."}
    else:
        message = {"vi": f"Không dùng được {path}: báo bộ phận hỗ trợ (chi tiết trong nhật ký).",
                   "en": f"{path} cannot be used: contact support (details in the log)."}
    return OutboxError(f"{path}: {type(exc).__name__}: {exc}", message)


@dataclass(frozen=True)
class OutboxItem:
    """One dossier's delivery record (no personal data except the masked ID number)."""

    local_ref: str
    idempotency_key: str
    state: str
    kiosk_id: str
    procedure_code: str
    ward_code: str
    id_masked: str | None
    created_at: float
    updated_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    dossier_code: str | None
    appointment_date: str | None
    received_at: str | None
    acknowledged_at: float | None
    rejected_status: int | None
    problem: dict[str, Any] | None
    has_payload: bool

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in ("created_at", "updated_at", "acknowledged_at", "next_attempt_at"):
            value = out[name]
            out[name] = (clock.from_timestamp(value).isoformat(timespec="seconds")
                         if value else None)
        return out


_COLUMNS = ("local_ref, idempotency_key, state, kiosk_id, procedure_code, ward_code, id_masked, created_at, "
            "updated_at, attempts, next_attempt_at, last_error, dossier_code, appointment_date, received_at, "
            "acknowledged_at, rejected_status, problem, payload IS NOT NULL")


def _item(row: tuple) -> OutboxItem:
    values = list(row)
    values[17] = json.loads(values[17]) if values[17] else None
    values[18] = bool(values[18])
    return OutboxItem(*values)


@dataclass(frozen=True)
class AttachmentItem:
    """One attachment's delivery record (no bytes): where its upload stands."""

    local_ref: str
    sha256: str
    document: int
    page: int
    size: int
    received: int  # bytes the backend holds, as last acknowledged
    state: str  # pending, complete, rejected
    attempts: int
    next_attempt_at: float
    last_error: str | None
    rejected_status: int | None
    problem: dict[str, Any] | None
    has_data: bool
    dossier_code: str | None  # the dossier's, once acknowledged
    idempotency_key: str  # the dossier's: the backend wants it with every part


_ATTACHMENT_COLUMNS = ("a.local_ref, a.sha256, a.document, a.page, a.size, a.received, a.state, a.attempts, "
                       "a.next_attempt_at, a.last_error, a.rejected_status, a.problem, a.data IS NOT NULL, "
                       "o.dossier_code, o.idempotency_key")
_ATTACHMENTS_JOIN = "attachments a JOIN outbox o ON o.local_ref = a.local_ref"


def _attachment_item(row: tuple) -> AttachmentItem:
    values = list(row)
    values[11] = json.loads(values[11]) if values[11] else None
    values[12] = bool(values[12])
    return AttachmentItem(*values)


def load_or_create_key(key_path: Path) -> bytes:
    """The Fernet key, created 0600 on first use; two processes racing get the same key."""
    key_path = Path(key_path)
    try:
        key = key_path.read_bytes().strip()
        if key_path.stat().st_mode & 0o077:
            os.chmod(key_path, 0o600)  # restored by hand or a careless copy: close it again
        return key
    except FileNotFoundError:
        pass
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Written whole to a private temporary file, then linked into place: a crash can never leave
    # a half-written key, and of two processes racing, the second finds the first's key.
    tmp = key_path.with_name(f".{key_path.name}.{os.getpid()}.{time.monotonic_ns()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, key_path)
    except FileExistsError:
        return key_path.read_bytes().strip()
    finally:
        tmp.unlink()
    dir_fd = os.open(key_path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the key must survive a power cut as surely as the rows it decrypts
    finally:
        os.close(dir_fd)
    return key


def enable_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switch to WAL (a no-op once the file is WAL: the mode is stored in it).

    Changing the journal mode needs an exclusive lock and SQLite answers "database is locked" at
    once, without its busy handler, while another connection holds one -- e.g. the sender thread
    opening the outbox at the same moment, or the first connection after a crash replaying the WAL."""
    deadline = time.monotonic() + patience
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise OutboxError(f"{conn}: could not switch the outbox to WAL mode")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def read_mark(path: Path) -> dict[str, Any] | None:
    """The high-water mark (``{"db_id", "counters": {"KIOSK|yymmdd": seq}, "last"}``), or None when absent
    or unreadable (it is only ever replaced whole, so unreadable means someone wrote into it)."""
    try:
        mark = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("%s unreadable: the outbox's high-water mark is rebuilt from the database", path)
        return None
    if not isinstance(mark, dict) or not isinstance(mark.get("counters"), dict):
        return None
    return mark


def write_mark(path: Path, mark: dict[str, Any]) -> None:
    """Replace the mark durably: temporary file, fsync, rename, fsync the folder (as the key is written)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps(mark, sort_keys=True).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _recent(counters: dict[str, int]) -> dict[str, int]:
    """The counters of the last :data:`HWM_DAYS_KEPT` days ("KIOSK|yymmdd" keys; yymmdd sorts by date)."""
    days = sorted({k.rsplit("|", 1)[-1] for k in counters}, reverse=True)[:HWM_DAYS_KEPT]
    return {k: v for k, v in counters.items() if k.rsplit("|", 1)[-1] in days}


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, keeping every row; returns the version found.

    Version 0 (the outbox before versioning) keeps its payloads as they are, encrypted under the outbox
    key itself: :meth:`Outbox.payload` still reads them, and new dossiers get data keys of their own."""
    conn.executescript(_SCHEMA)  # version 0's tables: IF NOT EXISTS, so a no-op on an existing file
    conn.execute("BEGIN IMMEDIATE")
    try:
        (found,) = conn.execute("PRAGMA user_version").fetchone()
        if found > SCHEMA_VERSION:
            raise OutboxError(f"outbox schema version {found} is newer than this program's {SCHEMA_VERSION}", {
                "vi": "Hàng đợi hồ sơ được ghi bởi phiên bản kiosk mới hơn: cài lại phiên bản mới, đừng xoá tệp.",
                "en": "The dossier queue was written by a newer kiosk version: reinstall that version; do not "
                      "delete the file."})
        if found < 1:
            conn.execute(_SCHEMA_V1)
        if found < 2:
            for statement in _SCHEMA_V2.split(";"):  # executescript would commit the migration's transaction
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found


class Outbox:
    """The outbox database. Not thread-safe: one instance per thread."""

    def __init__(self, db_path: Path | str, key_path: Path | str) -> None:
        self.db_path = Path(db_path)
        self.key_path = Path(key_path)
        self.hwm_path = self.key_path.with_name(HWM_NAME)
        self._depth = 0
        self._purged = False
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.db_path), isolation_level=None, timeout=30.0)
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(self.db_path, exc) from exc
        try:
            enable_wal(self._conn)
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA secure_delete=ON")  # purged payloads are overwritten, not just unlinked
            migrate(self._conn)
            with self._write():
                row = self._conn.execute("SELECT value FROM meta WHERE name = 'key_id'").fetchone()
                key_existed = self.key_path.exists()
                if row is not None and not key_existed:
                    # Never mint a new key for an outbox written with another: keep the evidence.
                    raise OutboxError(f"{self.key_path} is missing; the outbox cannot be decrypted without it", {
                        "vi": f"Không mở được hàng đợi hồ sơ: thiếu khoá {self.key_path}. Khôi phục tệp khoá từ bản "
                              "sao lưu; đừng xoá cơ sở dữ liệu.",
                        "en": f"The dossier queue cannot be opened: its key {self.key_path} is missing. Restore the "
                              "key file from the backup; do not delete the database."})
                key = load_or_create_key(self.key_path)
                try:
                    self._fernet = Fernet(key)
                except ValueError as exc:
                    raise OutboxError(f"{self.key_path}: not a valid key", _wrong_key(self.key_path)) from exc
                key_id = hashlib.sha256(key).hexdigest()[:16]
                if row is None:
                    self._conn.execute("INSERT INTO meta VALUES ('key_id', ?)", (key_id,))
                elif row[0] != key_id:
                    raise OutboxError(f"{self.key_path} is not the key this outbox was written with",
                                      _wrong_key(self.key_path))
                self._check_mark(fresh=row is None, key_existed=key_existed)
        except OutboxError:
            self._conn.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            self._conn.close()
            where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else self.db_path
            raise storage_error(where, exc) from exc
        except BaseException:
            self._conn.close()
            raise

    # --- the high-water mark and a lost outbox ---

    def _meta(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _counters(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT kiosk_id, day, seq FROM local_ref_counters")
        return {f"{kiosk_id}|{day}": seq for kiosk_id, day, seq in rows}

    def _check_mark(self, fresh: bool, key_existed: bool) -> None:
        """Compare the database with the mark (inside the opening transaction); record a loss once."""
        db_id = self._meta("db_id")
        if db_id is None:
            db_id = uuid.uuid4().hex
            self._conn.execute("INSERT INTO meta VALUES ('db_id', ?)", (db_id,))
        counters = self._counters()
        mark = read_mark(self.hwm_path)
        reason = None
        if mark is None:
            if fresh and key_existed:
                # the key outlived its database, and no mark says how far it had counted
                reason = "database_new"
        elif mark["counters"]:
            if mark.get("db_id") != db_id:
                reason = "database_new" if fresh else "database_replaced"
            else:
                for name, seq in mark["counters"].items():
                    # the last reference reserved may not have committed (a crash in between): not a loss
                    allowed = seq - 1 if name == mark.get("last") else seq
                    if counters.get(name, 0) < allowed:
                        reason = "rows_lost"
                        break
        if reason is None:
            if mark is None or mark.get("db_id") != db_id:
                write_mark(self.hwm_path, {"db_id": db_id, "counters": _recent(counters), "last": None})
            return
        # Numbering goes on above the mark, so a lost reference is never issued again.
        for name, seq in (mark or {}).get("counters", {}).items():
            kiosk_id, day = name.rsplit("|", 1)
            self._conn.execute("INSERT INTO local_ref_counters VALUES (?, ?, ?) ON CONFLICT(kiosk_id, day) "
                               "DO UPDATE SET seq = MAX(seq, excluded.seq)", (kiosk_id, day, int(seq)))
        if mark is None:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('seq_floor', ?)",
                               (json.dumps({"day": clock.now().strftime("%y%m%d"), "seq": UNKNOWN_LOSS_SEQ}),))
        if self._meta("lost") is None:
            record = {"reason": reason, "detected_at": clock.now().isoformat(timespec="seconds"),
                      "mark": (mark or {}).get("counters", {})}
            self._conn.execute("INSERT INTO meta VALUES ('lost', ?)", (json.dumps(record),))
            log.error("outbox lost: %s (%s; high-water mark %s): no dossier is accepted until a technician "
                      "acknowledges it in maintenance", reason, self.db_path, self.hwm_path)

    def lost(self) -> dict[str, Any] | None:
        """The unacknowledged loss (``reason``: database_new, database_replaced, rows_lost; ``detected_at``)."""
        value = self._meta("lost")
        return json.loads(value) if value else None

    def acknowledge_loss(self) -> dict[str, Any] | None:
        """The technician has seen the loss: accept dossiers again, numbering above the mark; returns the
        loss acknowledged (None if there was none)."""
        with self._write():
            lost = self.lost()
            if lost is None:
                return None
            acknowledged = {**lost, "acknowledged_at": clock.now().isoformat(timespec="seconds")}
            self._conn.execute("DELETE FROM meta WHERE name = 'lost'")
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('loss_acknowledged', ?)",
                               (json.dumps(acknowledged),))
            mark = read_mark(self.hwm_path) or {"counters": {}}
            counters = {**mark["counters"]}
            for name, seq in self._counters().items():
                counters[name] = max(seq, counters.get(name, 0))
            write_mark(self.hwm_path, {"db_id": self._meta("db_id"), "counters": _recent(counters), "last": None})
        log.warning("outbox loss (%s, detected %s) acknowledged by the technician", lost["reason"],
                    lost["detected_at"])
        return acknowledged

    @classmethod
    def in_data_dir(cls, data_dir: Path | str) -> Outbox:
        data_dir = Path(data_dir)
        return cls(data_dir / DB_NAME, data_dir / KEY_NAME)

    def close(self) -> None:
        if self._purged:
            self._shred_wal()
        self._conn.close()

    def _shred_wal(self) -> None:
        """Checkpoint the WAL into the database and truncate it: the frames holding a purged dossier's
        ciphertext and data key go (``secure_delete`` has zeroed them in the pages written back)."""
        try:
            self._conn.execute("PRAGMA busy_timeout = 2000")  # a reader mid-statement: wait a little, not 30 s
            try:
                busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                self._conn.execute("PRAGMA busy_timeout = 30000")
        except sqlite3.Error as exc:
            log.warning("outbox WAL checkpoint after a purge failed: %r (tried again at the next one)", exc)
            busy = 1
        self._purged = bool(busy)  # another connection was reading: try again after the next commit

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> _Transaction:
        return _Transaction(self)

    def batch(self) -> _Transaction:
        """Group several state changes into one transaction (one fsync): ``with outbox.batch(): ...``."""
        return _Transaction(self)

    # --- adding ---

    def new_local_ref(self, kiosk_id: str, when: datetime | None = None) -> str:
        """Allocate the next provisional reference for today (the kiosk's zone) -- durable, never reused."""
        with self._write():
            return self._allocate_local_ref(kiosk_id, when)

    def _allocate_local_ref(self, kiosk_id: str, when: datetime | None) -> str:
        lost = self.lost()
        if lost is not None:
            raise OutboxLost(f"{self.db_path}: outbox lost ({lost['reason']}), not acknowledged")
        day_dt = clock.local(when) if when else clock.now()
        day = day_dt.strftime("%y%m%d")
        name = f"{kiosk_id}|{day}"
        counters = self._counters()
        mark = read_mark(self.hwm_path) or {"counters": {}}
        floor = int(mark["counters"].get(name, 0))
        if (seq_floor := self._meta("seq_floor")) and day <= json.loads(seq_floor)["day"]:
            floor = max(floor, json.loads(seq_floor)["seq"])
        seq = max(counters.get(name, 0), floor) + 1
        self._conn.execute("INSERT INTO local_ref_counters VALUES (?, ?, ?) ON CONFLICT(kiosk_id, day) "
                           "DO UPDATE SET seq = excluded.seq", (kiosk_id, day, seq))
        # On disk before the reference commits: if the database is later lost, the mark still knows it.
        write_mark(self.hwm_path, {"db_id": self._meta("db_id"), "counters": _recent({**counters, name: seq}),
                                   "last": name})
        return new_local_ref(kiosk_id, day_dt, seq)

    def add(self, dossier: Dossier) -> OutboxItem:
        """Commit the dossier (on disk when this returns); assigns ``local_ref`` if it has none.

        Adding the same dossier (same local_ref and key) again returns the existing item. Its attachments'
        bytes are committed in the same transaction, encrypted with the dossier's data key (the same bytes
        listed twice are kept once: the backend holds them once)."""
        for attachment in dossier.attachments:
            if not attachment.data:
                raise OutboxError(f"attachment {attachment.sha256[:12]} has no data: it cannot be queued")
        now = time.time()
        with self._write():
            if (lost := self.lost()) is not None:
                raise OutboxLost(f"{self.db_path}: outbox lost ({lost['reason']}), not acknowledged")
            if dossier.local_ref:
                row = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM outbox WHERE local_ref = ?", (dossier.local_ref,)).fetchone()
                if row:
                    item = _item(row)
                    if item.idempotency_key != dossier.idempotency_key:
                        raise OutboxError(f"{dossier.local_ref} is already queued with another key")
                    return item
            else:
                dossier = dataclasses.replace(dossier, local_ref=self._allocate_local_ref(dossier.kiosk_id, None))
            payload = json.dumps(dossier.to_payload(), ensure_ascii=False).encode("utf-8")
            # Its own data key, destroyed at purge: what a stray copy of the ciphertext keeps is unreadable.
            data_key = Fernet.generate_key()
            self._conn.execute("INSERT INTO dossier_keys VALUES (?, ?)",
                               (dossier.local_ref, self._fernet.encrypt(data_key)))
            self._conn.execute(
                "INSERT INTO outbox (local_ref, idempotency_key, state, payload, kiosk_id, procedure_code, "
                "ward_code, id_masked, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (dossier.local_ref, dossier.idempotency_key, "pending", Fernet(data_key).encrypt(payload),
                 dossier.kiosk_id, dossier.procedure_code, dossier.ward_code,
                 mask_id(dossier.applicant.id_number), now, now))
            seen: set[str] = set()
            for position, attachment in enumerate(dossier.attachments):
                if attachment.sha256 in seen:
                    continue
                seen.add(attachment.sha256)
                self._conn.execute(
                    "INSERT INTO attachments (local_ref, sha256, position, document, page, size, data) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (dossier.local_ref, attachment.sha256, position, attachment.document, attachment.page,
                     attachment.size, Fernet(data_key).encrypt(attachment.data)))
        item = self.get(dossier.local_ref)
        assert item is not None
        return item

    # --- reading ---

    def get(self, local_ref: str) -> OutboxItem | None:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE local_ref = ?", (local_ref,)).fetchone()
        return _item(row) if row else None

    def items(self, states: tuple[str, ...] | None = None, limit: int | None = None) -> list[OutboxItem]:
        """Oldest first."""
        sql = f"SELECT {_COLUMNS} FROM outbox"
        params: list[Any] = []
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params.extend(states)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_item(r) for r in self._conn.execute(sql, params)]

    def pending(self) -> list[OutboxItem]:
        """Everything not yet acknowledged nor rejected, oldest first ("sent" = answer unknown)."""
        return self.items(("pending", "sent"))

    def due(self, now: float | None = None, limit: int = 100) -> list[OutboxItem]:
        """Undelivered items whose next attempt is due, oldest first.

        An attempt scheduled further ahead than :data:`MAX_RETRY_DELAY_S` can only mean the clock
        went back (a kiosk booting with a wrong RTC before NTP): it is due now rather than stuck."""
        now = time.time() if now is None else now
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN ('pending', 'sent') "
            "AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY seq LIMIT ?",
            (now, now + MAX_RETRY_DELAY_S + 60, limit))
        return [_item(r) for r in rows]

    def next_attempt_at(self) -> float | None:
        """The earliest next attempt of an undelivered dossier or of an acknowledged dossier's attachment."""
        (value,) = self._conn.execute(
            "SELECT MIN(t) FROM (SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state IN ('pending', 'sent') "
            f"UNION ALL SELECT MIN(a.next_attempt_at) FROM {_ATTACHMENTS_JOIN} "
            "WHERE a.state = 'pending' AND o.state = 'acknowledged')").fetchone()
        return value

    def payload(self, local_ref: str) -> dict[str, Any]:
        """The decrypted body to POST; OutboxError once purged."""
        row = self._conn.execute("SELECT payload FROM outbox WHERE local_ref = ?", (local_ref,)).fetchone()
        if row is None or row[0] is None:
            raise OutboxError(f"{local_ref}: no payload (unknown or already purged)")
        wrapped = self._conn.execute("SELECT wrapped_key FROM dossier_keys WHERE local_ref = ?",
                                     (local_ref,)).fetchone()
        try:
            # a dossier from schema version 0 has no data key: it was encrypted under the outbox key itself
            fernet = Fernet(self._fernet.decrypt(wrapped[0])) if wrapped else self._fernet
            return json.loads(fernet.decrypt(row[0]))
        except InvalidToken as exc:
            raise OutboxError(f"{local_ref}: payload does not decrypt with {self.key_path}") from exc

    def dossier(self, local_ref: str) -> Dossier:
        item = self.get(local_ref)
        if item is None:
            raise OutboxError(f"{local_ref}: unknown")
        return Dossier.from_payload(self.payload(local_ref), item.idempotency_key)

    def status(self, now: float | None = None) -> dict[str, Any]:
        """Counts per state and the age of the oldest undelivered dossier (seconds, or None)."""
        now = time.time() if now is None else now
        counts = dict.fromkeys(STATES, 0)
        for state, count in self._conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            counts[state] = count
        (oldest,) = self._conn.execute(
            "SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'sent')").fetchone()
        lost = self.lost()
        (att_pending, att_rejected, att_bytes) = self._conn.execute(
            "SELECT COALESCE(SUM(a.state = 'pending' AND o.state != 'rejected'), 0), "
            "COALESCE(SUM(a.state = 'rejected'), 0), COALESCE(SUM(LENGTH(a.data)), 0) "
            f"FROM {_ATTACHMENTS_JOIN}").fetchone()
        return {
            **counts,
            "undelivered": counts["pending"] + counts["sent"],
            "oldest_pending_age_s": round(max(0.0, now - oldest), 1) if oldest is not None else None,
            "lost": lost["reason"] if lost else None,
            # attachments not yet complete at the backend (of dossiers not rejected), those the backend refused
            # (kept, with their bytes), and the bytes still held (encrypted size)
            "attachments_pending": int(att_pending),
            "attachments_rejected": int(att_rejected),
            "attachments_bytes": int(att_bytes),
        }

    # --- attachments ---

    def attachments(self, local_ref: str | None = None) -> list[AttachmentItem]:
        """The attachments (of one dossier, or all), in the dossiers' order and then the manifest's."""
        where, params = ("WHERE a.local_ref = ? ", (local_ref,)) if local_ref else ("", ())
        rows = self._conn.execute(f"SELECT {_ATTACHMENT_COLUMNS} FROM {_ATTACHMENTS_JOIN} {where}"
                                  "ORDER BY o.seq, a.position", params)
        return [_attachment_item(r) for r in rows]

    def attachments_due(self, limit: int = 100, now: float | None = None) -> list[AttachmentItem]:
        """Incomplete attachments of acknowledged dossiers whose next attempt is due, oldest dossier first
        (a schedule beyond :data:`MAX_RETRY_DELAY_S` means the clock went back: due now, as in :meth:`due`)."""
        now = time.time() if now is None else now
        rows = self._conn.execute(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM {_ATTACHMENTS_JOIN} WHERE a.state = 'pending' "
            "AND o.state = 'acknowledged' AND (a.next_attempt_at <= ? OR a.next_attempt_at > ?) "
            "ORDER BY o.seq, a.position LIMIT ?", (now, now + MAX_RETRY_DELAY_S + 60, limit))
        return [_attachment_item(r) for r in rows]

    def attachment_counts(self, local_ref: str) -> tuple[int, int]:
        """(complete, total) of a dossier's attachments."""
        (done, total) = self._conn.execute(
            "SELECT COALESCE(SUM(state = 'complete'), 0), COUNT(*) FROM attachments WHERE local_ref = ?",
            (local_ref,)).fetchone()
        return int(done), int(total)

    def attachment_data(self, local_ref: str, sha256: str) -> bytes:
        """The attachment's decrypted bytes; OutboxError once complete (purged) or unknown."""
        row = self._conn.execute("SELECT data FROM attachments WHERE local_ref = ? AND sha256 = ?",
                                 (local_ref, sha256)).fetchone()
        if row is None or row[0] is None:
            raise OutboxError(f"{local_ref}: no data for attachment {sha256[:12]} (unknown or already purged)")
        wrapped = self._conn.execute("SELECT wrapped_key FROM dossier_keys WHERE local_ref = ?",
                                     (local_ref,)).fetchone()
        if wrapped is None:
            raise OutboxError(f"{local_ref}: the data key of attachment {sha256[:12]} is gone")
        try:
            return Fernet(self._fernet.decrypt(wrapped[0])).decrypt(row[0])
        except InvalidToken as exc:
            raise OutboxError(f"{local_ref}: attachment {sha256[:12]} does not decrypt with {self.key_path}") from exc

    def mark_attachment_progress(self, local_ref: str, sha256: str, received: int) -> None:
        """The backend holds ``received`` bytes (committed, so a restart resumes from there)."""
        with self._write():
            self._conn.execute(
                "UPDATE attachments SET received = MAX(0, MIN(size, ?)) WHERE local_ref = ? AND sha256 = ? "
                "AND state = 'pending'", (int(received), local_ref, sha256))

    def mark_attachment_complete(self, local_ref: str, sha256: str) -> None:
        """The backend has the whole attachment, its SHA-256 checked: delete its bytes, and the dossier's data
        key once nothing else needs it (zeroed by ``secure_delete``; the WAL shredded after the commit)."""
        with self._write():
            self._conn.execute(
                "UPDATE attachments SET state = 'complete', data = NULL, received = size, completed_at = ?, "
                "last_error = NULL, rejected_status = NULL, problem = NULL WHERE local_ref = ? AND sha256 = ? "
                "AND state IN ('pending', 'rejected')", (time.time(), local_ref, sha256))
            self._purge_key_if_done(local_ref)
            self._purged = True

    def apply_attachment_states(self, local_ref: str, states: list[dict[str, Any]]) -> None:
        """What the backend says it holds (a receipt's or a GET's ``attachments``): complete ones are purged,
        the others resume from their ``received``."""
        with self._write():
            for state in states:
                if not isinstance(state, dict) or not isinstance(state.get("sha256"), str):
                    continue
                if state.get("complete") is True:
                    self.mark_attachment_complete(local_ref, state["sha256"])
                elif isinstance(state.get("received"), int):
                    self.mark_attachment_progress(local_ref, state["sha256"], state["received"])

    def mark_attachment_retry(self, local_ref: str, sha256: str, error: str, next_attempt_at: float) -> None:
        """This attachment's upload failed: tried again (from what the backend holds) at ``next_attempt_at``."""
        now = time.time()
        with self._write():
            self._conn.execute(
                "UPDATE attachments SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE local_ref = ? AND sha256 = ? AND state = 'pending'",
                (error[:500], min(next_attempt_at, now + MAX_RETRY_DELAY_S), local_ref, sha256))

    def mark_attachment_rejected(self, local_ref: str, sha256: str, status: int | None,
                                 problem: dict[str, Any] | None) -> None:
        """A 4xx retrying cannot fix (a checksum mismatch, an unknown SHA-256): kept with its bytes and the
        data key, visible in :meth:`status` as ``attachments_rejected``, never dropped."""
        kept = {k: problem[k] for k in ("type", "title", "status", "code", "detail", "message")
                if problem and k in problem}
        with self._write():
            self._conn.execute(
                "UPDATE attachments SET state = 'rejected', attempts = attempts + 1, rejected_status = ?, "
                "problem = ? WHERE local_ref = ? AND sha256 = ? AND state = 'pending'",
                (status, json.dumps(kept, ensure_ascii=False), local_ref, sha256))

    def requeue_attachment(self, local_ref: str, sha256: str) -> None:
        """Maintenance: upload a rejected attachment again, from the start."""
        with self._write():
            self._conn.execute(
                "UPDATE attachments SET state = 'pending', received = 0, next_attempt_at = 0, rejected_status = NULL, "
                "problem = NULL WHERE local_ref = ? AND sha256 = ? AND state = 'rejected'", (local_ref, sha256))

    def _purge_key_if_done(self, local_ref: str) -> None:
        """Delete the dossier's data key once its payload is purged (acknowledged) and no attachment still
        holds bytes the backend does not have."""
        self._conn.execute(
            "DELETE FROM dossier_keys WHERE local_ref = ? "
            "AND EXISTS (SELECT 1 FROM outbox WHERE local_ref = ? AND state = 'acknowledged') "
            "AND NOT EXISTS (SELECT 1 FROM attachments WHERE local_ref = ? AND state != 'complete')",
            (local_ref, local_ref, local_ref))

    # --- state changes ---

    # ``attempts`` counts answered (or failed) attempts; it is bumped when the outcome is recorded.

    def mark_sent(self, local_ref: str) -> None:
        """About to be POSTed: from now on the backend may have it (resending is safe: same key)."""
        self._update(local_ref, "SET state = 'sent', updated_at = ?", (time.time(),), ("pending", "sent"))

    def mark_retry(self, local_ref: str, error: str, next_attempt_at: float) -> None:
        """No usable answer: back to pending, to be resent (same key) at ``next_attempt_at``."""
        now = time.time()
        self._update(local_ref, "SET state = 'pending', attempts = attempts + 1, last_error = ?, "
                     "next_attempt_at = ?, updated_at = ?",
                     (error[:500], min(next_attempt_at, now + MAX_RETRY_DELAY_S), now), ("pending", "sent"))

    def mark_unsent(self, local_ref: str) -> None:
        """Marked sent but never posted (the sender stopped early): plainly pending again."""
        self._update(local_ref, "SET state = 'pending', updated_at = ?", (time.time(),), ("sent",))

    def mark_acknowledged(self, local_ref: str, dossier_code: str, appointment_date: str | None = None,
                          received_at: str | None = None) -> None:
        """The backend has it: record the official code and purge the personal payload, and its data key unless
        an attachment still needs it (the WAL is checkpointed and truncated once the transaction commits)."""
        with self._write():
            self._update(
                local_ref,
                "SET state = 'acknowledged', attempts = attempts + 1, dossier_code = ?, appointment_date = ?, "
                "received_at = ?, "
                "acknowledged_at = ?, updated_at = ?, payload = NULL, id_masked = NULL, last_error = NULL",
                (dossier_code, appointment_date, received_at, time.time(), time.time()), ("pending", "sent"))
            self._purge_key_if_done(local_ref)  # kept while an attachment still needs it
            self._purged = True

    def mark_rejected(self, local_ref: str, status: int | None, problem: dict[str, Any] | None) -> None:
        """Kept with its payload for maintenance to see and resubmit; never dropped."""
        kept = {k: problem[k] for k in ("type", "title", "status", "code", "detail", "message", "errors")
                if problem and k in problem}
        self._update(local_ref, "SET state = 'rejected', attempts = attempts + 1, rejected_status = ?, "
                     "problem = ?, updated_at = ?",
                     (status, json.dumps(kept, ensure_ascii=False), time.time()), ("pending", "sent"))

    def requeue(self, local_ref: str) -> None:
        """Maintenance: send a rejected dossier again (after the cause was fixed at the backend)."""
        self._update(local_ref, "SET state = 'pending', next_attempt_at = 0, rejected_status = NULL, "
                     "problem = NULL, updated_at = ?", (time.time(),), ("rejected",))

    def _update(self, local_ref: str, assignment: str, params: tuple, from_states: tuple[str, ...]) -> None:
        with self._write():
            cur = self._conn.execute(
                f"UPDATE outbox {assignment} WHERE local_ref = ? AND state IN ({','.join('?' * len(from_states))})",
                (*params, local_ref, *from_states))
            if cur.rowcount == 0 and self.get(local_ref) is None:
                raise OutboxError(f"{local_ref}: unknown")
            # rowcount 0 otherwise: e.g. a late ack for an already acknowledged dossier, nothing to do


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, so concurrent writers queue instead of failing mid-way; nested
    uses join the outer transaction."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def __enter__(self) -> None:
        if self._outbox._depth == 0:
            self._outbox._conn.execute("BEGIN IMMEDIATE")
        self._outbox._depth += 1

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._outbox._depth -= 1
        if self._outbox._depth == 0:
            conn = self._outbox._conn
            if not exc_type:
                conn.execute("COMMIT")
            elif conn.in_transaction:  # SQLite already rolled back after SQLITE_FULL: keep that error, not ours
                conn.execute("ROLLBACK")
            if self._outbox._purged and not exc_type:
                self._outbox._shred_wal()
