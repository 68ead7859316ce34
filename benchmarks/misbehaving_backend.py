"""A provincial backend that misbehaves on purpose, for benchmarks/backend_faults.py.

Raw sockets on 127.0.0.1 rather than http.server, because several faults have to break HTTP itself (a
header dripped one byte at a time, a reset mid-request, a 200 MiB body). It implements just enough of
``POST /api/v1/dossiers`` (docs/backend-api.yaml): a 201 receipt, and the Idempotency-Key honoured
(same key, same dossier), so a resend under the same key is not a duplicate and a resend under a new
key for the same ``local_ref`` is. Keep-alive is supported, as httpx keeps its connections.

Each request is answered according to the behaviour in force when its headers arrived; a request
caught by a fault keeps misbehaving after the server is switched back to ``normal`` (a stuck
proxy connection does not heal itself), until the client gives up or :meth:`stop` closes it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kiosk.core import clock

BEHAVIOURS = ("normal", "latency", "error500", "retry_after", "malformed", "oversized", "slow_drip",
              "never_answers", "resets", "outage")

LATENCY_S = 2.0
RETRY_AFTER_S = 120
OVERSIZED_BYTES = 200 * 1024 * 1024
DRIP_INTERVAL_S = 2.0
_CHUNK = b"x" * 65536


@dataclass
class RequestLog:
    """One HTTP request as the server saw it: from its first byte (or the connection's accept, for
    the first request of a connection) to its answer written or its connection closed."""

    started: float
    behaviour: str
    ended: float | None = None
    local_ref: str | None = None  # when the body was read and parsed

    def open_for(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started


class MisbehavingBackend:
    """``b = MisbehavingBackend(); b.start(); b.behaviour = "slow_drip"; ...; b.stop()``."""

    def __init__(self, token: str, port: int = 0) -> None:
        self.token = token
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._behaviour = "normal"
        self.requests: list[RequestLog] = []
        self.by_key: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> receipt
        self.dossiers: list[dict[str, Any]] = []  # every dossier created, with its local_ref
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._port = port

    # --- control ---

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def behaviour(self) -> str:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        if value not in BEHAVIOURS:
            raise ValueError(value)
        with self._lock:
            was, self._behaviour = self._behaviour, value
        if value == "outage" and was != "outage":
            self._close_listener()
            self._drop_connections()  # a backend that went away takes its connections with it
        elif value != "outage" and was == "outage":
            self._listen()

    def start(self) -> MisbehavingBackend:
        self._listen()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._close_listener()
        self._drop_connections()

    def dossiers_per_local_ref(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for d in self.dossiers:
                counts[d["local_ref"]] = counts.get(d["local_ref"], 0) + 1
            return counts

    def snapshot(self) -> list[RequestLog]:
        with self._lock:
            return list(self.requests)

    # --- sockets ---

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))  # the same port again after an outage
        sock.listen(128)
        self._port = sock.getsockname()[1]
        self._listener = sock
        self._accept_thread = threading.Thread(target=self._accept, args=(sock,), name="misbehaving-accept",
                                               daemon=True)
        self._accept_thread.start()

    def _close_listener(self) -> None:
        sock, self._listener = self._listener, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
            except OSError:
                pass
            sock.close()
        if self._accept_thread is not None:
            self._accept_thread.join(5)

    def _drop_connections(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:  # shutdown wakes the thread blocked in recv() on it (close alone would not)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self, sock: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn, time.monotonic()), name="misbehaving-conn",
                             daemon=True).start()

    def _serve(self, conn: socket.socket, accepted: float) -> None:
        buffer = b""
        first = True
        try:
            while not self._stopping.is_set():
                started = accepted if first else None
                first = False
                head, buffer, started = self._read_head(conn, buffer, started)
                if head is None:
                    return
                with self._lock:
                    behaviour = self._behaviour
                    log = RequestLog(started, behaviour)
                    self.requests.append(log)
                try:
                    keep = self._answer(conn, head, buffer, behaviour, log)
                    buffer = b"" if keep is True else keep or b""
                finally:
                    if log.ended is None:
                        log.ended = time.monotonic()
                if keep is None:
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _read_head(self, conn: socket.socket, buffer: bytes,
                   started: float | None) -> tuple[bytes | None, bytes, float]:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return None, b"", started or time.monotonic()
            if started is None:
                started = time.monotonic()
            buffer += data
        head, _, rest = buffer.partition(b"\r\n\r\n")
        return head, rest, started if started is not None else time.monotonic()

    # --- answers ---

    def _answer(self, conn: socket.socket, head: bytes, rest: bytes, behaviour: str,
                log: RequestLog) -> bytes | bool | None:
        """Answer one request; return what was read past it (keep the connection), or None (close)."""
        lines = head.decode("latin-1").split("\r\n")
        method, path = (lines[0].split(" ") + ["", ""])[:2]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if behaviour == "resets":
            _reset(conn)  # mid-request: the body is never read, nothing is created
            return None
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            data = conn.recv(65536)
            if not data:
                return None
            rest += data
        body, rest = rest[:length], rest[length:]
        if method != "POST" or path.split("?")[0] != "/api/v1/dossiers":
            self._send(conn, 404, {"title": "not found"}, log)
            return rest
        if headers.get("authorization") != f"Bearer {self.token}":
            self._send(conn, 401, {"title": "unauthorized"}, log)
            return rest
        try:
            log.local_ref = str(json.loads(body)["local_ref"])
        except (ValueError, KeyError, TypeError):
            pass
        if behaviour == "error500":
            self._send(conn, 500, {"title": "internal error"}, log)
            return rest
        if behaviour == "retry_after":
            self._send(conn, 429, {"title": "too many requests"}, log, {"Retry-After": str(RETRY_AFTER_S)})
            return rest
        receipt = self._create(body, headers.get("idempotency-key", ""), log)
        if receipt is None:
            self._send(conn, 422, {"title": "unprocessable"}, log)
            return rest
        if behaviour == "latency":
            if self._stopping.wait(LATENCY_S):
                return None
        elif behaviour == "malformed":  # a proxy's error page passed off as the answer
            self._raw(conn, 200, b"<html><body>Bad gateway</body></html>", "application/json", log)
            return rest
        elif behaviour == "oversized":
            self._oversized(conn, log)
            return None
        elif behaviour == "slow_drip":
            self._drip(conn)
            return None
        elif behaviour == "never_answers":
            self._hold(conn)
            return None
        self._send(conn, 201, receipt, log)
        return rest

    def _create(self, body: bytes, key: str, log: RequestLog) -> dict[str, Any] | None:
        try:
            payload = json.loads(body)
            local_ref = str(payload["local_ref"])
        except (ValueError, KeyError, TypeError):
            return None
        log.local_ref = local_ref
        with self._lock:
            if key and key in self.by_key:
                return self.by_key[key]
            now = clock.now()
            receipt = {
                "dossier_code": f"00073-{now:%y%m%d}-{len(self.dossiers) + 1:04d}",
                "status": "received",
                "received_at": now.isoformat(timespec="seconds"),
                "appointment_date": (now.date() + timedelta(days=5)).isoformat(),
                "local_ref": local_ref,
            }
            self.dossiers.append(receipt)
            if key:
                self.by_key[key] = receipt
            return receipt

    def _send(self, conn: socket.socket, status: int, body: dict[str, Any], log: RequestLog,
              extra: dict[str, str] | None = None) -> None:
        ctype = "application/json" if status < 400 else "application/problem+json"
        self._raw(conn, status, json.dumps(body).encode(), ctype, log, extra)

    def _raw(self, conn: socket.socket, status: int, body: bytes, ctype: str, log: RequestLog,
             extra: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {ctype}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        log.ended = time.monotonic()

    def _oversized(self, conn: socket.socket, log: RequestLog) -> None:
        """A 200 whose body is OVERSIZED_BYTES of JSON-looking text, generated as it is sent."""
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {OVERSIZED_BYTES}"
                     "\r\n\r\n".encode())
        sent = 0
        while sent < OVERSIZED_BYTES and not self._stopping.is_set():
            piece = _CHUNK[:OVERSIZED_BYTES - sent]
            conn.sendall(piece)
            sent += len(piece)
        log.ended = time.monotonic()

    def _drip(self, conn: socket.socket) -> None:
        """A status line and then a header that never ends, one byte every DRIP_INTERVAL_S."""
        for byte in _drip_bytes():
            if self._stopping.is_set():
                return
            conn.sendall(byte)
            if self._client_gone(conn, DRIP_INTERVAL_S):
                return

    def _hold(self, conn: socket.socket) -> None:
        """Read everything, answer nothing, until the client gives up."""
        while not self._stopping.is_set():
            if self._client_gone(conn, 1.0):
                return

    def _client_gone(self, conn: socket.socket, wait: float) -> bool:
        conn.settimeout(wait)
        try:
            data = conn.recv(65536)
        except TimeoutError:
            return False
        except OSError:
            return True
        finally:
            conn.settimeout(None)
        return not data  # anything else the client sends on a stuck connection is ignored


def _drip_bytes():
    yield from (bytes([b]) for b in b"HTTP/1.1 201 Created\r\nX-Drip: ")
    while True:
        yield b"a"


def _reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST, not a FIN."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    except OSError:
        pass


_REASONS = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Content",
            429: "Too Many Requests", 500: "Internal Server Error"}
