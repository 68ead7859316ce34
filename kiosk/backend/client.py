"""The kiosk's httpx client for the provincial backend (docs/backend-api.yaml).

Every call has an explicit timeout; TLS is verified against a configurable CA file, with an
optional client certificate; the device token goes as a bearer token. A call is retried only
when retrying can help -- connect errors, timeouts, 408, 429, 502, 503, 504 -- with capped
exponential backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP date).
Everything else raises a typed :class:`BackendError` carrying a message for the citizen
(``{vi, en}``). A dropped connection mid-answer is not retried here (the request may have been
processed); the outbox's sender resends dossiers under the same idempotency key instead.

httpx's timeouts are per socket operation, so a server dripping one byte a second would hold a call
for ever. Each call therefore has an overall deadline per kind of request (submit, look-up, ticket,
feedback, heartbeat, payment), retries and back-off included, enforced on the socket itself
(:class:`_DeadlineBackend`), and an answer is read as a stream and given up past ``max_answer_bytes``.
"""

from __future__ import annotations

import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpcore
import httpx

from kiosk.core import clock

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)
# Seconds a whole call may take, retries included, by kind of request. A citizen's ticket falls back
# to the local range quickly; a dossier's submission may take longer (it is in the outbox anyway).
DEFAULT_DEADLINES: Mapping[str, float] = {"submit": 30.0, "lookup": 8.0, "ticket": 3.0, "feedback": 8.0,
                                          "heartbeat": 10.0, "health": 10.0, "counter": 8.0, "payment": 8.0,
                                          "attachment": 60.0}
MAX_ANSWER_BYTES = 1 << 20  # the largest answer in the contract is a page of dossiers: far below 1 MiB


