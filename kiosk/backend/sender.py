"""The sender: a plain thread that delivers the outbox to the backend.

It owns its own :class:`~kiosk.backend.outbox.Outbox` (SQLite connection) and its own
:class:`~kiosk.backend.client.BackendClient` (httpx.Client), both created inside the thread.
Dossiers go oldest first, each under its own idempotency key, so resending after a crash, a
dropped connection or a 5xx never creates a second dossier. When the backend is unreachable the
sender backs off (capped exponential, full jitter, at least ``Retry-After``) and tries again;
:meth:`Sender.wake` tries now (e.g. after a new dossier was added). Results are reported through
callbacks, called on the sender thread: the UI wraps them into Qt signals.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.backend.client import (
    BackendClient,
    BackendError,
    Rejected,
    Unauthorized,
    backoff_delay,
)
from kiosk.backend.outbox import Outbox, OutboxError

log = logging.getLogger(__name__)

IDLE_POLL_S = 30.0  # without a wake(), look at the outbox this often anyway (another process may add)


class Sender(threading.Thread):
    """``Sender(db, key, lambda: BackendClient(url, token)).start()``; ``stop()`` at exit."""

    def __init__(self, outbox_db: Path | str, key_path: Path | str,
                 client_factory: Callable[[], BackendClient], *,
                 on_acknowledged: Callable[[str, str, str | None], None] | None = None,
                 on_rejected: Callable[[str, int | None, dict[str, str]], None] | None = None,
                 on_state: Callable[[bool], None] | None = None,
                 backoff_base: float = 0.5, backoff_cap: float = 60.0, rng: random.Random | None = None,
                 batch: int = 100, chunk: int = 25, chunk_seconds: float = 0.25) -> None:
        super().__init__(name="outbox-sender", daemon=True)
        self._db = Path(outbox_db)
        self._key = Path(key_path)
        self._client_factory = client_factory
        self.on_acknowledged = on_acknowledged
        self.on_rejected = on_rejected
        self.on_state = on_state
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()
        self._batch = batch
        self._chunk = chunk
        self._chunk_seconds = chunk_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._generation = 0  # rounds started
        self._drained_generation = -1  # the last round that found nothing undelivered
        self._ignore_schedule = False
        self._failures = 0
        self.online: bool | None = None
        self.last_error: BaseException | None = None

    # --- control, from any thread ---

    def wake(self) -> None:
        """Try the due dossiers now rather than at the next poll."""
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Try everything now, ignoring backoff, and wait until nothing is undelivered.

        True when drained (rejected dossiers do not count), False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            wanted = self._generation + 1
            self._ignore_schedule = True
        self._wake.set()
        with self._cond:
            while self._drained_generation < wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_alive():
                    return False
                self._cond.wait(min(remaining, 0.5))
                if self._drained_generation < wanted:
                    self._ignore_schedule = True
                    self._wake.set()
            return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    # --- the thread ---

    def run(self) -> None:
        try:
            outbox = Outbox(self._db, self._key)
        except (OutboxError, sqlite3.Error, OSError) as exc:
            log.error("outbox sender cannot open the outbox: %s", exc)
            self.last_error = exc
            return
        client = self._client_factory()
        try:
            while not self._stopping.is_set():
                try:
                    wait = self._round(outbox, client)
                except (OutboxError, sqlite3.Error, OSError) as exc:  # e.g. disk full: keep going, try later
                    log.error("outbox sender: %s", exc)
                    self.last_error = exc
                    wait = self._backoff()
                if wait > 0:
                    self._wake.wait(wait)
                self._wake.clear()
        finally:
            client.close()
            outbox.close()

    def _round(self, outbox: Outbox, client: BackendClient) -> float:
        """Send what is due; return how long to wait before the next round."""
        with self._cond:
            self._generation += 1
            generation = self._generation
            ignore = self._ignore_schedule
            self._ignore_schedule = False
        items = outbox.due(now=float("inf") if ignore else None, limit=self._batch)
        for start in range(0, len(items), self._chunk):
            if self._stopping.is_set():
                return 0.0
            delay = self._send_chunk(outbox, client, items[start:start + self._chunk])
            if delay is not None:
                return delay
        if len(items) == self._batch:
            return 0.0
        status = outbox.status()
        if status["undelivered"] == 0:
            with self._cond:
                self._drained_generation = generation
                self._cond.notify_all()
            return IDLE_POLL_S
        nxt = outbox.next_attempt_at()
        return max(0.0, min(IDLE_POLL_S, (nxt or 0.0) - time.time()))

    def _send_chunk(self, outbox: Outbox, client: BackendClient, chunk: list) -> float | None:
        """POST a few dossiers one after another, recording their outcomes in one transaction
        (one fsync for the chunk rather than two per dossier). Returns a back-off delay when the
        backend could not be reached, else None.

        Every state change stays on disk before it matters: "sent" is committed before the first
        POST; an outcome lost to a crash before its commit only means a resend under the same key,
        which the backend answers with the same dossier."""
        keys = {item.local_ref: item.idempotency_key for item in chunk}
        payloads: dict[str, dict] = {}
        unreadable = []
        for item in chunk:
            try:
                payloads[item.local_ref] = outbox.payload(item.local_ref)
            except OutboxError as exc:  # a row we cannot decrypt cannot be sent; keep it visible
                log.error("outbox %s: %s", item.local_ref, exc)
                unreadable.append((item.local_ref, str(exc)))
        with outbox.batch():
            for ref, detail in unreadable:
                outbox.mark_rejected(ref, None, {"title": "undecryptable", "detail": detail})
            for ref in payloads:
                outbox.mark_sent(ref)
        acked: list[tuple[str, dict]] = []
        rejected: list[tuple[str, Rejected]] = []
        failed: tuple[str, BackendError] | None = None
        posted = 0
        deadline = time.monotonic() + self._chunk_seconds
        for ref, payload in payloads.items():
            if self._stopping.is_set() or (posted and time.monotonic() > deadline):
                break  # report what is known rather than hold acknowledgements back
            posted += 1
            try:
                receipt = client.submit_dossier(payload, keys[ref])
            except Unauthorized as exc:
                # The kiosk's credentials, not the dossier, are wrong: keep it and let maintenance fix them.
                failed = (ref, exc)
                break
            except Rejected as exc:
                log.warning("dossier %s rejected: HTTP %s %s", ref, exc.status, exc.problem.get("code", ""))
                rejected.append((ref, exc))
                continue
            except BackendError as exc:
                failed = (ref, exc)
                break
            if not isinstance(receipt, dict) or not receipt.get("dossier_code"):
                failed = (ref, BackendError("answer without dossier_code"))
                break
            acked.append((ref, receipt))
        delay = None
        with outbox.batch():
            for ref, receipt in acked:
                outbox.mark_acknowledged(ref, receipt["dossier_code"], receipt.get("appointment_date"),
                                         receipt.get("received_at"))
            for ref, exc in rejected:
                outbox.mark_rejected(ref, exc.status, exc.problem)
            if failed is not None:
                delay = self._retry_later(outbox, *failed)
            for ref in list(payloads)[posted:]:
                outbox.mark_unsent(ref)
        if failed is None and (acked or rejected):
            self._failures = 0
            self._set_online(True)
        for ref, receipt in acked:
            self._notify(self.on_acknowledged, ref, receipt["dossier_code"], receipt.get("appointment_date"))
        for ref, exc in rejected:
            self._notify(self.on_rejected, ref, exc.status, exc.message)
        if failed is not None:
            self._set_online(False)
        return delay

    def _retry_later(self, outbox: Outbox, local_ref: str, exc: BackendError) -> float:
        delay = self._backoff()
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        # the error itself, not its detail: the log writes its type and status, never the backend's free text
        log.info("dossier %s not delivered (%s); next try in %.1f s", local_ref, exc, delay)
        self.last_error = exc
        outbox.mark_retry(local_ref, exc.detail, time.time() + delay)
        return delay

    def _backoff(self) -> float:
        delay = backoff_delay(self._failures, self._backoff_base, self._backoff_cap, self._rng)
        self._failures = min(self._failures + 1, 30)
        return delay

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self._notify(self.on_state, online)

    def _notify(self, callback: Callable[..., None] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a faulty listener must not stop deliveries
            log.exception("outbox sender callback failed")
