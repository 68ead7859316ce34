"""The paperless dossier: the supporting documents a citizen photographs at the kiosk.

Qt-free. :class:`PageCapture` runs on the camera thread (the camera bridge hands it every frame): it follows
the page on the tray (device/page_scan.py), and when the page lies still and sharp -- or the citizen taps
"Chụp" -- it takes a full-resolution still, straightens, enhances and encodes it within the page budget.
The captured pages live in the session (:class:`CapturedPage`, personal data: :meth:`CapturedPage.wipe`
zeroes them at session end) until the submission turns them into the dossier's attachments
(:func:`attachments`), which the outbox keeps encrypted and the sender uploads after the dossier.
"""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.core.dossier import Attachment
    from kiosk.core.forms import Procedure

log = logging.getLogger(__name__)

#: Free disk the kiosk keeps for dossiers already committed and their attachments: a capture that would
#: eat into it is refused with :data:`DISK_FULL`, so nothing committed is ever lost to a photograph.
DISK_RESERVE_BYTES = 50_000_000

DISK_FULL = {"vi": "Kiosk đã hết chỗ lưu ảnh giấy tờ. Vui lòng mang bản giấy đến quầy; hồ sơ của bạn vẫn được "
                   "nhận bình thường.",
             "en": "The kiosk has no room left for document photos. Please bring the paper to the counter; "
                   "your dossier is still accepted as usual."}
DOSSIER_FULL = {"vi": "Hồ sơ đã đủ dung lượng ảnh cho phép. Các giấy tờ còn lại vui lòng mang bản giấy đến quầy.",
                "en": "The dossier holds as many photos as it may. Please bring the remaining papers to the counter."}
#: A capture that failed for a reason the citizen cannot fix (a bug, a camera that gave no still).
CAPTURE_FAILED = {"vi": "Chưa chụp được trang này. Vui lòng thử lại.",
                  "en": "This page could not be photographed. Please try again."}


@dataclass(eq=False)
class CapturedPage:
    """One photographed page of a supporting document (personal data, held only by the session)."""

    document: int  # index into the procedure's documents
    jpeg: bytearray = field(repr=False)
    sha256: str
    width: int
    height: int
    dpi: int
    problems: tuple[str, ...] = ()  # what the checks found on the capture
    #: the citizen chose to send it despite ``problems`` after a retake (the backend sees them as flags)
    sent_anyway: bool = False
    #: it took the place of a page that failed a check ("Chụp lại"): if it fails too, it may be sent anyway
    retaken: bool = False
    thumbnail: Any = field(default=None, repr=False)  # BGR numpy image of the page as sent, VIEW_WIDTH wide

    @property
    def size(self) -> int:
        return len(self.jpeg)

    @property
    def acceptable(self) -> bool:
        return not self.problems or self.sent_anyway

    def wipe(self) -> None:
        """Overwrite the photo in place, so no other reference to the buffer keeps the page readable."""
        self.jpeg[:] = bytes(len(self.jpeg))
        self.jpeg.clear()
        if self.thumbnail is not None:
            self.thumbnail.fill(0)
            self.thumbnail = None


def problem_messages() -> dict[str, dict[str, str]]:
    """What each quality problem tells the citizen to do, {code: {vi, en}} (device.page_scan)."""
    from device.page_scan import PROBLEM_MESSAGES

    return PROBLEM_MESSAGES


def room_for_capture(data_dir: Path, max_page_bytes: int) -> bool:
    """Whether the data directory can take one more page and still keep its reserve for committed dossiers."""
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        return False
    return free - max_page_bytes * 2 >= DISK_RESERVE_BYTES


