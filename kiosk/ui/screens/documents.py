"""Photographing the supporting documents (paperless dossier): one document at a time, each page placed on
the tray under the camera. The page's outline is drawn on the live preview; the kiosk takes the page by itself
once it lies still and sharp (or on "Chụp"), straightened and checked off the GUI thread; a page that fails a
check says what to do, and after one retake may still be sent if the citizen insists. Thumbnails let the
citizen look, retake or delete. Any document may go to the counter on paper instead: no dead end when the
camera, the disk or the dossier's size budget says no."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout

from kiosk.core.session import State
from kiosk.ui.health import camera_gone
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.identify import PreviewLabel, set_role
from kiosk.ui.widgets import AdaptiveRow, button, clear_layout, label, notify_activity, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

CAMERA_UNAVAILABLE = {"vi": "Không dùng được máy ảnh. Vui lòng mang bản giấy các giấy tờ đến quầy.",
                      "en": "The camera is not available. Please bring the papers to the counter."}
GOOD = QColor("#2fbf4f")
WARN = QColor("#ffb000")


class PagePreview(PreviewLabel):
    """The camera picture with the page's outline: green while the page is good, amber with a problem."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("documents-preview")
        self.corners: list[tuple[float, float]] | None = None
        self.good = False
        #: a photographed page shown instead of the camera (just taken, or chosen among the thumbnails)
        self.review: QImage | None = None
        self.review_caption = ""

    def show_review(self, image: QImage | None, caption: str = "") -> None:
        self.review, self.review_caption = image, caption
        self.update()

    def show_page(self, corners: list[tuple[float, float]] | None, good: bool) -> None:
        self.corners, self.good = corners, good
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        if self.review is not None:
            self._paint_review(painter)
            painter.end()
            return
        target = self.paint_camera(painter)
        if target is None:
            painter.end()
            return
        if self.corners and not target.isEmpty():
            outline = QPolygonF([QPointF(target.x() + x * target.width(), target.y() + y * target.height())
                                 for x, y in self.corners])
            painter.setPen(QPen(GOOD if self.good else WARN, 6))
            painter.drawPolygon(outline)
        painter.end()

    def _paint_review(self, painter: QPainter) -> None:
        """The straightened page as it will be sent, whole, with its caption below."""
        line = painter.fontMetrics().height() + 16
        room = self.rect().adjusted(16, 16, -16, -16 - line)
        fitted = self.review.size().scaled(room.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(room.x() + (room.width() - fitted.width()) // 2, room.y(), fitted.width(), fitted.height())
        painter.fillRect(self.rect(), QColor("#404040"))
        painter.drawImage(target, self.review)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRect(0, target.bottom() + 8, self.width(), line), Qt.AlignmentFlag.AlignHCenter,
                         self.review_caption)


class PageThumb(QPushButton):
    """A photographed page: tap to choose it (then "Chụp lại" or "Xoá" act on it)."""

    def __init__(self, image: QImage, caption: str, warn: bool, size: QSize) -> None:
        super().__init__()
        self.setCheckable(True)
        self.setIcon(QIcon(QPixmap.fromImage(image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.SmoothTransformation))))
        self.setIconSize(size)
        self.setText(caption)
        self.setProperty("role", "thumb-warn" if warn else "thumb")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pressed.connect(notify_activity)


