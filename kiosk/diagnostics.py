"""Checks a technician (``kiosk doctor``) or a build (``kiosk self-test``) runs on a kiosk.

``self_test`` proves the installed program is whole: its data files are there and its libraries load
(forms, QR decoding, PDF rendering with the embedded font, video decoding, the outbox database). It
touches no device and writes only to a temporary folder, so it also runs on the frozen build on a
machine with no Python. ``doctor`` (added with the maintenance tools) checks the devices and links.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core.paths import PACKAGE_ROOT

SELFTEST_IMAGE = PACKAGE_ROOT / "kiosk" / "assets" / "selftest-card.png"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    ms: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "ms": round(self.ms, 1), **self.data}

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<8} {self.detail}"


def _run(name: str, fn: Callable[[], tuple[str, dict[str, Any]]]) -> Check:
    start = time.perf_counter()
    try:
        detail, data = fn()
        ok = True
    except Exception as exc:  # a self-test reports every failure as a line, never a traceback
        detail, data, ok = f"{type(exc).__name__}: {exc}", {}, False
    return Check(name, ok, detail, (time.perf_counter() - start) * 1000, data)


def _check_forms() -> tuple[str, dict[str, Any]]:
    from kiosk.core.forms import load_catalogue

    catalogue = load_catalogue()
    if not catalogue:
        raise RuntimeError("no procedure in the catalogue")
    return f"{len(catalogue)} procedures loaded", {"procedures": len(catalogue)}


def _check_qr() -> tuple[str, dict[str, Any]]:
    import cv2

    from device.qr import decode
    from kiosk.core.identity import IdentityError, parse_id_qr

    def is_card(text: str) -> bool:
        try:
            parse_id_qr(text)
            return True
        except IdentityError:
            return False

    frame = cv2.imread(str(SELFTEST_IMAGE), cv2.IMREAD_GRAYSCALE)
    if frame is None:
        raise RuntimeError(f"cannot read {SELFTEST_IMAGE}")
    result = decode(frame, accept=is_card)
    if result is None:
        raise RuntimeError("the sample card QR was not decoded")
    return f"sample card read by {result.decoder}", {"decoder": result.decoder}


def _check_ticket(tmp: Path) -> tuple[str, dict[str, Any]]:
    from datetime import datetime

    from kiosk.core.documents import TicketDoc, render_ticket

    doc = TicketDoc(ward_name="Phường Cửa Nam", service_area={"vi": "Hộ tịch", "en": "Civil status"},
                    number="A001", issued_at=datetime.now(), people_ahead=0, kiosk_id="SELF-TEST")
    rendered = render_ticket(doc, tmp / "ticket.pdf")
    if abs(rendered.width_mm - 80.0) > 0.01 or rendered.path.stat().st_size == 0:
        raise RuntimeError(f"ticket is {rendered.width_mm} mm wide")
    return f"ticket PDF {rendered.width_mm:.0f} x {rendered.height_mm:.0f} mm", {}


def _check_video() -> tuple[str, dict[str, Any]]:
    import cv2

    from kiosk.core.forms import load_catalogue

    video = load_catalogue()[0].video
    capture = cv2.VideoCapture(str(video))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        raise RuntimeError(f"no frame from {video}")
    return f"{Path(video).name}: frame {frame.shape[1]}x{frame.shape[0]}", {}


def _check_outbox(tmp: Path) -> tuple[str, dict[str, Any]]:
    from kiosk.backend.outbox import Outbox

    with Outbox.in_data_dir(tmp / "data") as outbox:
        status = outbox.status()
    return "outbox database opens (WAL, synchronous=FULL)", {"outbox": status}


def self_test() -> list[Check]:
    """Run every self-test check; each returns a :class:`Check`, none raises."""
    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as tmp_name:
        tmp = Path(tmp_name)
        return [
            _run("forms", _check_forms),
            _run("qr", _check_qr),
            _run("ticket", lambda: _check_ticket(tmp)),
            _run("video", _check_video),
            _run("outbox", lambda: _check_outbox(tmp)),
        ]