class PageCapture:
    """The camera thread's part of photographing documents.

    ``feed(frame, camera)`` for each frame returns ``(look, page, error)``: ``look`` a summary of the page on the
    tray for the preview (corners as fractions of the frame, problems, steady), every ``every_nth`` frame;
    ``page`` a :class:`CapturedPage` when one was taken; ``error`` a {vi, en} message when a capture failed.
    A capture is taken when asked (:meth:`request`, any thread) or by itself once the page is steady; after an
    automatic capture the next one waits until the page has left the tray, so one page is taken once."""

    def __init__(self, document: int, max_page_bytes: int, *, data_dir: Path | None = None, auto: bool = True,
                 every_nth: int = 2) -> None:
        from device.page_scan import PageTracker

        self.document = document  # the GUI thread moves it on to the next document
        self.max_page_bytes = max_page_bytes
        self.data_dir = data_dir
        self.auto = auto
        self.every_nth = max(1, every_nth)
        self._tracker = PageTracker()
        self._frames = 0
        self._armed = True  # an automatic capture may be taken (the tray was emptied since the last)
        self._requested = threading.Event()

    def request(self) -> None:
        """The citizen tapped "Chụp": take the next frame's still, whatever the checks say."""
        self._requested.set()

    def rearm(self) -> None:
        """Take the page on the tray again once it is steady (a retake, the next document), without waiting
        for the tray to be emptied first."""
        self._armed = True

    def feed(self, frame: Any, camera: Any) -> tuple[dict | None, CapturedPage | None, dict | None]:
        self._frames += 1
        requested = self._requested.is_set()
        if not requested and self._frames % self.every_nth:
            return None, None, None
        look = self._tracker.feed(frame)
        height, width = frame.shape[:2]
        summary = {"corners": None if look.quad is None else
                   [(float(x) / width, float(y) / height) for x, y in look.quad],
                   "problems": list(look.problems), "steady": bool(look.steady)}
        if look.quad is None or "no_page" in look.problems:
            self._armed = True
        if not requested and not (self.auto and self._armed and look.steady):
            return summary, None, None
        self._requested.clear()
        self._armed = False
        if self.data_dir is not None and not room_for_capture(self.data_dir, self.max_page_bytes):
            return summary, None, dict(DISK_FULL)
        try:
            page = self._take(camera)
        except Exception as err:  # no page in the still, or a surprise: say so, the citizen tries again
            message = getattr(err, "message", None)
            if not isinstance(message, dict):
                log.exception("page capture failed")
                message = CAPTURE_FAILED
            self._armed = True
            return summary, None, dict(message)
        self._tracker.reset()
        return summary, page, None

    def _take(self, camera: Any) -> CapturedPage:
        from device.page_scan import scan_page

        still = camera.still()
        # the still may be larger than the preview frame: find the page in it again rather than scale corners
        scanned = scan_page(still, None, max_bytes=self.max_page_bytes)
        jpeg = bytearray(scanned.jpeg)
        log.info("page captured: document %d, %d bytes, %dx%d px, %d dpi, problems %s", self.document, len(jpeg),
                 scanned.width, scanned.height, scanned.dpi, ",".join(scanned.problems) or "none")
        return CapturedPage(document=self.document, jpeg=jpeg, sha256=scanned.sha256, width=scanned.width,
                            height=scanned.height, dpi=scanned.dpi, problems=tuple(scanned.problems),
                            thumbnail=_view_of(scanned.jpeg))


#: The straightened page as the screen shows it (the preview, the thumbnails): what will be sent, decoded.
VIEW_WIDTH = 600


def _view_of(jpeg: bytes) -> Any:
    """The JPEG as sent, decoded and scaled to VIEW_WIDTH: the citizen checks the very bytes the backend gets."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]
    return cv2.resize(image, (VIEW_WIDTH, round(height * VIEW_WIDTH / width)), interpolation=cv2.INTER_AREA)


def dossier_bytes(pages: dict[int, list[CapturedPage]]) -> int:
    return sum(page.size for document in pages.values() for page in document)


def attachments(proc: Procedure, pages: dict[int, list[CapturedPage]]) -> list[Attachment]:
    """The dossier's attachments: each acceptable page, in document and page order."""
    from kiosk.core.dossier import Attachment

    out = []
    for index in sorted(pages):
        name = proc.documents[index]["name"]
        kept = [p for p in pages[index] if p.acceptable]
        for number, page in enumerate(kept, 1):
            out.append(Attachment(document=index, page=number, content_type="image/jpeg", data=bytes(page.jpeg),
                                  sha256=page.sha256, flags=tuple(page.problems) if page.sent_anyway else (),
                                  document_name={"vi": name["vi"], "en": name["en"]}))
    return out


def received_electronically(pages: dict[int, list[CapturedPage]] | None) -> dict[int, int]:
    """{document index: pages} of what the dossier carries as photographs."""
    return {index: n for index, document in (pages or {}).items()
            if (n := sum(1 for p in document if p.acceptable))}
