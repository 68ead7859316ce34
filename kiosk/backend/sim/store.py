"""The simulator's storage: dossiers, queue tickets, feedback and heartbeats in one SQLite file.

Exactly once: a dossier is created and its ``Idempotency-Key`` recorded in one transaction under
one lock, so concurrent retries of the same key get the same answer and one dossier. Dossier codes
are ``{ward_code}-{yymmdd}-{seq}`` and the appointment is a number of working days after the ward's
today. :class:`Problem` is the error answer (problem+json) every layer of the simulator raises.

Attachments (photographed pages) arrive after their dossier, in parts (``Content-Range``), each part appended
under the lock in one transaction: a part overlapping what is held is idempotent, one beyond it is a 409 naming
``received``; the last byte checks the SHA-256 and completes the attachment exactly once (``completions``, for
tests), or discards what was held on a mismatch. Parts are rows of their own, so nothing is rewritten.

Payment orders (VietQR fees) are one per dossier, made under the same lock: a repeat with the same amount
gets the same order. Their status is computed when read, from the simulator's clock (:func:`_now`), so an
order unpaid past ``expires_at`` reads ``expired`` without anything having to run.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from kiosk.core import clock, wards

APPOINTMENT_WORKING_DAYS = 3
#: Minutes a counter takes per citizen, for the follow page's estimated wait (a real backend measures it).
MINUTES_PER_CITIZEN = 5

#: The account fees are paid into (the contract's Beneficiary). A real backend has the ward's own; the
#: simulator names a real NAPAS BIN (Vietcombank's) so a banking app scanning a demo QR recognises the bank.
PAYMENT_BENEFICIARY: dict[str, str] = {
    "bank_bin": "970436",
    "bank_name": "Vietcombank",
    "account_number": "0011004012345",
    "account_name": "UBND PHUONG MO PHONG",
}
#: How long a payment order may be paid, from its creation (the citizen stands at the kiosk meanwhile).
PAYMENT_VALID_MINUTES = 15
#: References are "HS" + this many random upper-case letters and digits (36**10: collisions are negligible,
#: and the UNIQUE constraint turns one into a retry).
PAYMENT_REFERENCE_RANDOM_CHARS = 10
_REFERENCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: The VietQR purpose field: ASCII without diacritics, at most this long.
PAYMENT_PURPOSE_MAX = 25

_MESSAGES: dict[str, dict[str, str]] = {
    "unauthorized": {"vi": "Kiosk chưa được cấp quyền gửi hồ sơ (mã thiết bị sai).",
                     "en": "This kiosk is not authorised (wrong device token)."},
    "no_idempotency_key": {"vi": "Thiếu mã chống gửi trùng (Idempotency-Key).",
                           "en": "The Idempotency-Key header is missing or malformed."},
    "idempotency_key_reused": {"vi": "Mã chống gửi trùng đã dùng cho một hồ sơ khác.",
                               "en": "This Idempotency-Key was already used with a different dossier."},
    "invalid_body": {"vi": "Dữ liệu gửi lên không đúng mẫu.", "en": "The request body does not match the contract."},
    "not_json": {"vi": "Dữ liệu gửi lên không phải JSON.", "en": "The request body is not JSON."},
    "unsupported_media_type": {"vi": "Dữ liệu phải ở dạng JSON.", "en": "The body must be application/json."},
    "too_large": {"vi": "Dữ liệu gửi lên quá lớn.", "en": "The request body is too large."},
    "not_found": {"vi": "Không tìm thấy.", "en": "Not found."},
    "method_not_allowed": {"vi": "Thao tác không được hỗ trợ.", "en": "Method not allowed."},
    "invalid_parameter": {"vi": "Tham số không hợp lệ.", "en": "A parameter is invalid."},
    "unavailable": {"vi": "Hệ thống tạm thời gián đoạn, kiosk sẽ tự gửi lại.",
                    "en": "The service is temporarily unavailable; the kiosk will retry."},
    "rate_limited": {"vi": "Hệ thống đang bận, kiosk sẽ tự gửi lại.",
                     "en": "Too many requests; the kiosk will retry."},
    "internal": {"vi": "Lỗi hệ thống.", "en": "Internal error."},
    "ward_outside_province": {
        "vi": "Hồ sơ chỉ được nộp tại đây cho các phường, xã trong tỉnh, thành phố này. Phường, xã đã chọn "
              "thuộc tỉnh, thành phố khác: vui lòng nộp hồ sơ tại đó hoặc hỏi cán bộ tại quầy.",
        "en": "Dossiers filed here can only go to wards and communes of this province. The chosen ward is in "
              "another province: please file there, or ask an officer at the counter."},
    "payment_conflict": {
        "vi": "Hồ sơ này đã có yêu cầu thanh toán với số tiền khác. Vui lòng hỏi cán bộ tại quầy.",
        "en": "This dossier already has a payment order for another amount. Please ask an officer at the counter."},
    "attachment_gap": {"vi": "Tệp đính kèm cần gửi tiếp từ vị trí đã nhận.",
                       "en": "The attachment must be resumed where the backend stopped."},
    "attachment_checksum": {"vi": "Tệp đính kèm bị hỏng khi truyền (sai mã kiểm tra); kiosk sẽ báo cán bộ.",
                            "en": "The attachment was corrupted in transit (checksum mismatch)."},
    "attachment_size_mismatch": {"vi": "Kích thước tệp đính kèm không khớp với hồ sơ.",
                                 "en": "The attachment's size does not match the dossier's manifest."},
    "idempotency_key_mismatch": {"vi": "Mã chống gửi trùng không khớp với hồ sơ.",
                                 "en": "The Idempotency-Key is not the dossier's."},
    "invalid_range": {"vi": "Phần tệp gửi lên không đúng vị trí (Content-Range).",
                      "en": "The Content-Range header is malformed or does not match the body."},
    "payment_expired": {
        "vi": "Mã thanh toán đã hết hạn. Vui lòng nộp lệ phí tại quầy.",
        "en": "The payment code has expired. Please pay the fee at the counter."},
}


def _now() -> datetime:
    """Now in the kiosk's zone: dossier codes, ticket days and appointment dates use the ward's calendar."""
    return clock.now()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


class Problem(Exception):
    """An error answer (problem+json)."""

    def __init__(self, status: int, code: str, detail: str = "", *, errors: list | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}  # members of the problem beyond RFC 9457's (e.g. a 409's ``received``)

    def body(self, instance: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": f"https://kiosk.example/problems/{self.code}",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "code": self.code,
            "message": dict(_MESSAGES.get(self.code, _MESSAGES["internal"])),
            "instance": instance,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.errors:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


_SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    dossier_code TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    body_sha256 TEXT NOT NULL,
    local_ref TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    ward_code TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL,
    appointment_date TEXT NOT NULL,
    history TEXT NOT NULL,
    response TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dossiers_local_ref ON dossiers(local_ref);
CREATE TABLE IF NOT EXISTS daily_counters (unit TEXT, day TEXT, seq INTEGER NOT NULL, PRIMARY KEY (unit, day));
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY, day TEXT, area TEXT, priority INTEGER, number TEXT, kiosk_id TEXT, issued_at TEXT
);
CREATE TABLE IF NOT EXISTS ticket_follow (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id), token TEXT NOT NULL UNIQUE, area_name TEXT,
    called_at TEXT, counter INTEGER
);
CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, kiosk_id TEXT, body TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (kiosk_id TEXT PRIMARY KEY, body TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS payments (
    reference TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL UNIQUE REFERENCES dossiers(dossier_code),
    kiosk_id TEXT NOT NULL,
    amount_vnd INTEGER NOT NULL,
    beneficiary TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    paid_at TEXT
);
CREATE TABLE IF NOT EXISTS attachments (
    dossier_code TEXT NOT NULL REFERENCES dossiers(dossier_code),
    sha256 TEXT NOT NULL,
    position INTEGER NOT NULL,
    size INTEGER NOT NULL,
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dossier_code, sha256)
);
CREATE TABLE IF NOT EXISTS attachment_parts (
    dossier_code TEXT NOT NULL, sha256 TEXT NOT NULL, start INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (dossier_code, sha256, start)
);
"""


