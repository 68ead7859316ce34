"""``kiosk backend-sim``: a real HTTP server implementing docs/backend-api.yaml, for demos and tests.

Stdlib ``ThreadingHTTPServer`` on loopback, SQLite-backed. Every body is validated against the
contract's schemas and every error is ``application/problem+json``. Faults can be injected:
latency, 5xx answers and dropped connections (each either before or after the request is
processed, so a client cannot tell whether a dossier was recorded), scripted answers such as a
429 with ``Retry-After``, and a whole outage (the listening socket closes, connections are refused).

Exactly once: a dossier is created and its ``Idempotency-Key`` recorded in one transaction under
one lock, so concurrent retries of the same key get the same answer and one dossier.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import socket
import sqlite3
import ssl
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kiosk.backend.contract import schema_errors
from kiosk.core import clock, wards

log = logging.getLogger(__name__)

VERSION = "1.0.0"
MAX_BODY = 256 * 1024
APPOINTMENT_WORKING_DAYS = 3

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
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

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
        return out


# --- fault injection ------------------------------------------------------------------------------

@dataclass
class FaultAction:
    """One injected fault: ``drop`` ("before"|"after") or an error ``status`` with ``headers``."""

    drop: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False  # for a status: answer it after processing the request
    path_prefix: str = "/"
    body_contains: bytes | None = None  # only requests whose body holds these bytes (one dossier)
    sticky: bool = False  # answer every matching request so, rather than the next one only


class Faults:
    """Mutable at run time from tests: random faults and a script of the next answers."""

    def __init__(self, latency_ms: int = 0, error_rate: float = 0.0, drop_rate: float = 0.0,
                 seed: int | None = None) -> None:
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.drop_rate = drop_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._script: deque[FaultAction] = deque()
        # cleared = "silent": every request is read and never answered (a network that drops packets
        # after the handshake, a backend stuck on its database) until set again
        self.answering = threading.Event()
        self.answering.set()

    def silence(self, on: bool) -> None:
        """Accept and read every request but answer none (on), or answer again (off)."""
        (self.answering.clear if on else self.answering.set)()

    def script(self, *actions: FaultAction) -> None:
        """Answer the next matching requests with these faults, in order."""
        with self._lock:
            self._script.extend(actions)

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self.latency_ms = 0
            self.error_rate = self.drop_rate = 0.0
        self.answering.set()

    def next_action(self, path: str, body: bytes = b"") -> tuple[float, FaultAction | None]:
        with self._lock:
            for action in list(self._script):
                if path.startswith(action.path_prefix) and (
                        action.body_contains is None or action.body_contains in body):
                    if not action.sticky:
                        self._script.remove(action)
                    return self.latency_ms / 1000.0, action
            roll = self._rng.random()
            after = self._rng.random() < 0.5
            if roll < self.drop_rate:
                return self.latency_ms / 1000.0, FaultAction(drop="after" if after else "before")
            if roll < self.drop_rate + self.error_rate:
                status = self._rng.choice([500, 502, 503, 504])
                return self.latency_ms / 1000.0, FaultAction(status=status, after=after)
            return self.latency_ms / 1000.0, None


class _Drop(Exception):
    pass


# --- storage --------------------------------------------------------------------------------------

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
CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, kiosk_id TEXT, body TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (kiosk_id TEXT PRIMARY KEY, body TEXT, received_at TEXT);
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
                "SELECT body_sha256, response FROM dossiers WHERE idempotency_key = ?", (key,)
            ).fetchone()
            if row:
                if row[0] != digest:
                    raise Problem(422, "idempotency_key_reused", "the key was first used with another body")
                return 201, json.loads(row[1]), True
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
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return 201, answer, False

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

    def get_dossier(self, code: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {self._RECORD_COLS} FROM dossiers WHERE dossier_code = ?", (code,)).fetchone()
        return self._record(row) if row else None

    def list_dossiers(self, local_ref: str | None) -> list[dict[str, Any]]:
        with self._lock:
            if local_ref is None:
                rows = self._conn.execute(f"SELECT {self._RECORD_COLS} FROM dossiers ORDER BY rowid").fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT {self._RECORD_COLS} FROM dossiers WHERE local_ref = ? ORDER BY rowid",
                    (local_ref,)).fetchall()
        return [self._record(r) for r in rows]

    def payload(self, code: str) -> dict[str, Any] | None:
        """The dossier as submitted (for tests checking what arrived)."""
        with self._lock:
            row = self._conn.execute("SELECT payload FROM dossiers WHERE dossier_code = ?", (code,)).fetchone()
        return json.loads(row[0]) if row else None

    def issue_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        now = _now()
        day = now.date().isoformat()
        priority = bool(body["priority"])
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # one sequence per day across areas and categories (the simulator serves one ward):
                # a number called in the hall means one citizen, whatever counter calls it
                (count,) = self._conn.execute("SELECT COUNT(*) FROM tickets WHERE day = ?", (day,)).fetchone()
                since = _iso(now - timedelta(minutes=30))
                (ahead,) = self._conn.execute(
                    "SELECT COUNT(*) FROM tickets WHERE day = ? AND area = ? AND issued_at >= ?"
                    + ("" if not priority else " AND priority = 1"),
                    (day, body["area"], since)).fetchone()
                number = f"{'P' if priority else 'A'}{(count + 1) % 10000:03d}"
                self._conn.execute(
                    "INSERT INTO tickets(day, area, priority, number, kiosk_id, issued_at) VALUES (?,?,?,?,?,?)",
                    (day, body["area"], int(priority), number, body["kiosk_id"], _iso(now)))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return {"number": number, "area": body["area"], "priority": priority, "people_ahead": ahead,
                "issued_at": _iso(now)}

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


# --- HTTP -----------------------------------------------------------------------------------------

_IDEMPOTENCY_KEY_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of 50 kiosks (a demo room, a load test) had
    # 11 % of its connections reset. The accept loop only hands each socket to its own thread.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], store: Store, token: str, faults: Faults,
                 stats: Counter) -> None:
        self.store = store
        self.token = token
        self.faults = faults
        self.stats = stats
        self.stats_lock = threading.Lock()
        self.closing = False
        self._open: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up or fails the TLS handshake is not the simulator's failure.
        log.debug("connection from %s ended abnormally", client_address, exc_info=True)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.stats_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.stats_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Cut every open connection too (keep-alive ones would otherwise outlive an outage)."""
        self.closing = True
        with self.stats_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client waits for the
    # delayed ACK (~40 ms) on every answer.
    disable_nagle_algorithm = True
    server: _Server
    server_version = "WardBackendSim/" + VERSION

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def do_TRACE(self) -> None:
        self._dispatch("TRACE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def __getattr__(self, name: str) -> Any:
        # Any other method (QUERY, PROPFIND...) is answered 405 in the contract's shape, not the stdlib's 501.
        if name.startswith("do_"):
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)

    # routing: (method -> handler name) per path pattern
    def _route(self, path: str) -> tuple[dict[str, str], list[str]] | None:
        parts = path.split("/")
        if parts[:3] != ["", "api", "v1"]:
            return None
        rest = [unquote(p) for p in parts[3:]]
        if rest == ["health"]:
            return {"GET": "_health"}, []
        if rest == ["dossiers"]:
            return {"POST": "_submit_dossier", "GET": "_list_dossiers"}, []
        if len(rest) == 2 and rest[0] == "dossiers" and rest[1]:
            return {"GET": "_get_dossier"}, [rest[1]]
        if rest == ["queue", "tickets"]:
            return {"POST": "_issue_ticket"}, []
        if rest == ["feedback"]:
            return {"POST": "_feedback"}, []
        if len(rest) == 3 and rest[0] == "kiosks" and rest[2] == "heartbeat" and rest[1]:
            return {"POST": "_heartbeat"}, [rest[1]]
        return None

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        instance = url.path
        try:
            try:
                self._handle(method, url.path, url.query)
            except _Drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._count("drop")
        except Problem as problem:
            self._send(problem.status, problem.body(instance), problem.headers,
                       content_type="application/problem+json")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception:  # a bug must still answer in the contract's shape
            log.exception("simulator failure on %s %s", method, instance)
            self._send(500, Problem(500, "internal").body(instance), {}, content_type="application/problem+json")

    def _count(self, what: str | int) -> None:
        with self.server.stats_lock:
            self.server.stats[what] += 1

    def _handle(self, method: str, path: str, query: str) -> None:
        if self.server.closing:
            raise _Drop()
        route = self._route(path)
        body_bytes = self._read_body()
        delay, action = self.server.faults.next_action(path, body_bytes)
        while not self.server.faults.answering.wait(0.2):
            if self.server.closing:
                raise _Drop()
        if delay:
            threading.Event().wait(delay)
        if action and action.drop == "before":
            raise _Drop()
        if action and action.status and not action.after:
            raise Problem(action.status, "rate_limited" if action.status == 429 else "unavailable",
                          "injected fault", headers=action.headers)
        if route is None:
            raise Problem(404, "not_found", "no such path")
        methods, params = route
        if method not in methods:
            raise Problem(405, "method_not_allowed", headers={"Allow": ", ".join(sorted(methods))})
        if methods[method] != "_health":
            self._check_token()
        status, answer, headers = getattr(self, methods[method])(body_bytes, query, *params)
        if action and action.drop == "after":
            raise _Drop()
        if action and action.status:
            raise Problem(action.status, "rate_limited" if action.status == 429 else "unavailable",
                          "injected fault", headers=action.headers)
        self._send(status, answer, headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise Problem(400, "invalid_body", "chunked bodies are not accepted; send Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            self.close_connection = True
            raise Problem(400, "invalid_body", "bad Content-Length") from None
        if length < 0:
            self.close_connection = True
            raise Problem(400, "invalid_body", "bad Content-Length")
        if length > MAX_BODY:
            self.close_connection = True  # the unread body would corrupt the next request
            raise Problem(413, "too_large", f"at most {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _check_token(self) -> None:
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8", "replace"), self.server.token.encode()
        ):
            raise Problem(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="ward-backend"'})

    def _json_body(self, body: bytes, schema: str) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise Problem(415, "unsupported_media_type", "send application/json")

        def no_constants(name: str) -> Any:
            raise ValueError(name)

        try:
            data = json.loads(body.decode("utf-8"), parse_constant=no_constants)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Problem(400, "not_json", "the body is not valid UTF-8 JSON") from None
        errors = schema_errors(schema, data)
        if errors:
            raise Problem(400, "invalid_body", f"the body does not match {schema}", errors=errors)
        return data

    def _send(self, status: int, body: Any, headers: dict[str, str], content_type: str = "application/json") -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._count(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # --- operations (each returns status, body, headers) ---

    def _health(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        return 200, {"status": "ok", "time": _iso(_now()), "version": VERSION}, {}

    def _submit_dossier(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        key = self.headers.get("Idempotency-Key")
        if key is None or not (8 <= len(key) <= 128) or not set(key) <= _IDEMPOTENCY_KEY_OK:
            raise Problem(400, "no_idempotency_key", "send a fresh Idempotency-Key per dossier")
        data = self._json_body(body, "DossierSubmission")
        status, answer, replayed = self.server.store.submit_dossier(key, data)
        return status, answer, {"Idempotent-Replayed": "true" if replayed else "false",
                                "Location": f"/api/v1/dossiers/{answer['dossier_code']}"}

    def _list_dossiers(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        params = parse_qs(query, keep_blank_values=True)
        local_ref = params.get("local_ref", [None])[0]
        if local_ref is not None and schema_errors("LocalRef", local_ref):
            raise Problem(400, "invalid_parameter", "local_ref is malformed")
        return 200, {"items": self.server.store.list_dossiers(local_ref)}, {}

    def _get_dossier(self, body: bytes, query: str, code: str) -> tuple[int, Any, dict[str, str]]:
        record = self.server.store.get_dossier(code)
        if record is None:
            raise Problem(404, "not_found", "no dossier with that code")
        return 200, record, {}

    def _issue_ticket(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        return 201, self.server.store.issue_ticket(self._json_body(body, "TicketRequest")), {}

    def _feedback(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        return 201, self.server.store.add_feedback(self._json_body(body, "Feedback")), {}

    def _heartbeat(self, body: bytes, query: str, kiosk_id: str) -> tuple[int, Any, dict[str, str]]:
        if schema_errors("KioskId", kiosk_id):
            raise Problem(400, "invalid_parameter", "kiosk_id is malformed")
        return 200, self.server.store.heartbeat(kiosk_id, self._json_body(body, "Heartbeat")), {}


# --- running it -----------------------------------------------------------------------------------

class SimulatorHandle:
    """A simulator running in a background thread of this process."""

    def __init__(self, host: str, port: int, store: Store, token: str, faults: Faults,
                 tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.store = store
        self.token = token
        self.faults = faults
        self.stats: Counter = Counter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self._start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def _start(self) -> None:
        self._server = _Server((self.host, self.port), self.store, self.token, self.faults, self.stats)
        if self.tls is not None:
            # The handshake happens in the connection's own thread, on its first read.
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True,
                                                       do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="backend-sim", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """An outage: stop listening, so connections are refused until :meth:`resume`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_all()
            self._server = None

    def resume(self) -> None:
        """The outage ends: listen again on the same port."""
        if self._server is None:
            self._start()

    def stop(self) -> None:
        self.pause()
        self.store.close()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator_thread(db: Path | str, token: str, *, host: str = "127.0.0.1", port: int = 0,
                           latency_ms: int = 0, error_rate: float = 0.0, drop_rate: float = 0.0,
                           seed: int | None = None, tls_cert: Path | str | None = None,
                           tls_key: Path | str | None = None,
                           client_ca: Path | str | None = None,
                           province_code: str | None = None) -> SimulatorHandle:
    """Start the simulator in a daemon thread (port 0 = a free port); ``handle.url``, ``handle.stop()``.

    With ``tls_cert``/``tls_key`` it serves HTTPS; with ``client_ca`` it also demands a client
    certificate signed by that CA. With ``province_code`` it serves that province only (``store.province_code``
    can change it while running)."""
    tls = None
    if tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(tls_cert), str(tls_key) if tls_key else None)
        if client_ca:
            tls.verify_mode = ssl.CERT_REQUIRED
            tls.load_verify_locations(str(client_ca))
    return SimulatorHandle(host, port, Store(db, province_code), token,
                           Faults(latency_ms, error_rate, drop_rate, seed), tls)


def serve(host: str, port: int, db: Path | str, token: str, latency_ms: int = 0, error_rate: float = 0.0,
          drop_rate: float = 0.0, seed: int | None = None, province_code: str | None = None) -> None:
    """Run the simulator in the foreground until interrupted."""
    store = Store(db, province_code)
    server = _Server((host, port), store, token, Faults(latency_ms, error_rate, drop_rate, seed), Counter())
    bound = server.server_address
    print(f"backend simulator listening on http://{bound[0]}:{bound[1]} (db {db})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