class DocumentsScreen(Screen):
    state = State.DOCUMENTS
    title = {"vi": "Chụp giấy tờ", "en": "Scan your papers"}
    spoken = ("heading", "instructions", "status")
    #: How long a page just taken is shown, straightened, in place of the camera (then the camera again,
    #: for the next page); a thumbnail tapped shows its page for as long as it is chosen.
    REVIEW_MS = 3000

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        # portrait: the camera preview above the instructions and the pages
        self.row = row = AdaptiveRow(24)
        self.preview = PagePreview()
        row.addWidget(self.preview, 3)
        side = QVBoxLayout()
        frame, inner = panel()
        self.heading = label(role="subtitle")
        self.heading.setObjectName("documents-heading")
        self.instructions = label()
        self.status = label()
        self.status.setObjectName("documents-status")
        for w in (self.heading, self.instructions, self.status):
            inner.addWidget(w)
        self.thumb_row = QHBoxLayout()
        self.thumb_row.setSpacing(12)
        inner.addLayout(self.thumb_row)
        page_actions = QHBoxLayout()
        self.retake_button = button(None, self._on_retake_clicked, name="documents-retake")
        self.delete_button = button(None, self._on_delete_clicked, name="documents-delete")
        self.anyway_button = button(None, self._on_anyway_clicked, name="documents-anyway")
        for b in (self.retake_button, self.delete_button, self.anyway_button):
            page_actions.addWidget(b)
        inner.addLayout(page_actions)
        inner.addStretch(1)
        side.addWidget(frame, 1)
        self.capture_button = button(None, self._on_capture_clicked, name="documents-capture")
        self.paper_button = button(None, self._on_paper_clicked, name="documents-paper")
        self.next_button = button("primary", self._on_next_clicked, name="documents-next")
        for b in (self.capture_button, self.paper_button, self.next_button):
            side.addWidget(b)
        row.addLayout(side, 2)
        self.root.addLayout(row, 1)
        self.slots: list[tuple[int, dict]] = []  # (index, document) of the procedure's electronic documents
        self.cursor = 0  # which of them is being photographed
        self.selected: int | None = None  # the chosen page of the current document
        self.replace_at: int | None = None  # "Chụp lại": the next capture takes this page's place
        self.camera_status: tuple[str, dict] = ("starting", {})
        self.message: dict | None = None  # what the status line says ({vi, en}), None: the page's state
        self.problem = False  # the message is a problem with the page (red) rather than progress
        self.look_problems: tuple[str, ...] = ()
        self.full = False  # the dossier's photo budget or the disk is spent: nothing more is taken
        self._capture: Any = None
        self._unwatch: Any = None
        self._thumbs: dict[int, QImage] = {}  # id(page) -> thumbnail (personal: dropped at reset)
        self._just_taken: Any = None  # the page shown in the preview for a moment after it was taken
        self._review_timer = QTimer(self)
        self._review_timer.setSingleShot(True)
        self._review_timer.setInterval(self.REVIEW_MS)
        self._review_timer.timeout.connect(self._on_review_timer_timeout)

    # --- life cycle ------------------------------------------------------------------------------------
    @property
    def pages(self) -> dict[int, list[Any]]:
        return self.session.data.pages

    @property
    def document(self) -> tuple[int, dict]:
        return self.slots[self.cursor]

    def current_pages(self) -> list[Any]:
        return self.pages.get(self.document[0], [])

    def enter(self) -> None:
        from kiosk.app.documents import PageCapture

        proc = self.services.procedure(self.session.data.procedure_id)
        slots = proc.electronic_documents
        if slots != self.slots:
            self.slots, self.cursor = slots, 0
        self.cursor = min(self.cursor, max(0, len(self.slots) - 1))
        self.selected = self.replace_at = None
        self.message, self.problem, self.look_problems = None, False, ()
        settings = self.services.settings.documents
        self.full = False
        last = self.devices.camera.status
        self.camera_status = (last, {}) if camera_gone(last) else ("starting", {})
        # every frame followed (~5 ms each on the camera thread), the preview thinned to its rate with its outline
        self._capture = PageCapture(self.document[0] if self.slots else 0, int(settings["max_page_bytes"]),
                                    data_dir=self.services.data_dir, every_nth=1)
        self._unwatch = self.devices.watch_pages(self._capture, self._on_camera_look, self._on_camera_captured,
                                                 self._on_camera_failed, on_frame=self.preview.show_image,
                                                 on_status=self._on_camera_status)
        self._rebuild_thumbs()
        self.retranslate_ui()

    def leave(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self._capture = None
        self.preview.show_image(None)
        self.preview.show_page(None, False)
        self._review_timer.stop()
        self._just_taken = None
        self.preview.show_review(None)

    def reset(self) -> None:
        self.slots, self.cursor = [], 0
        self.selected = self.replace_at = None
        self.message = None
        self._thumbs.clear()
        self._just_taken = None
        clear_layout(self.thumb_row)
        self.preview.show_image(None)
        self.preview.show_review(None)

    def handle_back(self) -> bool:
        """Back goes to the previous document before it leaves for the form."""
        if self.cursor > 0:
            self._move_to(self.cursor - 1)
            return True
        return False

    # --- the camera thread's findings ------------------------------------------------------------------
    def _on_camera_status(self, code: str, message: dict) -> None:
        self.camera_status = (code, message)
        self.retranslate_ui()

    def _on_camera_look(self, look: dict) -> None:
        problems = tuple(look.get("problems") or ())
        self.preview.show_page(look.get("corners"), not problems)
        if problems != self.look_problems:
            self.look_problems = problems
            if self.message is None or not self.problem:
                self.retranslate_ui()

    def _on_camera_captured(self, page: Any, thumbnail: QImage) -> None:
        if self.session.state != State.DOCUMENTS or not self.slots:
            page.wipe()  # the citizen moved on while the still was taken
            return
        from kiosk.app.documents import DOSSIER_FULL, dossier_bytes

        index, doc = self.document
        page.document = index
        pages = self.pages.setdefault(index, [])
        budget = int(self.services.settings.documents["max_dossier_bytes"])
        replaced = pages[self.replace_at] if self.replace_at is not None and self.replace_at < len(pages) else None
        if dossier_bytes(self.pages) - (replaced.size if replaced else 0) + page.size > budget:
            page.wipe()
            self._stop_taking(DOSSIER_FULL)
            return
        if replaced is None and len(pages) >= int(doc.get("pages", 4)):
            page.wipe()
            self._say({"vi": f"Đã chụp đủ {len(pages)} trang của giấy tờ này. Bấm «{self._next_text()['vi']}».",
                       "en": f"All {len(pages)} pages of this document are taken. Press "
                             f"“{self._next_text()['en']}”."})
            return
        self._thumbs[id(page)] = thumbnail
        if replaced is not None:
            page.retaken = bool(replaced.problems) or replaced.retaken
            self._thumbs.pop(id(replaced), None)
            replaced.wipe()
            pages[self.replace_at] = page
            number = self.replace_at + 1
        else:
            pages.append(page)
            number = len(pages)
        self.replace_at = None
        self.selected = number - 1 if page.problems else None
        self._just_taken = page
        self._review_timer.start()
        self.ctx.log.info("document %d page %d taken (%s)", index, number, ",".join(page.problems) or "good")
        if page.problems:
            from kiosk.app.documents import problem_messages

            what = problem_messages()[page.problems[0]]
            again = ({"vi": " Nếu vẫn không rõ hơn, bạn có thể bấm «Vẫn gửi ảnh này».",
                      "en": " If it does not get better, you may press “Send it anyway”."} if page.retaken else
                     {"vi": " Bấm «Chụp lại» rồi đặt lại trang.", "en": " Press “Retake” and place the page again."})
            self._say({"vi": f"Trang {number} chưa đạt: {what['vi']}{again['vi']}",
                       "en": f"Page {number} is not good enough: {what['en']}{again['en']}"}, problem=True)
        else:
            self._say({"vi": f"Đã chụp trang {number}. Đặt trang tiếp theo lên khay, hoặc bấm "
                             f"«{self._next_text()['vi']}».",
                       "en": f"Page {number} taken. Place the next page on the tray, or press "
                             f"“{self._next_text()['en']}”."})
        self._rebuild_thumbs()
        self.announce()

    def _on_camera_failed(self, message: dict) -> None:
        from kiosk.app.documents import DISK_FULL

        if message == DISK_FULL:
            self._stop_taking(DISK_FULL)
            return
        self._say(message, problem=True)
        self.announce()

    def _stop_taking(self, message: dict) -> None:
        """Nothing more can be photographed (the disk, the dossier's budget): say so, paper is the way on."""
        self.full = True
        if self._capture is not None:
            self._capture.auto = False
        self._say(message, problem=True)
        self.announce()

    # --- the citizen's taps ----------------------------------------------------------------------------
    def _on_capture_clicked(self) -> None:
        if self._capture is not None and not self.full:
            self._capture.request()

    def _on_retake_clicked(self) -> None:
        pages = self.current_pages()
        at = self.selected if self.selected is not None else len(pages) - 1
        if not 0 <= at < len(pages):
            return
        self.replace_at = at
        if self._capture is not None:
            self._capture.rearm()
        self._say({"vi": f"Chụp lại trang {at + 1}: đặt trang lên khay, kiosk sẽ tự chụp khi trang nằm yên.",
                   "en": f"Retaking page {at + 1}: place the page on the tray; the kiosk takes it once it lies "
                         "still."})

    def _on_delete_clicked(self) -> None:
        pages = self.current_pages()
        at = self.selected if self.selected is not None else len(pages) - 1
        if not 0 <= at < len(pages):
            return
        page = pages.pop(at)
        self._thumbs.pop(id(page), None)
        page.wipe()
        self.selected = self.replace_at = None
        self.full = False
        if self._capture is not None:
            self._capture.auto = True
        self._say({"vi": f"Đã xoá trang {at + 1}.", "en": f"Page {at + 1} deleted."})
        self._rebuild_thumbs()

    def _on_anyway_clicked(self) -> None:
        pages = self.current_pages()
        if self.selected is None or not 0 <= self.selected < len(pages):
            return
        page = pages[self.selected]
        page.sent_anyway = True
        self.ctx.log.info("document %d page %d sent despite %s", page.document, self.selected + 1,
                          ",".join(page.problems))
        self._say({"vi": f"Trang {self.selected + 1} sẽ được gửi kèm ghi chú chất lượng ảnh.",
                   "en": f"Page {self.selected + 1} will be sent, marked with its quality note."})
        self.selected = None
        self._rebuild_thumbs()

    def _on_thumb_clicked(self, at: int) -> None:
        self.selected = None if self.selected == at else at
        self._rebuild_thumbs()
        self.retranslate_ui()

    def _on_paper_clicked(self) -> None:
        """This document goes to the counter on paper: its photos (if any) are dropped."""
        index = self.document[0]
        for page in self.pages.pop(index, []):
            self._thumbs.pop(id(page), None)
            page.wipe()
        self.session.data.on_paper.add(index)
        self._advance()

    def _on_next_clicked(self) -> None:
        index = self.document[0] if self.slots else None
        if index is not None:
            pages = self.pages.get(index, [])
            for page in [p for p in pages if not p.acceptable]:  # a failed page not insisted on is not sent
                pages.remove(page)
                self._thumbs.pop(id(page), None)
                page.wipe()
            if pages:
                self.session.data.on_paper.discard(index)
            else:
                self.pages.pop(index, None)
                self.session.data.on_paper.add(index)
        self._advance()

    def _advance(self) -> None:
        if self.cursor + 1 < len(self.slots):
            self._move_to(self.cursor + 1)
        else:
            self.navigator.go(State.WARD)

    def _move_to(self, cursor: int) -> None:
        self.cursor = cursor
        self.selected = self.replace_at = None
        self.message, self.problem = None, False
        if self._capture is not None:
            self._capture.document = self.document[0]
            self._capture.auto = not self.full
            self._capture.rearm()
        self._rebuild_thumbs()
        self.retranslate_ui()
        self.announce()

    # --- showing ---------------------------------------------------------------------------------------
    def _say(self, message: dict, problem: bool = False) -> None:
        self.message, self.problem = message, problem
        self.retranslate_ui()

    def _next_text(self) -> dict[str, str]:
        if self.cursor + 1 < len(self.slots):
            return {"vi": "Giấy tờ tiếp theo", "en": "Next document"}
        return {"vi": "Xong, tiếp tục", "en": "Done, continue"}

    def _on_review_timer_timeout(self) -> None:
        self._just_taken = None
        self._update_review()

    def _update_review(self) -> None:
        """The preview shows the chosen page, or the page just taken, straightened; else the camera."""
        pages = self.current_pages() if self.slots else []
        if self.selected is not None and self.selected < len(pages):
            at = self.selected
        elif self._just_taken is not None and any(p is self._just_taken for p in pages):
            at = next(i for i, p in enumerate(pages) if p is self._just_taken)
        else:
            self.preview.show_review(None)
            return
        image = self._thumbs.get(id(pages[at]))
        self.preview.show_review(image, self.t({"vi": f"Trang {at + 1}, đã làm thẳng: sẽ gửi như thế này",
                                                "en": f"Page {at + 1}, straightened: sent as it is shown"}))

    def _rebuild_thumbs(self) -> None:
        clear_layout(self.thumb_row)
        self._update_review()
        if not self.slots:
            return
        side = round(110 * self.ctx.theme.scale)
        for at, page in enumerate(self.current_pages()):
            image = self._thumbs.get(id(page))
            if image is None:
                continue
            thumb = PageThumb(image, self._caption(at, page), bool(page.problems) and not page.sent_anyway,
                              QSize(round(side * 0.75), side))
            thumb.setObjectName(f"documents-page-{at + 1}")
            thumb.setChecked(at == self.selected)
            thumb.clicked.connect(lambda _=False, a=at: self._on_thumb_clicked(a))
            self.thumb_row.addWidget(thumb)
        self.thumb_row.addStretch(1)
        self._update_buttons()

    def _caption(self, at: int, page: Any) -> str:
        """"Trang 2", marked ⚠ while it fails a check, ✓ once the citizen chose to send it anyway."""
        caption = self.t({"vi": f"Trang {at + 1}", "en": f"Page {at + 1}"})
        if page.problems:
            caption += " ✓" if page.sent_anyway else " ⚠"
        return caption

    def _update_buttons(self) -> None:
        pages = self.current_pages() if self.slots else []
        gone = camera_gone(self.camera_status[0])
        chosen = pages[self.selected] if self.selected is not None and self.selected < len(pages) else None
        self.retake_button.setVisible(bool(pages) and not gone)
        self.delete_button.setVisible(bool(pages))
        self.anyway_button.setVisible(chosen is not None and bool(chosen.problems) and not chosen.sent_anyway
                                      and chosen.retaken)
        self.capture_button.setEnabled(not gone and not self.full)
        self.capture_button.setVisible(not gone)

    def retranslate_ui(self) -> None:
        if not self.slots:
            return
        t = self.t
        index, doc = self.document
        total = len(self.slots)
        self.heading.setText(t({"vi": f"Giấy tờ {self.cursor + 1}/{total}: {doc['name']['vi']}",
                                "en": f"Document {self.cursor + 1} of {total}: {doc['name']['en']}"}))
        gone = camera_gone(self.camera_status[0])
        if gone:
            self.preview.show_unavailable(t(CAMERA_UNAVAILABLE))
            self.instructions.setText(t(CAMERA_UNAVAILABLE))
        else:
            self.preview.unavailable = ""
            most = int(doc.get("pages", 4))
            self.instructions.setText(t({
                "vi": f"Đặt từng trang lên khay dưới camera, mặt chữ hướng lên (tối đa {most} trang). Kiosk tự "
                      "chụp khi trang nằm yên và rõ nét; khung xanh là trang đã được nhận ra.",
                "en": f"Place each page face up on the tray under the camera (up to {most} pages). The kiosk takes "
                      "it by itself once it lies still and sharp; a green outline means the page is found."}))
        if self.message is not None:
            status, problem = t(self.message), self.problem
        elif gone:
            status, problem = "", False
        elif self.look_problems and self.look_problems[0] != "no_page":
            from kiosk.app.documents import problem_messages

            status, problem = t(problem_messages()[self.look_problems[0]]), True
        else:
            status, problem = t({"vi": "Đang chờ trang giấy…", "en": "Waiting for a page…"}), False
        self.status.setText(status)
        set_role(self.status, "error" if problem else "subtitle")
        self.retake_button.setText(t({"vi": "Chụp lại", "en": "Retake"}))
        self.delete_button.setText(t({"vi": "Xoá trang", "en": "Delete page"}))
        self.anyway_button.setText(t({"vi": "Vẫn gửi ảnh này", "en": "Send it anyway"}))
        self.capture_button.setText(t({"vi": "Chụp ngay", "en": "Take the photo now"}))
        self.paper_button.setText(t({"vi": "Tôi sẽ nộp bản giấy giấy tờ này", "en": "I will bring this one on paper"}))
        self.next_button.setText(t(self._next_text()))
        pages = self.current_pages()
        for at in range(min(self.thumb_row.count(), len(pages))):
            thumb = self.thumb_row.itemAt(at).widget()
            if isinstance(thumb, PageThumb):
                thumb.setText(self._caption(at, pages[at]))
        self._update_buttons()
