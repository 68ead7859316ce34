"""A citizen's dossier: committed to the outbox before anything else, then its receipt rendered."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.app.prints import PrintFiles, render_atomically
from kiosk.core import clock

if TYPE_CHECKING:  # the outbox (cryptography) and reportlab load on worker threads, after the home screen
    from kiosk.backend.outbox import Outbox, OutboxItem
    from kiosk.backend.sender import Sender
    from kiosk.core.documents import ReceiptFee, RenderedDocument
    from kiosk.core.dossier import Dossier
    from kiosk.core.forms import Procedure
    from kiosk.core.wards import WardInfo

log = logging.getLogger(__name__)


class ThreadOutboxes:
    """One outbox connection per thread (SQLite connections are not shared between threads here)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Outbox] = []

    def get(self) -> Outbox:
        """This thread's outbox connection, opened on first use."""
        from kiosk.backend.outbox import Outbox

        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is None:
            box = self._local.outbox = Outbox.in_data_dir(self.data_dir)
            with self._lock:
                self._open.append(box)
        return box

    def forget(self) -> None:
        """Close this thread's outbox connection; the next use opens the outbox again."""
        box = getattr(self._local, "outbox", None)
        self._local.outbox = None
        if box is not None:
            with self._lock:
                if box in self._open:
                    self._open.remove(box)
            try:
                box.close()
            except Exception as err:  # already broken: the OS frees it
                log.warning("outbox connection not closed cleanly: %r", err)

    def close_all(self) -> None:
        with self._lock:
            boxes, self._open = self._open, []
        for box in boxes:
            try:
                box.close()
            except Exception:  # a connection made in another thread: SQLite refuses, the OS frees it at exit
                pass


def commit(outboxes: ThreadOutboxes, dossier: Dossier, sender: Sender | None) -> OutboxItem:
    """Commit a dossier to the outbox (fsync'd) — always before its receipt prints."""
    try:
        item = outboxes.get().add(dossier)
    except BaseException:
        # A connection that failed (disk full, a damaged file) may stay broken: "Try again" opens the
        # outbox afresh, so a technician's fix (space freed, the file restored) takes effect at once.
        outboxes.forget()
        raise
    if sender is not None:
        sender.wake()
    return item


def acknowledged(outbox: Outbox, local_ref: str) -> OutboxItem | None:
    """The dossier once the backend gave it its official code; None until then."""
    item = outbox.get(local_ref)
    return item if item is not None and item.dossier_code else None


def render_receipt(prints: PrintFiles, proc: Procedure, *, applicant_name: str, phone: str, address: str,
                   ward: WardInfo | None, ward_code: str, local_ref: str, dossier_code: str | None,
                   appointment_date: str | None, kiosk_id: str, has_backend: bool,
                   fee: ReceiptFee | None = None, electronic: dict[int, int] | None = None) -> RenderedDocument:
    """The rendered receipt (path and media); ``ward`` the dossier's, ``ward_code`` when it is not known;
    ``electronic`` {document index: pages} of the documents photographed at the kiosk."""
    from kiosk.core.documents import ReceiptDoc, render_receipt

    appointment = date.fromisoformat(appointment_date) if appointment_date else None
    doc = ReceiptDoc(unit_name=ward.name if ward else ward_code, procedure_name=dict(proc.name),
                     procedure_code=proc.code, applicant_name=applicant_name,
                     received_at=clock.now(), dossier_code=dossier_code, local_ref=local_ref,
                     offline=not dossier_code, parent_unit=ward.province_name if ward else "", phone=phone,
                     address=address, documents=[dict(d, electronic_pages=(electronic or {}).get(i, 0))
                                                 for i, d in enumerate(proc.documents)],
                     appointment_date=appointment,
                     processing_time=dict(proc.processing_time.get("text") or {}),
                     kiosk_id=kiosk_id, has_backend=has_backend, fee=fee)
    return render_atomically(render_receipt, doc, prints.path("receipt", dossier_code or local_ref))
