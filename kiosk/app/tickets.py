"""Queue numbers: the backend's, or the kiosk-local "L" range when it cannot give one, and their PDF."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from kiosk.app.prints import PrintFiles, render_atomically
from kiosk.core import clock

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.backend.tickets import TicketIssuer
    from kiosk.core.documents import RenderedDocument


class TicketInfo(TypedDict, total=False):
    """A ticket as the screens and the printer page see it (a test print gives only what it shows)."""

    number: str
    people_ahead: int | None
    offline: bool
    follow_url: str | None  # the backend's page to follow the queue on a phone; None offline
    area: dict[str, str]
    priority: bool
    issued_at: datetime
    path: str
    media: str


class Tickets:
    """Issues and renders queue numbers for one kiosk."""

    def __init__(self, data_dir: Path, kiosk_id: str, prints: PrintFiles) -> None:
        self.data_dir = data_dir
        self.kiosk_id = kiosk_id
        self.prints = prints
        self._lock = threading.Lock()
        self._issuer: TicketIssuer | None = None

    def issuer(self) -> TicketIssuer:
        """kiosk.backend.tickets.TicketIssuer: the local range lives in one SQLite file, restart-safe."""
        with self._lock:
            if self._issuer is None:
                from kiosk.backend.tickets import TicketIssuer

                self._issuer = TicketIssuer(None, self.data_dir / "tickets.sqlite3", self.kiosk_id)
            return self._issuer

    def issue(self, area_key: str, area: dict[str, str], priority: str, client: BackendClient | None,
              ward_name: str) -> TicketInfo:
        """Ask the backend for a number; the kiosk-local "L" range when it cannot give one."""
        is_priority = priority != "none"
        names = {"vi": area.get("vi", ""), "en": area.get("en", "")}
        issued = self.issuer().issue(area_key, is_priority, client=client, area_name=names)
        ticket = TicketInfo(number=issued.number, people_ahead=issued.people_ahead, offline=issued.offline,
                            follow_url=issued.follow_url, area=names, priority=is_priority,
                            issued_at=clock.now())
        rendered = self.render(ticket, ward_name)
        ticket["path"], ticket["media"] = str(rendered.path), rendered.media
        return ticket

    def render(self, ticket: TicketInfo, ward_name: str) -> RenderedDocument:
        from kiosk.core.documents import TicketDoc, render_ticket

        doc = TicketDoc(ward_name=ward_name, service_area=ticket["area"], number=ticket["number"],
                        issued_at=ticket["issued_at"], people_ahead=ticket.get("people_ahead"),
                        priority=ticket.get("priority", False), kiosk_id=self.kiosk_id,
                        offline=ticket.get("offline", False), follow_url=ticket.get("follow_url"))
        return render_atomically(render_ticket, doc, self.prints.path("ticket", ticket["number"]))

    def close(self) -> None:
        with self._lock:
            issuer, self._issuer = self._issuer, None
        if issuer is not None:
            issuer.close()