class BackendError(Exception):
    """Base of every failure the client reports."""

    default_message = {"vi": "Không liên lạc được với hệ thống một cửa của tỉnh.",
                       "en": "Could not reach the provincial one-stop-shop system."}

    def __init__(self, detail: str, *, status: int | None = None, problem: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.problem = problem or {}
        self.retry_after = retry_after
        msg = self.problem.get("message")
        self.message: dict[str, str] = (
            {"vi": str(msg.get("vi", "")), "en": str(msg.get("en", ""))}
            if isinstance(msg, dict) and msg.get("vi") else dict(self.default_message)
        )


class Unreachable(BackendError):
    """No answer: connection refused or dropped, DNS, TLS, or a timeout. Resending may help."""

    default_message = {"vi": "Mất kết nối tới hệ thống của tỉnh. Hồ sơ đã được lưu và sẽ tự gửi lại.",
                       "en": "No connection to the provincial system. The dossier is saved and will be sent "
                             "automatically."}


class ConnectFailed(Unreachable):
    """Not even connected (refused, DNS, connect timeout): the link is down, not this request's fault."""


class Unavailable(BackendError):
    """The backend answered 5xx, 408 or 429 (after the retries). Resending later may help."""

    default_message = {"vi": "Hệ thống của tỉnh đang bận hoặc gián đoạn. Hồ sơ sẽ tự gửi lại sau.",
                       "en": "The provincial system is busy or down. The dossier will be sent later."}


class Rejected(BackendError):
    """A 4xx that resending cannot fix (400, 404, 413, 415, 422, ...)."""

    default_message = {"vi": "Hệ thống của tỉnh từ chối hồ sơ. Vui lòng liên hệ cán bộ tiếp nhận.",
                       "en": "The provincial system refused the dossier. Please ask an officer."}


class Unauthorized(Rejected):
    """401/403: the kiosk's token or certificate is wrong -- a set-up problem, not the dossier's."""

    default_message = {"vi": "Kiosk chưa được cấp quyền kết nối. Vui lòng báo cán bộ kỹ thuật.",
                       "en": "The kiosk is not authorised to connect. Please tell the technician."}


class NotFound(Rejected):
    """404."""

    default_message = {"vi": "Không tìm thấy hồ sơ.", "en": "No such dossier."}


class AttachmentGap(Rejected):
    """409 to an attachment part: it starts beyond what the backend holds; resume at :attr:`received`."""

    default_message = {"vi": "Tệp đính kèm cần gửi tiếp từ vị trí đã nhận.",
                       "en": "The attachment must be resumed where the backend stopped."}

    @property
    def received(self) -> int:
        return int(self.problem["received"])


class MalformedCode(Rejected):
    """Not a dossier code nor a provisional reference: refused before any request, so a card payload
    shown to the camera never travels in a URL (nor into the HTTP log). The detail never echoes it."""

    default_message = {"vi": "Mã hồ sơ không đúng dạng. Mã in trên giấy tiếp nhận có dạng 00073-261124-0001.",
                       "en": "This is not a dossier code. The code on your receipt looks like 00073-261124-0001."}


class ProtocolError(BackendError):
    """The answer is not what the contract says (not JSON, wrong shape, too large, badly encoded)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or clock.now())).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter (AWS architecture blog): uniform between 0 and the capped exponential."""
    return rng.uniform(0.0, min(cap, base * (2 ** attempt)))


def make_ssl_context(ca_file: Path | str | None = None,
                     client_cert: Path | str | tuple[str | Path, str | Path] | None = None) -> ssl.SSLContext:
    """Verification against ``ca_file`` (or the system store), with an optional client certificate
    (a PEM holding cert and key, or a (cert, key) pair)."""
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if client_cert:
        if isinstance(client_cert, tuple):
            ctx.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
        else:
            ctx.load_cert_chain(str(client_cert))
    return ctx


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits at most until the calling thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      self._backend.clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with an overall deadline per call, kept per thread.

    httpx only knows per-operation timeouts; clamping each socket operation to what is left of the
    call's deadline makes the deadline hold whatever the server does (drip bytes, never answer)."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._local = threading.local()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = None

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise error("the call's overall deadline has passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, self.clamp(timeout, httpcore.ConnectTimeout),
                                         local_address, socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self.clamp(timeout, httpcore.ConnectTimeout),
                                                 socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport (its error mapping, its streaming) over a pool on :class:`_DeadlineBackend`.

    httpx does not take a network backend, so the pool it builds is replaced by an equal one that
    does; tests/unit/backend/test_backend_client.py (the dripping server) fails if this stops working."""

    def __init__(self, verify: ssl.SSLContext | bool, backend: _DeadlineBackend) -> None:
        super().__init__(verify=verify, trust_env=False)
        ctx = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        limits = httpx.Limits(max_connections=10, max_keepalive_connections=5, keepalive_expiry=5.0)
        self._pool = httpcore.ConnectionPool(ssl_context=ctx, max_connections=limits.max_connections,
                                             max_keepalive_connections=limits.max_keepalive_connections,
                                             keepalive_expiry=limits.keepalive_expiry, network_backend=backend)


class BackendClient:
    """Synchronous: call it from a worker thread (the sender, a ticket worker), never the GUI thread."""

    def __init__(self, base_url: str, token: str, *, ca_file: Path | str | None = None,
                 client_cert: Path | str | tuple[str | Path, str | Path] | None = None,
                 timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, max_retries: int = 3,
                 backoff_base: float = 0.25, backoff_cap: float = 8.0, max_retry_after: float = 30.0,
                 deadlines: Mapping[str, float] | None = None, max_answer_bytes: int = MAX_ANSWER_BYTES,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.deadlines = {**DEFAULT_DEADLINES, **(deadlines or {})}
        self.max_answer_bytes = max_answer_bytes
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._deadline = _DeadlineBackend()
        verify: ssl.SSLContext | bool = (make_ssl_context(ca_file, client_cert)
                                         if self.base_url.startswith("https") else True)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json, application/problem+json",
                     "User-Agent": "ward-kiosk/0.1"},
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            transport=transport or _DeadlineTransport(verify, self._deadline),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the operations ---

    def health(self) -> dict[str, Any]:
        return self._call("health", "GET", "/api/v1/health")

    def submit_dossier(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """201 -> the receipt (dossier_code, status, received_at, appointment_date, local_ref)."""
        return self._call("submit", "POST", "/api/v1/dossiers", json=payload,
                          headers={"Idempotency-Key": idempotency_key})

    def put_attachment_part(self, dossier_code: str, sha256: str, start: int, chunk: bytes, total: int,
                            idempotency_key: str) -> dict[str, Any]:
        """200 -> the AttachmentState (sha256, size, received, complete) after this part.

        :class:`AttachmentGap` (409) names the ``received`` to resume from; a checksum mismatch is Rejected
        (422, problem code ``attachment_checksum``), as are an unknown SHA-256 (404) and a wrong size (422)."""
        _check_reference(dossier_code)
        _check_sha256(sha256)
        if not chunk or start < 0 or start + len(chunk) > total:
            raise ValueError("the part must be a non-empty slice of the attachment")
        headers = {"Idempotency-Key": idempotency_key, "Content-Type": "application/octet-stream",
                   "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{total}"}
        answer = self._call("attachment", "PUT",
                            f"/api/v1/dossiers/{quote(dossier_code, safe='')}/attachments/{sha256}",
                            content=bytes(chunk), headers=headers)
        if not isinstance(answer, dict) or not _is_attachment_state(answer):
            raise ProtocolError("PUT attachment: the answer is not an AttachmentState")
        return answer

    def attachments(self, dossier_code: str) -> list[dict[str, Any]]:
        """What the backend holds of the dossier's attachments (AttachmentStatus: sha256, size, received,
        complete, document, page); NotFound for an unknown dossier."""
        _check_reference(dossier_code)
        answer = self._call("lookup", "GET", f"/api/v1/dossiers/{quote(dossier_code, safe='')}/attachments")
        items = answer.get("attachments") if isinstance(answer, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and _is_attachment_state(i) for i in items):
            raise ProtocolError("GET attachments: the answer has no list of attachments")
        return items

    def get_dossier(self, dossier_code: str) -> dict[str, Any] | None:
        _check_reference(dossier_code)
        try:
            return self._call("lookup", "GET", f"/api/v1/dossiers/{quote(dossier_code, safe='')}")
        except NotFound:
            return None

    def find_dossiers(self, local_ref: str | None = None) -> list[dict[str, Any]]:
        if local_ref is not None:
            _check_reference(local_ref)
        params = {"local_ref": local_ref} if local_ref is not None else None
        answer = self._call("lookup", "GET", "/api/v1/dossiers", params=params)
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise ProtocolError("GET /api/v1/dossiers: the answer has no list of items")
        return items

    def issue_ticket(self, area: str, priority: bool, kiosk_id: str,
                     area_name: Mapping[str, str] | None = None) -> dict[str, Any]:
        """201 -> the Ticket, with the ``follow_url`` the backend chose (``area_name``: for its follow page)."""
        body: dict[str, Any] = {"area": area, "priority": bool(priority), "kiosk_id": kiosk_id}
        if area_name and area_name.get("vi"):
            body["area_name"] = {"vi": str(area_name["vi"]), "en": str(area_name.get("en") or area_name["vi"])}
        return self._call("ticket", "POST", "/api/v1/queue/tickets", json=body)

    def ticket_status(self, token: str) -> dict[str, Any] | None:
        """The public TicketStatus behind a follow token; None when the backend knows no such ticket."""
        try:
            return self._call("lookup", "GET", f"/api/v1/queue/status/{quote(token, safe='')}")
        except NotFound:
            return None

    def call_next(self, counter: int, area: str | None = None) -> dict[str, Any]:
        """A counter calls the next ticket (the simulator's counter API, for the demo panel and tests)."""
        body: dict[str, Any] = {"counter": int(counter)}
        if area:
            body["area"] = area
        return self._call("counter", "POST", "/api/v1/queue/call-next", json=body)

    def request_payment(self, dossier_code: str, kiosk_id: str, amount_vnd: int) -> dict[str, Any]:
        """201/200 -> the dossier's PaymentOrder (beneficiary, amount, purpose, reference, expiry), not checked
        against the contract here (the caller does). Idempotent per dossier, so a retried call gets the same
        order; another amount for the same dossier is Rejected (409 ``payment_conflict``)."""
        _check_reference(dossier_code)
        return self._call("payment", "POST", f"/api/v1/dossiers/{quote(dossier_code, safe='')}/payment",
                          json={"kiosk_id": kiosk_id, "amount_vnd": int(amount_vnd)})

    def payment_status(self, reference: str) -> dict[str, Any] | None:
        """The PaymentState (pending, paid, expired) of a payment order; None when the backend knows no such
        reference."""
        try:
            return self._call("payment", "GET", f"/api/v1/payments/{quote(reference, safe='')}")
        except NotFound:
            return None

    def sim_bank_transfer(self, reference: str | None = None) -> dict[str, Any]:
        """The simulator's bank pays order ``reference`` (None: the newest pending one) -> its PaymentState,
        now paid (the simulator's own API, for the demo panel and tests; a real backend hears from its bank)."""
        body = {"reference": reference} if reference is not None else {}
        return self._call("payment", "POST", "/api/v1/sim/bank/transfers", json=body)

    def send_feedback(self, feedback: dict[str, Any]) -> dict[str, Any]:
        return self._call("feedback", "POST", "/api/v1/feedback", json=feedback)

    def heartbeat(self, kiosk_id: str, status: dict[str, Any]) -> dict[str, Any]:
        return self._call("heartbeat", "POST", f"/api/v1/kiosks/{quote(kiosk_id, safe='')}/heartbeat", json=status)

    # --- the retry loop ---

    def _call(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.deadlines.get(kind, DEFAULT_DEADLINES["health"])
        attempt = 0
        while True:
            try:
                with self._deadline.until(deadline):
                    status, headers, body = self._exchange(method, path, deadline, kwargs)
            except httpx.ConnectError as exc:
                error: BackendError = ConnectFailed(f"{type(exc).__name__}: {exc}")
                retry_after = None
            except httpx.ConnectTimeout as exc:
                error = ConnectFailed(f"{type(exc).__name__}: {exc}")
                retry_after = None
            except httpx.TimeoutException as exc:
                error = Unreachable(f"{type(exc).__name__}: {exc}")
                retry_after = None
            except httpx.TransportError as exc:  # dropped mid-answer, TLS, protocol: the request may have landed
                raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:  # e.g. a corrupt gzip body
                raise ProtocolError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
            else:
                if status < 300:
                    try:
                        return json.loads(body)
                    except ValueError as exc:
                        raise ProtocolError(f"{method} {path}: the answer is not JSON", status=status) from exc
                error = _error_for(status, headers, body)
                if status not in RETRY_STATUSES:
                    raise error
                retry_after = error.retry_after
            if attempt >= self.max_retries or (retry_after is not None and retry_after > self.max_retry_after):
                raise error
            delay = retry_after if retry_after is not None else backoff_delay(
                attempt, self.backoff_base, self.backoff_cap, self._rng)
            if time.monotonic() + delay >= deadline:
                raise error  # no time left for another attempt: the caller decides (fall back, retry later)
            self._sleep(delay)
            attempt += 1

    def _exchange(self, method: str, path: str, deadline: float,
                  kwargs: dict[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        """One request; the answer's body read up to ``max_answer_bytes`` (decoded size)."""
        with self._http.stream(method, path, **kwargs) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_answer_bytes:
                raise ProtocolError(f"{method} {path}: an answer of {declared} bytes is over the limit",
                                    status=response.status_code)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise ProtocolError(f"{method} {path}: the answer is over {self.max_answer_bytes} bytes",
                                        status=response.status_code)
                if time.monotonic() > deadline:  # a transport without the deadline backend (tests)
                    raise httpx.ReadTimeout("the call's overall deadline has passed")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)


def _check_sha256(sha256: str) -> None:
    if not isinstance(sha256, str) or len(sha256) != 64 or not set(sha256) <= set("0123456789abcdef"):
        raise ValueError("not a SHA-256 in lower-case hex")


def _is_attachment_state(item: dict[str, Any]) -> bool:
    """Whether an answer's attachment has the fields the sender relies on, with sane values."""
    size, received = item.get("size"), item.get("received")
    return (isinstance(item.get("sha256"), str) and isinstance(size, int) and isinstance(received, int)
            and not isinstance(received, bool) and 0 <= received <= size and isinstance(item.get("complete"), bool))


def _check_reference(code: str) -> None:
    from kiosk.core.patterns import is_dossier_reference

    if not is_dossier_reference(code):
        raise MalformedCode("not a dossier code or provisional reference")


def _error_for(status: int, headers: httpx.Headers, body: bytes) -> BackendError:
    problem: dict[str, Any] = {}
    try:
        answer = json.loads(body)
        if isinstance(answer, dict):
            problem = answer
    except ValueError:
        pass
    reason = httpx.codes.get_reason_phrase(status)
    detail = f"HTTP {status}: {problem.get('detail') or problem.get('title') or reason}"
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if status in (401, 403):
        cls: type[BackendError] = Unauthorized
    elif status == 404:
        cls = NotFound
    elif status == 409 and isinstance(problem.get("received"), int) and problem["received"] >= 0:
        cls = AttachmentGap
    elif status in (408, 429) or status >= 500:
        cls = Unavailable
    else:
        cls = Rejected
    return cls(detail, status=status, problem=problem, retry_after=retry_after)
