"""The sender: a plain thread that delivers the outbox to the backend.

It owns its own :class:`~kiosk.backend.outbox.Outbox` (SQLite connection) and its own
:class:`~kiosk.backend.client.BackendClient` (httpx.Client), both created inside the thread.
Dossiers go oldest first, each under its own idempotency key, so resending after a crash, a
dropped connection or a 5xx never creates a second dossier. Results are reported through
callbacks, called on the sender thread: the UI wraps them into Qt signals.

Pacing. A failure that concerns the link (no connection, a reset or a timeout, 429/503 or any
``Retry-After``, a refused token) ends the round and holds every dossier until the backoff (capped
exponential, full jitter) or the server's ``Retry-After`` has passed, whoever asks: the sender,
:meth:`Sender.wake` or :meth:`Sender.flush`. An answer that may concern one dossier (a 500, a malformed
or oversized answer) defers that dossier on its own backoff and the round goes on with the next, so one
bad dossier does not hold the others back; a few of those in a row end the round too.

Attachments. After the round's dossiers, the attachments of acknowledged dossiers go part by part
(``part_bytes``, 256 KiB by default), each part's progress committed as the backend acknowledges it. An upload
resumes from what the backend holds: the POST's answer and ``GET .../attachments`` say it (asked once per dossier
when an earlier attempt may have left the outbox behind), and a 409 names it. The same pacing applies: a link
failure ends the round and holds everything; an error about one attachment defers it alone; a 4xx retrying
cannot fix (a checksum mismatch) marks it rejected, kept and visible. A dossier that becomes due while an
attachment is uploading goes first: the upload stops between two parts and resumes in the next round.

Supervision. Nothing ends the thread but :meth:`Sender.stop`: an unexpected error in a round, in
opening the outbox or in making the client (a missing CA file) is logged with its traceback,
counted in :attr:`Sender.errors`, backed off and tried again. :meth:`Sender.health` says whether
it is alive and when it last completed a round, for diagnostics and the heartbeat.
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
    AttachmentGap,
    BackendClient,
    BackendError,
    ProtocolError,
    Rejected,
    Unauthorized,
    Unreachable,
    backoff_delay,
)
from kiosk.backend.outbox import AttachmentItem, Outbox, OutboxError, OutboxItem

log = logging.getLogger(__name__)

IDLE_POLL_S = 30.0  # without a wake(), look at the outbox this often anyway (another process may add)
HOLD_STATUSES = frozenset({429, 503})  # the backend asks the whole kiosk to slow down
PART_BYTES = 256 * 1024  # an attachment goes in parts this large (the contract allows up to 1 MiB)


def _concerns_the_link(exc: BackendError) -> bool:
    """Whether every dossier would fail the same way now (so trying the next one only hammers): no usable
    connection (refused, reset, timed out), a refused token, or the backend asking the kiosk to wait.
    What remains is an answer about this dossier (a 500, a malformed or oversized answer)."""
    return (isinstance(exc, (Unreachable, Unauthorized)) or exc.status in HOLD_STATUSES
            or exc.retry_after is not None)


class Sender(threading.Thread):
    """``Sender(db, key, lambda: BackendClient(url, token)).start()``; ``stop()`` at exit."""

    def __init__(self, outbox_db: Path | str, key_path: Path | str,
                 client_factory: Callable[[], BackendClient], *,
                 on_acknowledged: Callable[[str, str, str | None], None] | None = None,
                 on_rejected: Callable[[str, int | None, dict[str, str]], None] | None = None,
                 on_state: Callable[[bool], None] | None = None,
                 on_attachments: Callable[[str, int, int], None] | None = None,
                 backoff_base: float = 0.5, backoff_cap: float = 60.0, rng: random.Random | None = None,
                 batch: int = 100, chunk: int = 25, chunk_seconds: float = 0.25,
                 failures_per_round: int = 3, part_bytes: int = PART_BYTES) -> None:
        super().__init__(name="outbox-sender", daemon=True)
        self._db = Path(outbox_db)
        self._key = Path(key_path)
        self._client_factory = client_factory
        self.on_acknowledged = on_acknowledged
        self.on_rejected = on_rejected
        self.on_state = on_state
        #: ``(local_ref, complete, total)`` when a dossier's attachments progress (after its acknowledgement and
        #: each completed attachment)
        self.on_attachments = on_attachments
        if part_bytes < 1:
            raise ValueError("part_bytes must be positive")
        self._part_bytes = part_bytes
        self._synced: set[str] = set()  # dossiers whose attachment progress was checked with the backend
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()
        self._batch = batch
        self._chunk = chunk
        self._chunk_seconds = chunk_seconds
        self._failures_per_round = failures_per_round
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._generation = 0  # rounds started
        self._drained_generation = -1  # the last round that found nothing undelivered
        self._ignore_schedule = False
        self._failures = 0  # link-level failures in a row: the global backoff's exponent
        self._hold_until = 0.0  # time.time() before which nothing is sent (backoff, Retry-After)
        self._failed_in_a_row = 0  # dossiers that failed one after another in this round
        self.online: bool | None = None
        self.last_error: BaseException | None = None
        self.errors = 0  # unexpected errors survived (each logged with its traceback)
        self._last_round_at: float | None = None  # time.monotonic() of the last completed round

    # --- control, from any thread ---

    def wake(self) -> None:
        """Try the due dossiers now rather than at the next poll."""
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Try every undelivered dossier and attachment now, once, then wait until nothing is undelivered
        (no dossier pending, no attachment of a dossier that is not rejected incomplete).

        Dossiers deferred by their own backoff are tried at once; a hold the backend asked for
        (``Retry-After``) or a link backoff is still honoured: later rounds come when they are due,
        within ``timeout``. True when drained (rejected dossiers do not count), False on timeout."""
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
                self._cond.wait(remaining)
            return True

    def health(self) -> dict[str, Any]:
        """What diagnostics and the heartbeat say of the sender (any thread)."""
        last = self._last_round_at
        error = self.last_error
        return {"alive": self.is_alive(), "online": self.online, "errors": self.errors,
                "last_round_age_s": None if last is None else round(time.monotonic() - last, 1),
                "last_error": None if error is None else type(error).__name__,
                "held_for_s": max(0.0, round(self._hold_until - time.time(), 1))}

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    # --- the thread ---

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._serve()
            except Exception as exc:  # opening the outbox, making the client: log, count, back off, again
                self._survive(exc, "outbox sender could not start")
                self._wake.wait(self._backoff())
                self._wake.clear()

    def _serve(self) -> None:
        outbox = Outbox(self._db, self._key)
        try:
            client = self._client_factory()
            try:
                while not self._stopping.is_set():
                    try:
                        wait = self._round(outbox, client)
                    except (OutboxError, sqlite3.Error, OSError) as exc:  # e.g. disk full: keep going, try later
                        log.error("outbox sender: %s", exc)
                        self.last_error = exc
                        wait = self._backoff()
                    except Exception as exc:  # a bug or a surprise from a library: never end deliveries
                        self._survive(exc, "outbox sender round failed")
                        wait = self._backoff()
                    if wait > 0:
                        self._wake.wait(wait)
                    self._wake.clear()
            finally:
                client.close()
        finally:
            outbox.close()

    def _survive(self, exc: Exception, what: str) -> None:
        self.errors += 1
        self.last_error = exc
        log.error("%s (%d unexpected errors so far)", what, self.errors, exc_info=exc)

    def _round(self, outbox: Outbox, client: BackendClient) -> float:
        """Send what is due; return how long to wait before the next round."""
        with self._cond:
            self._generation += 1
            generation = self._generation
            ignore = self._ignore_schedule
            self._ignore_schedule = False
        held = self._hold_until - time.time()
        if held > 0:  # the backend asked for a pause, or the link is backing off: flush waits too
            with self._cond:
                self._ignore_schedule = self._ignore_schedule or ignore  # flush's wish waits for the hold
            return held
        items = outbox.due(now=float("inf") if ignore else None, limit=self._batch)
        self._failed_in_a_row = 0
        for start in range(0, len(items), self._chunk):
            if self._stopping.is_set():
                return 0.0
            delay = self._send_chunk(outbox, client, items[start:start + self._chunk])
            if delay is not None:
                self._last_round_at = time.monotonic()
                return delay
        self._last_round_at = time.monotonic()
        if len(items) == self._batch:
            return 0.0
        delay = self._send_attachments(outbox, client, ignore)
        self._last_round_at = time.monotonic()
        if delay is not None:
            return delay
        status = outbox.status()
        if status["undelivered"] == 0 and status["attachments_pending"] == 0:
            with self._cond:
                self._drained_generation = generation
                self._cond.notify_all()
            return IDLE_POLL_S
        nxt = outbox.next_attempt_at()
        return max(0.0, min(IDLE_POLL_S, (nxt or 0.0) - time.time()))

    def _send_chunk(self, outbox: Outbox, client: BackendClient, chunk: list[OutboxItem]) -> float | None:
        """POST a few dossiers one after another, recording their outcomes in one transaction
        (one fsync for the chunk rather than two per dossier). Returns how long to wait when the
        round must end (the link failed, or too many dossiers failed in a row), else None.

        Every state change stays on disk before it matters: "sent" is committed before the first
        POST; an outcome lost to a crash before its commit only means a resend under the same key,
        which the backend answers with the same dossier."""
        keys = {item.local_ref: item.idempotency_key for item in chunk}
        attempts = {item.local_ref: item.attempts for item in chunk}
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
        deferred: list[tuple[str, BackendError]] = []  # this dossier failed: on its own backoff
        failed: tuple[str, BackendError] | None = None  # the link failed: the round ends
        posted = 0
        deadline = time.monotonic() + self._chunk_seconds
        for ref, payload in payloads.items():
            if self._stopping.is_set() or (posted and time.monotonic() > deadline):
                break  # report what is known rather than hold acknowledgements back
            posted += 1
            try:
                receipt = client.submit_dossier(payload, keys[ref])
                if not isinstance(receipt, dict) or not receipt.get("dossier_code"):
                    raise BackendError("answer without dossier_code")
            except Rejected as exc:
                if isinstance(exc, Unauthorized):
                    # The kiosk's credentials, not the dossier, are wrong: keep it and let maintenance fix them.
                    failed = (ref, exc)
                    break
                log.warning("dossier %s rejected: HTTP %s %s", ref, exc.status, exc.problem.get("code", ""))
                rejected.append((ref, exc))
                self._failed_in_a_row = 0
                continue
            except BackendError as exc:
                if _concerns_the_link(exc):
                    failed = (ref, exc)
                    break
                deferred.append((ref, exc))
                self._failed_in_a_row += 1
                if self._failed_in_a_row >= self._failures_per_round:
                    break
                continue
            self._failed_in_a_row = 0
            acked.append((ref, receipt))
        delay = None
        with outbox.batch():
            for ref, receipt in acked:
                outbox.mark_acknowledged(ref, receipt["dossier_code"], receipt.get("appointment_date"),
                                         receipt.get("received_at"))
                if isinstance(receipt.get("attachments"), list):  # what the backend already holds (a replay)
                    outbox.apply_attachment_states(ref, receipt["attachments"])
                    self._synced.add(ref)
            for ref, exc in rejected:
                outbox.mark_rejected(ref, exc.status, exc.problem)
            for ref, exc in deferred:
                self._defer(outbox, ref, exc, attempts[ref])
            if failed is not None:
                delay = self._retry_later(outbox, *failed)
            elif self._failed_in_a_row >= self._failures_per_round:
                delay = self._backoff()  # several dossiers failed in a row: the backend is likely unwell
                self._hold_until = time.time() + delay
            for ref in list(payloads)[posted:]:
                outbox.mark_unsent(ref)
        if failed is None and (acked or rejected):
            self._failures = 0
            self._set_online(True)
        for ref, receipt in acked:
            self._notify(self.on_acknowledged, ref, receipt["dossier_code"], receipt.get("appointment_date"))
            done, total = outbox.attachment_counts(ref)
            if total:
                self._notify(self.on_attachments, ref, done, total)
        for ref, exc in rejected:
            self._notify(self.on_rejected, ref, exc.status, exc.message)
        if failed is not None or (deferred and not acked and not rejected):
            self._set_online(False)
        return delay

    # --- attachments ---

    def _send_attachments(self, outbox: Outbox, client: BackendClient, ignore: bool) -> float | None:
        """Upload the due attachments, oldest dossier first. Returns how long to wait when the round must end
        (the link failed, too many failed in a row, a dossier is waiting, more are due), else None."""
        due = outbox.attachments_due(limit=self._batch, now=float("inf") if ignore else None)
        for att in due:
            if self._stopping.is_set() or outbox.due(limit=1):
                return 0.0  # a dossier goes before any attachment: the next round posts it
            try:
                complete = self._upload(outbox, client, att)
            except Rejected as exc:
                if isinstance(exc, Unauthorized):
                    return self._hold_attachment(outbox, att, exc)
                log.warning("attachment %s of %s rejected: HTTP %s %s", att.sha256[:12], att.local_ref, exc.status,
                            exc.problem.get("code", ""))
                outbox.mark_attachment_rejected(att.local_ref, att.sha256, exc.status, exc.problem)
                self._failed_in_a_row = 0
                continue
            except BackendError as exc:
                if _concerns_the_link(exc):
                    return self._hold_attachment(outbox, att, exc)
                delay = backoff_delay(att.attempts, self._backoff_base, self._backoff_cap, self._rng)
                log.info("attachment %s of %s not delivered (%s); deferred %.1f s", att.sha256[:12], att.local_ref,
                         exc, delay)
                self.last_error = exc
                outbox.mark_attachment_retry(att.local_ref, att.sha256, exc.detail, time.time() + delay)
                self._failed_in_a_row += 1
                if self._failed_in_a_row >= self._failures_per_round:
                    delay = self._backoff()
                    self._hold_until = time.time() + delay
                    self._set_online(False)
                    return delay
                continue
            except OutboxError as exc:  # bytes that do not decrypt cannot be sent; keep them visible
                log.error("outbox %s: %s", att.local_ref, exc)
                outbox.mark_attachment_rejected(att.local_ref, att.sha256, None,
                                                {"title": "undecryptable", "detail": str(exc)})
                continue
            self._failed_in_a_row = 0
            self._failures = 0
            self._set_online(True)
            if not complete:
                return 0.0  # stopped between two parts (a dossier is waiting, or stop()): resume next round
        return 0.0 if len(due) == self._batch else None

    def _upload(self, outbox: Outbox, client: BackendClient, att: AttachmentItem) -> bool:
        """Send the attachment's remaining parts; True once the backend says it is complete, False when it
        stopped between two parts (progress committed)."""
        ref, sha, size, code = att.local_ref, att.sha256, att.size, att.dossier_code
        assert code is not None  # attachments_due lists acknowledged dossiers only
        start = att.received
        if ref not in self._synced and (att.received or att.attempts):
            # an earlier attempt may have ended between a part and its commit: ask what the backend holds
            states = client.attachments(code)
            outbox.apply_attachment_states(ref, states)
            self._synced.add(ref)
            held = next((s for s in states if s.get("sha256") == sha), None)
            if held is not None and held["complete"]:
                self._notify(self.on_attachments, ref, *outbox.attachment_counts(ref))
                return True
            start = held["received"] if held is not None else start
        data = outbox.attachment_data(ref, sha)
        if len(data) != size:
            raise OutboxError(f"{ref}: attachment {sha[:12]} holds {len(data)} bytes, not {size}")
        parts_left = 2 * (size // self._part_bytes + 1) + 4  # a backend that never makes progress ends this
        while True:
            if self._stopping.is_set():
                return False
            parts_left -= 1
            if parts_left < 0 or not 0 <= start < size:
                raise ProtocolError(f"attachment {sha[:12]}: the backend makes no progress (held {start} of {size})")
            try:
                state = client.put_attachment_part(code, sha, start, data[start:start + self._part_bytes], size,
                                                   att.idempotency_key)
            except AttachmentGap as gap:  # the backend holds less (or more) than we thought: resume there
                start = gap.received
                outbox.mark_attachment_progress(ref, sha, start)
                continue
            if state["complete"]:
                outbox.mark_attachment_complete(ref, sha)
                self._notify(self.on_attachments, ref, *outbox.attachment_counts(ref))
                return True
            start = state["received"]
            outbox.mark_attachment_progress(ref, sha, start)
            if outbox.due(limit=1):
                return False  # a citizen's dossier waits for its code: it goes first

    def _hold_attachment(self, outbox: Outbox, att: AttachmentItem, exc: BackendError) -> float:
        """The link failed during an upload: hold everything for the backoff, or as long as the backend asked."""
        delay = self._backoff()
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        log.info("attachment %s of %s not delivered (%s); next try in %.1f s", att.sha256[:12], att.local_ref,
                 exc, delay)
        self.last_error = exc
        self._hold_until = time.time() + delay
        outbox.mark_attachment_retry(att.local_ref, att.sha256, exc.detail, time.time() + delay)
        self._set_online(False)
        return delay

    def _retry_later(self, outbox: Outbox, local_ref: str, exc: BackendError) -> float:
        """The link failed: hold every dossier for the backoff, or as long as the backend asked."""
        delay = self._backoff()
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        # the error itself, not its detail: the log writes its type and status, never the backend's free text
        log.info("dossier %s not delivered (%s); next try in %.1f s", local_ref, exc, delay)
        self.last_error = exc
        self._hold_until = time.time() + delay
        outbox.mark_retry(local_ref, exc.detail, time.time() + delay)
        return delay

    def _defer(self, outbox: Outbox, local_ref: str, exc: BackendError, attempts: int) -> None:
        """This dossier failed: it waits on its own backoff (by its attempts) while others go on."""
        delay = backoff_delay(attempts, self._backoff_base, self._backoff_cap, self._rng)
        log.info("dossier %s not delivered (%s); deferred %.1f s", local_ref, exc, delay)
        self.last_error = exc
        outbox.mark_retry(local_ref, exc.detail, time.time() + delay)

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