class Store:
    """The simulator's SQLite database; one connection under one lock (writes are tiny)."""

    def __init__(self, db: Path | str, province_code: str | None = None) -> None:
        #: The province this backend serves (two digits): non-boundary filing stays inside it, so a dossier for
        #: a ward elsewhere is refused. None serves every province (a national test bed).
        self.province_code = province_code
        self._conn = sqlite3.connect(str(db), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def submit_dossier(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], bool]:
        """(status, answer, replayed). Raises Problem(422) for a reused key with another body."""
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        with self._lock:
            row = self._conn.execute(
                "SELECT body_sha256, response, dossier_code FROM dossiers WHERE idempotency_key = ?", (key,)
            ).fetchone()
            if row:
                if row[0] != digest:
                    raise Problem(422, "idempotency_key_reused", "the key was first used with another body")
                return 201, self._with_attachments(json.loads(row[1]), row[2]), True
            self._check_province(body["ward_code"])
            now = _now()
            local_day = now.date()
            unit = body["ward_code"]
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                day = local_day.strftime("%y%m%d")
                self._conn.execute(
                    "INSERT INTO daily_counters(unit, day, seq) VALUES (?, ?, 1) "
                    "ON CONFLICT(unit, day) DO UPDATE SET seq = seq + 1", (unit, day))
                (seq,) = self._conn.execute(
                    "SELECT seq FROM daily_counters WHERE unit = ? AND day = ?", (unit, day)).fetchone()
                code = f"{unit}-{day}-{seq:04d}"
                answer = {
                    "dossier_code": code,
                    "status": "received",
                    "received_at": _iso(now),
                    "appointment_date": _add_working_days(local_day, APPOINTMENT_WORKING_DAYS).isoformat(),
                    "local_ref": body["local_ref"],
                }
                history = [{"status": "received", "at": answer["received_at"]}]
                self._conn.execute(
                    "INSERT INTO dossiers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (code, key, digest, body["local_ref"], body["kiosk_id"], unit, body["procedure_code"],
                     "received", answer["received_at"], answer["appointment_date"], json.dumps(history),
                     json.dumps(answer), json.dumps(body, ensure_ascii=False)))
                for position, item in enumerate(body.get("attachments") or []):
                    # the same bytes listed twice are one upload (the first entry names it)
                    self._conn.execute(
                        "INSERT INTO attachments (dossier_code, sha256, position, size, document, page) "
                        "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        (code, item["sha256"], position, item["size"], item["document"], item["page"]))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return 201, self._with_attachments(answer, code), False

    # --- attachments ---

    def _attachment_rows(self, code: str) -> list[tuple]:
        return self._conn.execute(
            "SELECT sha256, size, received, complete, document, page FROM attachments WHERE dossier_code = ? "
            "ORDER BY position", (code,)).fetchall()

    @staticmethod
    def _attachment_state(row: tuple) -> dict[str, Any]:
        sha, size, received, complete = row[:4]
        return {"sha256": sha, "size": size, "received": received, "complete": bool(complete)}

    def _with_attachments(self, answer: dict[str, Any], code: str) -> dict[str, Any]:
        """A receipt with what is held of its attachments now (a replay tells a restarted kiosk where to resume)."""
        rows = self._attachment_rows(code)
        if rows:
            answer = {**answer, "attachments": [self._attachment_state(r) for r in rows]}
        return answer

    def attachments(self, code: str) -> list[dict[str, Any]] | None:
        """Contract AttachmentStatus for each of the dossier's attachments; None for an unknown dossier."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM dossiers WHERE dossier_code = ?", (code,)).fetchone() is None:
                return None
            return [{**self._attachment_state(r), "document": r[4], "page": r[5]}
                    for r in self._attachment_rows(code)]

    def put_attachment_part(self, code: str, sha256: str, key: str, start: int, end: int, total: int,
                            data: bytes) -> dict[str, Any]:
        """Append bytes ``start..end`` (inclusive) of an attachment; contract AttachmentState.

        Raises Problem 404 (unknown dossier or SHA-256), 422 (another key, another size, a checksum mismatch:
        then what was held is discarded), 409 with ``received`` for a part beyond what is held."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                answer = self._put_part(code, sha256, key, start, end, total, data)
                self._conn.execute("COMMIT")
            except Problem as problem:
                # a checksum mismatch commits the discard; every other refusal changes nothing
                self._conn.execute("COMMIT" if problem.code == "attachment_checksum" else "ROLLBACK")
                raise
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return answer

    def _put_part(self, code: str, sha256: str, key: str, start: int, end: int, total: int,
                  data: bytes) -> dict[str, Any]:
        dossier = self._conn.execute("SELECT idempotency_key FROM dossiers WHERE dossier_code = ?",
                                     (code,)).fetchone()
        if dossier is None:
            raise Problem(404, "not_found", "no dossier with that code")
        row = self._conn.execute(
            "SELECT sha256, size, received, complete FROM attachments WHERE dossier_code = ? AND sha256 = ?",
            (code, sha256)).fetchone()
        if row is None:
            raise Problem(404, "not_found", "no attachment with that SHA-256 in the dossier's manifest")
        if dossier[0] != key:
            raise Problem(422, "idempotency_key_mismatch", "send the dossier's own Idempotency-Key")
        _, size, received, complete = row
        if total != size:
            raise Problem(422, "attachment_size_mismatch", f"the manifest says {size} bytes, not {total}")
        if complete:
            return self._attachment_state(row)  # completed once: a resent part changes nothing
        if start > received:
            raise Problem(409, "attachment_gap", f"the part starts at {start} but {received} bytes are held",
                          extra={"received": received})
        if end + 1 > received:
            self._conn.execute("INSERT INTO attachment_parts VALUES (?,?,?,?)",
                               (code, sha256, received, data[received - start:]))
            received = end + 1
        if received < size:
            self._conn.execute("UPDATE attachments SET received = ? WHERE dossier_code = ? AND sha256 = ?",
                               (received, code, sha256))
            return {"sha256": sha256, "size": size, "received": received, "complete": False}
        digest = hashlib.sha256()
        for (part,) in self._conn.execute("SELECT data FROM attachment_parts WHERE dossier_code = ? AND sha256 = ? "
                                          "ORDER BY start", (code, sha256)):
            digest.update(part)
        if digest.hexdigest() != sha256:
            self._conn.execute("DELETE FROM attachment_parts WHERE dossier_code = ? AND sha256 = ?", (code, sha256))
            self._conn.execute("UPDATE attachments SET received = 0 WHERE dossier_code = ? AND sha256 = ?",
                               (code, sha256))
            raise Problem(422, "attachment_checksum", "the SHA-256 of the bytes received does not match: discarded")
        self._conn.execute("UPDATE attachments SET received = ?, complete = 1, completions = completions + 1 "
                           "WHERE dossier_code = ? AND sha256 = ?", (size, code, sha256))
        return {"sha256": sha256, "size": size, "received": size, "complete": True}

    def attachment_completions(self, code: str | None = None) -> list[dict[str, Any]]:
        """Every attachment held (of dossier ``code``, if given) with ``completions``: contract SimAttachment."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT dossier_code, sha256, size, received, complete, completions FROM attachments "
                + ("WHERE dossier_code = ? " if code else "") + "ORDER BY rowid", (code,) if code else ()
            ).fetchall()
        return [{"dossier_code": c, "sha256": sha, "size": size, "received": received, "complete": bool(done),
                 "completions": n} for c, sha, size, received, done, n in rows]

    def attachment_data(self, code: str, sha256: str) -> bytes | None:
        """The bytes held of an attachment (for tests checking what arrived); None if it is unknown."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM attachments WHERE dossier_code = ? AND sha256 = ?",
                                  (code, sha256)).fetchone() is None:
                return None
            return b"".join(part for (part,) in self._conn.execute(
                "SELECT data FROM attachment_parts WHERE dossier_code = ? AND sha256 = ? ORDER BY start",
                (code, sha256)))

    def _check_province(self, ward_code: str) -> None:
        if self.province_code is None:
            return
        ward = wards.ward_by_code(ward_code)
        if ward is None or ward.province_code != self.province_code:
            raise Problem(422, "ward_outside_province",
                          f"ward {ward_code} is not a ward of province {self.province_code}")

    _RECORD_COLS = ("dossier_code, status, received_at, appointment_date, local_ref, idempotency_key, "
                    "procedure_code, ward_code, kiosk_id, history")

    def _record(self, row: tuple) -> dict[str, Any]:
        keys = [c.strip() for c in self._RECORD_COLS.split(",")]
        rec = dict(zip(keys, row, strict=True))
        rec["history"] = json.loads(rec["history"])
        return rec

    def _record_with_attachments(self, row: tuple) -> dict[str, Any]:
        rec = self._record(row)
        rows = self._attachment_rows(rec["dossier_code"])
        if rows:
            rec["attachments"] = [{**self._attachment_state(r), "document": r[4], "page": r[5]} for r in rows]
        return rec

    def get_dossier(self, code: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {self._RECORD_COLS} FROM dossiers WHERE dossier_code = ?", (code,)).fetchone()
            return self._record_with_attachments(row) if row else None

    def list_dossiers(self, local_ref: str | None) -> list[dict[str, Any]]:
        with self._lock:
            if local_ref is None:
                rows = self._conn.execute(f"SELECT {self._RECORD_COLS} FROM dossiers ORDER BY rowid").fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT {self._RECORD_COLS} FROM dossiers WHERE local_ref = ? ORDER BY rowid",
                    (local_ref,)).fetchall()
            return [self._record_with_attachments(r) for r in rows]

    def payload(self, code: str) -> dict[str, Any] | None:
        """The dossier as submitted (for tests checking what arrived)."""
        with self._lock:
            row = self._conn.execute("SELECT payload FROM dossiers WHERE dossier_code = ?", (code,)).fetchone()
        return json.loads(row[0]) if row else None

    def issue_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        """The new ticket's answer, and its follow token under ``follow_token`` (the caller makes the URL)."""
        now = _now()
        day = now.date().isoformat()
        priority = bool(body["priority"])
        # The follow page's address: random, so a number (A012) cannot be turned into somebody's page.
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # one sequence per day across areas and categories (the simulator serves one ward):
                # a number called in the hall means one citizen, whatever counter calls it
                (count,) = self._conn.execute("SELECT COUNT(*) FROM tickets WHERE day = ?", (day,)).fetchone()
                number = f"{'P' if priority else 'A'}{(count + 1) % 10000:03d}"
                cur = self._conn.execute(
                    "INSERT INTO tickets(day, area, priority, number, kiosk_id, issued_at) VALUES (?,?,?,?,?,?)",
                    (day, body["area"], int(priority), number, body["kiosk_id"], _iso(now)))
                ticket_id = cur.lastrowid
                area_name = body.get("area_name")
                self._conn.execute(
                    "INSERT INTO ticket_follow(ticket_id, token, area_name) VALUES (?,?,?)",
                    (ticket_id, token, json.dumps(area_name, ensure_ascii=False) if area_name else None))
                ahead = self._people_ahead(ticket_id, day, body["area"], priority)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return {"number": number, "area": body["area"], "priority": priority, "people_ahead": ahead,
                "issued_at": _iso(now), "follow_token": token}

    def _people_ahead(self, ticket_id: int, day: str, area: str, priority: bool) -> int:
        """Tickets of the same service still waiting that a counter calls first: priority ones, then by number.
        The same count at issue and on the follow page, so the page never contradicts the paper."""
        (ahead,) = self._conn.execute(
            "SELECT COUNT(*) FROM tickets t JOIN ticket_follow f ON f.ticket_id = t.id "
            "WHERE t.day = ? AND t.area = ? AND f.called_at IS NULL AND t.id != ? "
            "AND (t.priority > ? OR (t.priority = ? AND t.id < ?))",
            (day, area, ticket_id, int(priority), int(priority), ticket_id)).fetchone()
        return int(ahead)

    _STATUS_COLS = ("t.id, t.day, t.area, t.priority, t.number, t.issued_at, f.area_name, f.called_at, f.counter")

    def _status(self, row: tuple) -> dict[str, Any]:
        ticket_id, day, area, priority, number, issued_at, area_name, called_at, counter = row
        called = called_at is not None
        ahead = 0 if called else self._people_ahead(ticket_id, day, area, bool(priority))
        out: dict[str, Any] = {
            "number": number, "area": area, "priority": bool(priority), "people_ahead": ahead, "called": called,
            "counter": counter if called else None,
            "estimated_wait_minutes": None if called else ahead * MINUTES_PER_CITIZEN,
            "issued_at": issued_at, "called_at": called_at,
        }
        if area_name:
            out["area_name"] = json.loads(area_name)
        return out

    def ticket_status(self, token: str) -> dict[str, Any] | None:
        """The public status behind a follow token (contract TicketStatus); None for an unknown token."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {self._STATUS_COLS} FROM tickets t JOIN ticket_follow f ON f.ticket_id = t.id "
                "WHERE f.token = ?", (token,)).fetchone()
            return self._status(row) if row else None

    def call_next(self, counter: int, area: str | None = None) -> dict[str, Any]:
        """A counter calls the next of today's waiting tickets (of ``area`` if given): priority first, then by
        number. Contract CallNextResult: the called ticket's status (None if nobody waits) and how many wait."""
        now = _now()
        day = now.date().isoformat()
        where = "t.day = ? AND f.called_at IS NULL" + (" AND t.area = ?" if area else "")
        params: tuple = (day, area) if area else (day,)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    f"SELECT t.id FROM tickets t JOIN ticket_follow f ON f.ticket_id = t.id WHERE {where} "
                    "ORDER BY t.priority DESC, t.id LIMIT 1", params).fetchone()
                called = None
                if row is not None:
                    self._conn.execute("UPDATE ticket_follow SET called_at = ?, counter = ? WHERE ticket_id = ?",
                                       (_iso(now), counter, row[0]))
                    called = self._status(self._conn.execute(
                        f"SELECT {self._STATUS_COLS} FROM tickets t JOIN ticket_follow f ON f.ticket_id = t.id "
                        "WHERE t.id = ?", (row[0],)).fetchone())
                (waiting,) = self._conn.execute(
                    "SELECT COUNT(*) FROM tickets t JOIN ticket_follow f ON f.ticket_id = t.id "
                    "WHERE t.day = ? AND f.called_at IS NULL", (day,)).fetchone()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return {"called": called, "waiting": int(waiting)}

    def add_feedback(self, body: dict[str, Any]) -> dict[str, Any]:
        now = _iso(_now())
        with self._lock:
            cur = self._conn.execute("INSERT INTO feedback(kiosk_id, body, received_at) VALUES (?,?,?)",
                                     (body["kiosk_id"], json.dumps(body, ensure_ascii=False), now))
        return {"feedback_id": cur.lastrowid, "received_at": now}

    def heartbeat(self, kiosk_id: str, body: dict[str, Any]) -> dict[str, Any]:
        now = _iso(_now())
        with self._lock:
            self._conn.execute(
                "INSERT INTO heartbeats VALUES (?,?,?) ON CONFLICT(kiosk_id) DO UPDATE SET body=excluded.body, "
                "received_at=excluded.received_at", (kiosk_id, json.dumps(body), now))
        return {"received_at": now, "server_time": now}

    # --- payments (VietQR fees) ---

    _PAYMENT_COLS = ("reference, dossier_code, amount_vnd, beneficiary, purpose, created_at, expires_at, paid_at")

    @staticmethod
    def _payment_status(expires_at: str, paid_at: str | None, now: datetime) -> str:
        if paid_at is not None:
            return "paid"
        return "expired" if now > datetime.fromisoformat(expires_at) else "pending"

    def _order(self, row: tuple, now: datetime) -> dict[str, Any]:
        """Contract PaymentOrder from a payments row."""
        reference, dossier_code, amount, beneficiary, purpose, created_at, expires_at, paid_at = row
        out: dict[str, Any] = {
            "reference": reference, "dossier_code": dossier_code, "amount_vnd": amount, "currency": "VND",
            "beneficiary": json.loads(beneficiary), "purpose": purpose,
            "status": self._payment_status(expires_at, paid_at, now),
            "created_at": created_at, "expires_at": expires_at,
        }
        if paid_at is not None:
            out["paid_at"] = paid_at
        return out

    @staticmethod
    def _state(order: dict[str, Any]) -> dict[str, Any]:
        """Contract PaymentState: the order's fields the kiosk polls."""
        return {k: order[k] for k in ("reference", "dossier_code", "status", "amount_vnd", "expires_at", "paid_at")
                if k in order}

    def _payment_row(self, where: str, params: tuple) -> tuple | None:
        return self._conn.execute(f"SELECT {self._PAYMENT_COLS} FROM payments WHERE {where}", params).fetchone()

    def request_payment(self, dossier_code: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(status, PaymentOrder): 201 for a new order, 200 for the dossier's existing one with the same amount.

        Raises Problem 404 for an unknown dossier, 409 ``payment_conflict`` for another amount. The amount is the
        kiosk's (a real backend computes the fee itself and refuses a mismatch)."""
        amount = int(body["amount_vnd"])
        now = _now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if self._conn.execute("SELECT 1 FROM dossiers WHERE dossier_code = ?", (dossier_code,)
                                      ).fetchone() is None:
                    raise Problem(404, "not_found", "no dossier with that code")
                row = self._payment_row("dossier_code = ?", (dossier_code,))
                if row is not None:
                    if row[2] != amount:
                        raise Problem(409, "payment_conflict",
                                      "the dossier already has a payment order for another amount")
                    self._conn.execute("COMMIT")
                    return 200, self._order(row, now)
                created, expires = _iso(now), _iso(now + timedelta(minutes=PAYMENT_VALID_MINUTES))
                beneficiary = json.dumps(PAYMENT_BENEFICIARY)
                while True:
                    reference = "HS" + "".join(secrets.choice(_REFERENCE_ALPHABET)
                                               for _ in range(PAYMENT_REFERENCE_RANDOM_CHARS))
                    purpose = f"{reference} LE PHI"[:PAYMENT_PURPOSE_MAX]
                    try:
                        self._conn.execute(
                            "INSERT INTO payments VALUES (?,?,?,?,?,?,?,?,NULL)",
                            (reference, dossier_code, body["kiosk_id"], amount, beneficiary, purpose, created,
                             expires))
                    except sqlite3.IntegrityError:
                        continue  # the same random reference twice
                    break
                row = self._payment_row("reference = ?", (reference,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return 201, self._order(row, now)

    def payment_state(self, reference: str) -> dict[str, Any] | None:
        """Contract PaymentState; None for an unknown reference."""
        with self._lock:
            row = self._payment_row("reference = ?", (reference,))
        return self._state(self._order(row, _now())) if row else None

    def bank_transfer(self, reference: str | None = None) -> dict[str, Any]:
        """The simulated bank pays order ``reference`` (None: the newest pending one): its PaymentState, now paid.

        An order already paid is answered unchanged (a bank may notify twice). Raises Problem 404 for no such
        order (or none pending), 409 ``payment_expired`` for an expired one."""
        now = _now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if reference is not None:
                    row = self._payment_row("reference = ?", (reference,))
                    if row is None:
                        raise Problem(404, "not_found", "no payment order with that reference")
                else:
                    # as text: every time is _iso()'s UTC "...:SSZ", so later sorts greater, and later than
                    # now truncated to the second is later than now
                    row = self._payment_row("paid_at IS NULL AND expires_at > ? ORDER BY rowid DESC LIMIT 1",
                                            (_iso(now),))
                    if row is None:
                        raise Problem(404, "not_found", "no pending payment order")
                order = self._order(row, now)
                if order["status"] == "expired":
                    raise Problem(409, "payment_expired", "the payment order has expired")
                if order["status"] == "pending":
                    self._conn.execute("UPDATE payments SET paid_at = ? WHERE reference = ?",
                                       (_iso(now), order["reference"]))
                    order = self._order(self._payment_row("reference = ?", (order["reference"],)), now)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return self._state(order)
