"""Queue numbers: from the backend when it answers, from a kiosk-local range when it does not.

The backend numbers one sequence per ward and day across every service area, with a letter for the
category: ``A`` normal, ``P`` priority (``A001`` for "Chứng thực", ``A002`` for "Cư trú" next, ``P003``
for an elderly citizen) -- so a number called out in the hall means one citizen only
(docs/backend-api.yaml, Ticket). When the backend cannot answer in time, the kiosk gives a number
from its own range, ``L`` + two characters of its kiosk id + a sequence (``L01-004`` on KIOSK-01):
the backend never issues ``L``, and two kiosks of one ward differ in their ids' last characters, so
a local number collides neither with the backend's nor with another kiosk's. The local counter is
in SQLite so a restart does not hand out the same number twice in a day. Call from a worker thread.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.backend.client import BackendClient, BackendError
from kiosk.backend.outbox import enable_wal
from kiosk.core import clock

LOCAL_PREFIX = "L"
BACKEND_NUMBER = re.compile(r"^[AP][0-9]{3,4}$")  # the contract's Ticket.number
FOLLOW_URL = re.compile(r"^https?://[^\s]+$")  # the contract's Ticket.follow_url
MAX_FOLLOW_URL = 512

log = logging.getLogger("kiosk.backend.tickets")


@dataclass(frozen=True)
class Ticket:
    number: str
    area: str
    priority: bool
    people_ahead: int | None  # unknown offline
    issued_at: str
    offline: bool
    #: where a phone follows the ticket, as the backend chose it; None offline (nobody could follow it)
    follow_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class TicketIssuer:
    """``issue(area, priority)`` -> :class:`Ticket`; thread-safe (one lock, short transactions)."""

    def __init__(self, client: BackendClient | None, db_path: Path | str, kiosk_id: str) -> None:
        self._client = client
        self._kiosk_id = kiosk_id
        tag = re.sub(r"[^A-Za-z0-9]", "", kiosk_id)[-2:].upper().rjust(2, "0")
        self._local_prefix = f"{LOCAL_PREFIX}{tag}-"
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(db_path), isolation_level=None, timeout=30.0, check_same_thread=False)
        enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS local_tickets (day TEXT PRIMARY KEY, seq INTEGER NOT NULL)")

    def close(self) -> None:
        self._conn.close()

    def issue(self, area: str, priority: bool = False, client: BackendClient | None = None,
              area_name: dict[str, str] | None = None) -> Ticket:
        """A number from the backend (``client``, else the issuer's own), else from the local range.

        Any backend failure falls back, a refusal too: a citizen at the kiosk always leaves with a number.
        ``area_name`` ({vi, en}) lets the backend's follow page name the service.
        """
        client = client or self._client
        if client is not None:
            try:
                return self._from_backend(client.issue_ticket(area, priority, self._kiosk_id, area_name=area_name),
                                          area, priority)
            except BackendError as err:
                log.warning("ticket from the backend failed, using the local range: %s", err)
            except Exception as err:  # an answer off the contract (KeyError, TypeError...): still a number
                log.warning("ticket answer from the backend unusable, using the local range: %r", err)
        return self._issue_local(area, priority)

    @staticmethod
    def _from_backend(t: Any, area: str, priority: bool) -> Ticket:
        number = t["number"]
        if not isinstance(number, str) or not BACKEND_NUMBER.match(number):
            # an "L..." number from the backend could be one this kiosk gave out offline
            raise ValueError(f"ticket number off the contract: {str(number)[:16]!r}")
        ahead = t.get("people_ahead")
        follow = t.get("follow_url")
        if not (isinstance(follow, str) and len(follow) <= MAX_FOLLOW_URL and FOLLOW_URL.match(follow)):
            # the number is still good: the ticket prints without the QR rather than with a code no phone opens
            if follow is not None:
                log.warning("follow_url off the contract, the ticket prints without its QR")
            follow = None
        return Ticket(number, str(t.get("area", area)), bool(t.get("priority", priority)),
                      ahead if isinstance(ahead, int) and ahead >= 0 else None, str(t["issued_at"]), False, follow)

    def _issue_local(self, area: str, priority: bool) -> Ticket:
        now = clock.now()
        day = now.date().isoformat()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("INSERT INTO local_tickets VALUES (?, 1) "
                                   "ON CONFLICT(day) DO UPDATE SET seq = seq + 1", (day,))
                (seq,) = self._conn.execute("SELECT seq FROM local_tickets WHERE day = ?", (day,)).fetchone()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return Ticket(f"{self._local_prefix}{(seq - 1) % 999 + 1:03d}", area, priority, None,
                      now.isoformat(timespec="seconds"), True)

