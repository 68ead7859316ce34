"""The simulator's HTTP side: the server, the request handler, and the ways to run it.

Stdlib ``ThreadingHTTPServer`` on loopback. Every body is validated against the contract's schemas
and every error is ``application/problem+json``. A whole outage closes the listening socket, so
connections are refused (:meth:`SimulatorHandle.pause`).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kiosk.backend.contract import schema_errors
from kiosk.backend.sim.faults import Faults, _Drop
from kiosk.backend.sim.follow import PAGE_HEADERS, follow_page, not_found_page
from kiosk.backend.sim.store import Problem, Store, _iso, _now

log = logging.getLogger(__name__)

VERSION = "1.0.0"
MAX_BODY = 256 * 1024
MAX_PART = 1024 * 1024  # an attachment part (application/octet-stream)
_CONTENT_RANGE = re.compile(r"^bytes ([0-9]{1,10})-([0-9]{1,10})/([0-9]{1,10})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: Operations anyone may call without the device token: the health check, and what a citizen's phone opens.
_PUBLIC = frozenset({"_health", "_ticket_status", "_follow_page"})
_TOKEN_OK = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class _Html:
    """An answer that is a page, not JSON."""

    def __init__(self, text: str) -> None:
        self.text = text


_IDEMPOTENCY_KEY_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of 50 kiosks (a demo room, a load test) had
    # 11 % of its connections reset. The accept loop only hands each socket to its own thread.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], store: Store, token: str, faults: Faults,
                 stats: Counter, public_url: str | None = None) -> None:
        self.store = store
        #: The base of the follow URLs put on tickets; None: this server's own address (see follow_base)
        self.public_url = public_url.rstrip("/") if public_url else None
        self.scheme = "http"
        self.token = token
        self.faults = faults
        self.stats = stats
        self.stats_lock = threading.Lock()
        self.closing = False
        self._open: set[socket.socket] = set()
        super().__init__(address, _Handler)

    @property
    def follow_base(self) -> str:
        """Where phones reach the follow pages: ``--public-url`` (a demo on a LAN gives phones the laptop's
        address), else the address this server listens on (loopback for a demo on one machine)."""
        if self.public_url:
            return self.public_url
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"{self.scheme}://{host}:{port}"

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
        if len(parts) == 3 and parts[1] == "q" and parts[2]:
            return {"GET": "_follow_page"}, [unquote(parts[2])]
        if parts[:3] != ["", "api", "v1"]:
            return None
        rest = [unquote(p) for p in parts[3:]]
        if rest == ["health"]:
            return {"GET": "_health"}, []
        if rest == ["dossiers"]:
            return {"POST": "_submit_dossier", "GET": "_list_dossiers"}, []
        if len(rest) == 2 and rest[0] == "dossiers" and rest[1]:
            return {"GET": "_get_dossier"}, [rest[1]]
        if len(rest) == 3 and rest[0] == "dossiers" and rest[1] and rest[2] == "attachments":
            return {"GET": "_list_attachments"}, [rest[1]]
        if len(rest) == 4 and rest[0] == "dossiers" and rest[1] and rest[2] == "attachments" and rest[3]:
            return {"PUT": "_put_attachment_part"}, [rest[1], rest[3]]
        if rest == ["sim", "attachments"]:
            return {"GET": "_sim_attachments"}, []
        if len(rest) == 3 and rest[0] == "dossiers" and rest[1] and rest[2] == "payment":
            return {"POST": "_request_payment"}, [rest[1]]
        if len(rest) == 2 and rest[0] == "payments" and rest[1]:
            return {"GET": "_payment_status"}, [rest[1]]
        if rest == ["sim", "bank", "transfers"]:
            return {"POST": "_sim_bank_transfer"}, []
        if rest == ["queue", "tickets"]:
            return {"POST": "_issue_ticket"}, []
        if len(rest) == 3 and rest[:2] == ["queue", "status"] and rest[2]:
            return {"GET": "_ticket_status"}, [rest[2]]
        if rest == ["queue", "call-next"]:
            return {"POST": "_call_next"}, []
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
        body_bytes = self._read_body(MAX_PART if method == "PUT" and route and "PUT" in route[0] else MAX_BODY)
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
        if methods[method] not in _PUBLIC:
            self._check_token()
        status, answer, headers = getattr(self, methods[method])(body_bytes, query, *params)
        if action and action.drop == "after":
            raise _Drop()
        if action and action.status:
            raise Problem(action.status, "rate_limited" if action.status == 429 else "unavailable",
                          "injected fault", headers=action.headers)
        self._send(status, answer, headers)

    def _read_body(self, limit: int = MAX_BODY) -> bytes:
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
        if length > limit:
            self.close_connection = True  # the unread body would corrupt the next request
            raise Problem(413, "too_large", f"at most {limit} bytes")
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
        if isinstance(body, _Html):
            data, content_type = body.text.encode("utf-8"), "text/html; charset=utf-8"
        else:
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

    def _list_attachments(self, body: bytes, query: str, code: str) -> tuple[int, Any, dict[str, str]]:
        held = None if schema_errors("DossierCode", code) else self.server.store.attachments(code)
        if held is None:
            raise Problem(404, "not_found", "no dossier with that code")
        return 200, {"attachments": held}, {}

    def _put_attachment_part(self, body: bytes, query: str, code: str,
                             sha256: str) -> tuple[int, Any, dict[str, str]]:
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/octet-stream":
            raise Problem(415, "unsupported_media_type", "send application/octet-stream")
        key = self.headers.get("Idempotency-Key")
        if key is None or not (8 <= len(key) <= 128) or not set(key) <= _IDEMPOTENCY_KEY_OK:
            raise Problem(400, "no_idempotency_key", "send the dossier's Idempotency-Key")
        match = _CONTENT_RANGE.match(self.headers.get("Content-Range", "").strip())
        if match is None:
            raise Problem(400, "invalid_range", "send Content-Range: bytes START-END/TOTAL")
        start, end, total = (int(g) for g in match.groups())
        if not (start <= end < total) or end - start + 1 != len(body):
            raise Problem(400, "invalid_range", "Content-Range does not match the body")
        if schema_errors("DossierCode", code) or not _SHA256.match(sha256):
            raise Problem(404, "not_found", "no such attachment")
        return 200, self.server.store.put_attachment_part(code, sha256, key, start, end, total, body), {}

    def _sim_attachments(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        code = parse_qs(query, keep_blank_values=True).get("dossier_code", [None])[0]
        if code is not None and schema_errors("DossierCode", code):
            raise Problem(400, "invalid_parameter", "dossier_code is malformed")
        return 200, {"attachments": self.server.store.attachment_completions(code)}, {}

    def _request_payment(self, body: bytes, query: str, code: str) -> tuple[int, Any, dict[str, str]]:
        if schema_errors("DossierCode", code):
            raise Problem(404, "not_found", "no dossier with that code")
        data = self._json_body(body, "PaymentRequest")
        status, order = self.server.store.request_payment(code, data)
        return status, order, {}

    def _payment_status(self, body: bytes, query: str, reference: str) -> tuple[int, Any, dict[str, str]]:
        state = None if schema_errors("PaymentReference", reference) else self.server.store.payment_state(reference)
        if state is None:
            raise Problem(404, "not_found", "no payment order with that reference")
        # polled every ~2 s while the citizen waits: never from a cache
        return 200, state, {"Cache-Control": "no-store"}

    def _sim_bank_transfer(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        # no body (or {}): the newest pending order, what a demo pays with one click
        data = self._json_body(body, "BankTransferRequest") if body else {}
        return 200, self.server.store.bank_transfer(data.get("reference")), {}

    def _issue_ticket(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        answer = self.server.store.issue_ticket(self._json_body(body, "TicketRequest"))
        # The backend chooses the URL (the kiosk only prints it): the page's base, then the random token.
        answer["follow_url"] = f"{self.server.follow_base}/q/{answer.pop('follow_token')}"
        return 201, answer, {}

    def _ticket_status(self, body: bytes, query: str, token: str) -> tuple[int, Any, dict[str, str]]:
        status = self.server.store.ticket_status(token) if _TOKEN_OK.match(token) else None
        if status is None:
            raise Problem(404, "not_found", "no ticket with that token")
        return 200, status, {"Cache-Control": "no-store"}

    def _follow_page(self, body: bytes, query: str, token: str) -> tuple[int, Any, dict[str, str]]:
        status = self.server.store.ticket_status(token) if _TOKEN_OK.match(token) else None
        if status is None:
            return 404, _Html(not_found_page()), dict(PAGE_HEADERS)
        lang = parse_qs(query).get("lang", ["vi"])[0]
        # relative: the page asks the host it was loaded from, whatever name the phone used for it
        page = follow_page(status, f"/api/v1/queue/status/{token}", lang="en" if lang == "en" else "vi")
        return 200, _Html(page), dict(PAGE_HEADERS)

    def _call_next(self, body: bytes, query: str) -> tuple[int, Any, dict[str, str]]:
        data = self._json_body(body, "CallNextRequest")
        return 200, self.server.store.call_next(data["counter"], data.get("area")), {}

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
                 tls: ssl.SSLContext | None = None, public_url: str | None = None) -> None:
        self.host = host
        self.public_url = public_url
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
        self._server = _Server((self.host, self.port), self.store, self.token, self.faults, self.stats,
                               self.public_url)
        if self.tls is not None:
            self._server.scheme = "https"
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
                           province_code: str | None = None, public_url: str | None = None) -> SimulatorHandle:
    """Start the simulator in a daemon thread (port 0 = a free port); ``handle.url``, ``handle.stop()``.

    With ``tls_cert``/``tls_key`` it serves HTTPS; with ``client_ca`` it also demands a client
    certificate signed by that CA. With ``province_code`` it serves that province only (``store.province_code``
    can change it while running). ``public_url`` is the base of the tickets' follow URLs (default: its own
    address)."""
    tls = None
    if tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(tls_cert), str(tls_key) if tls_key else None)
        if client_ca:
            tls.verify_mode = ssl.CERT_REQUIRED
            tls.load_verify_locations(str(client_ca))
    return SimulatorHandle(host, port, Store(db, province_code), token,
                           Faults(latency_ms, error_rate, drop_rate, seed), tls, public_url)


def serve(host: str, port: int, db: Path | str, token: str, latency_ms: int = 0, error_rate: float = 0.0,
          drop_rate: float = 0.0, seed: int | None = None, province_code: str | None = None,
          public_url: str | None = None) -> None:
    """Run the simulator in the foreground until interrupted; ``public_url``: the base of the follow URLs."""
    store = Store(db, province_code)
    server = _Server((host, port), store, token, Faults(latency_ms, error_rate, drop_rate, seed), Counter(),
                     public_url)
    bound = server.server_address
    print(f"backend simulator listening on http://{bound[0]}:{bound[1]} (db {db}); "
          f"tickets followed at {server.follow_base}/q/...", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
