"""Queue numbers: from the backend when it answers, from a kiosk-local range when it does not.

Local numbers carry the prefix ``L`` (``L001``...), which the backend never issues (``A012`` normal,
``P003`` priority), so staff calling numbers can tell them apart. The local counter is in SQLite
so a restart does not hand out the same number twice in a day. Call from a worker thread.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.backend.client import BackendClient, BackendError
from kiosk.backend.outbox import enable_wal
from kiosk.core import clock

LOCAL_PREFIX = "L"

log = logging.getLogger("kiosk.backend.tickets")


@dataclass(frozen=True)
class Ticket:
    number: str
    area: str
    priority: bool
    people_ahead: int | None  # unknown offline
    issued_at: str
    offline: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class TicketIssuer:
    """``issue(area, priority)`` -> :class:`Ticket`; thread-safe (one lock, short transactions)."""

    def __init__(self, client: BackendClient | None, db_path: Path | str, kiosk_id: str) -> None:
        self._client = client
        self._kiosk_id = kiosk_id
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(db_path), isolation_level=None, timeout=30.0, check_same_thread=False)
        enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS local_tickets (day TEXT PRIMARY KEY, seq INTEGER NOT NULL)")

    def close(self) -> None:
        self._conn.close()

    def issue(self, area: str, priority: bool = False, client: BackendClient | None = None) -> Ticket:
        """A number from the backend (``client``, else the issuer's own), else from the local range.

        Any backend failure falls back, a refusal too: a citizen at the kiosk always leaves with a number.
        """
        client = client or self._client
        if client is not None:
            try:
                t = client.issue_ticket(area, priority, self._kiosk_id)
                return Ticket(t["number"], t["area"], t["priority"], t["people_ahead"], t["issued_at"], False)
            except BackendError as err:
                log.warning("ticket from the backend failed, using the local range: %s", err)
        return self._issue_local(area, priority)

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
        return Ticket(f"{LOCAL_PREFIX}{(seq - 1) % 999 + 1:03d}", area, priority, None,
                      now.isoformat(timespec="seconds"), True)

