"""A dossier's status, looked up by its official code or, before synchronisation, its local reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.backend.outbox import Outbox
    from kiosk.core.forms import Procedure

STATUS_TEXT = {
    "received": {"vi": "Đã tiếp nhận, đang chờ xử lý", "en": "Received, waiting to be processed"},
    "processing": {"vi": "Đang giải quyết", "en": "Being processed"},
    "ready": {"vi": "Đã có kết quả — mời bạn đến nhận", "en": "Ready — please come and collect it"},
    "returned": {"vi": "Đã trả kết quả", "en": "Result handed over"},
    "withdrawn": {"vi": "Đã rút hồ sơ", "en": "Withdrawn"},
    "pending": {"vi": "Đã lưu trên kiosk, đang chờ đồng bộ", "en": "Saved on the kiosk, waiting to be synchronised"},
    # a kiosk with no backend never synchronises: the officers take the dossier from the receipt
    "recorded": {"vi": "Đã ghi nhận tại kiosk — mang giấy tiếp nhận đến quầy để cán bộ xử lý",
                 "en": "Recorded at the kiosk — bring the receipt to the counter for the officers to process"},
    "rejected": {"vi": "Bị từ chối — vui lòng hỏi cán bộ", "en": "Refused — please ask an officer"},
}


def lookup(code: str, *, outbox: Callable[[], Outbox], client: Callable[[], BackendClient | None],
           catalogue: Callable[[], list[Procedure]], has_backend: bool) -> dict[str, Any] | None:
    """Status of a dossier by its official code or, before synchronisation, its local reference.

    Anything else is refused (:class:`~kiosk.backend.client.MalformedCode`) before the outbox or the
    backend sees it. ``outbox``, ``client`` and ``catalogue`` are asked only when needed (each costs a
    connection or a load the first time)."""
    from kiosk.backend.client import MalformedCode
    from kiosk.core.patterns import is_dossier_reference

    code = code.strip()
    if not is_dossier_reference(code):
        raise MalformedCode("not a dossier code or provisional reference")
    record: dict[str, Any] | None = None
    if code.startswith("L-"):
        item = outbox().get(code)
        if item is not None and item.dossier_code:
            code = item.dossier_code
        elif item is not None:
            waiting = "pending" if has_backend else "recorded"
            return {"code": code, "status": item.state, "status_text": STATUS_TEXT.get(
                "rejected" if item.state == "rejected" else waiting), "appointment_date": None}
        else:
            backend = client()
            found = backend.find_dossiers(code) if backend is not None else []
            if not found:
                return None
            record = found[0]
    if record is None:
        backend = client()
        if backend is None:
            return None
        record = backend.get_dossier(code)
    if record is None:
        return None
    from kiosk.core.forms import procedure_by_code

    proc = procedure_by_code(catalogue(), str(record.get("procedure_code") or ""))
    status = record.get("status", "received")
    appointment = record.get("appointment_date")
    if appointment:
        from kiosk.core.forms import display_iso_date

        appointment = display_iso_date(appointment)
    return {"code": record.get("dossier_code", code), "status": status,
            "status_text": STATUS_TEXT.get(status, {"vi": status, "en": status}),
            "appointment_date": appointment, "procedure_name": dict(proc.name) if proc else None}
