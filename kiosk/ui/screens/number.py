"""Take a queue number: service area -> priority -> the ticket prints (three taps from home)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.session import State
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import FitLabel, button, finger_scrolled, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

PRIORITIES = [
    ("none", {"vi": "Không ưu tiên", "en": "No priority"}),
    ("elderly", {"vi": "Người cao tuổi", "en": "Elderly person"}),
    ("disabled", {"vi": "Người khuyết tật", "en": "Person with a disability"}),
    ("pregnant", {"vi": "Phụ nữ mang thai hoặc có con nhỏ", "en": "Pregnant or with a small child"}),
]


def _scrolling(pages: QWidget) -> QScrollArea:
    """The pages in a finger-scrolled area: at 1366x768 the four priorities fill the height, and the printer's
    notice above them would otherwise squeeze the buttons over each other."""
    return finger_scrolled(pages)


class NumberScreen(Screen):
    state = State.NUMBER
    title = {"vi": "Lấy số thứ tự", "en": "Take a queue number"}
    spoken = ("area_prompt", "priority_prompt", "printer_notice", "ticket_caption", "ticket_number", "ticket_info",
              "ticket_error")
    spelt = ("ticket_number",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.area: dict | None = None
        # said before the last tap when the printer cannot print (its last status from the print worker)
        self.printer_notice = label(role="error")
        self.printer_notice.setObjectName("number-printer-notice")
        self.printer_notice.hide()
        self.root.addWidget(self.printer_notice)
        self.devices.sig_printer_status.connect(self._on_printer_status)
        self.pages = QStackedWidget()
        self.root.addWidget(_scrolling(self.pages))

        # page 1: service area
        self.area_page = QWidget()
        lay = QVBoxLayout(self.area_page)
        self.area_prompt = label(role="subtitle")
        lay.addWidget(self.area_prompt)
        self.area_grid = QGridLayout()
        self.area_grid.setSpacing(20)
        lay.addLayout(self.area_grid)
        lay.addStretch(1)
        self.area_buttons: list[tuple[object, dict]] = []
        for i, area in enumerate(self.services.service_areas()):
            b = button("bigchoice", lambda a=area: self._on_area_chosen(a), name=f"area-{i}")
            self.area_buttons.append((b, area))
            self.area_grid.addWidget(b, i // 2, i % 2)
        self.pages.addWidget(self.area_page)

        # page 2: priority
        self.priority_page = QWidget()
        lay = QVBoxLayout(self.priority_page)
        self.priority_prompt = label(role="subtitle")
        lay.addWidget(self.priority_prompt)
        self.priority_buttons = {}
        for key, _text in PRIORITIES:
            b = button("bigchoice", lambda k=key: self._on_priority_chosen(k), name=f"priority-{key}")
            self.priority_buttons[key] = b
            lay.addWidget(b)
        lay.addStretch(1)
        self.pages.addWidget(self.priority_page)

        # page 3: the ticket
        self.ticket_page = QWidget()
        lay = QVBoxLayout(self.ticket_page)
        frame, inner = panel()
        self.ticket_caption = label(role="subtitle")
        self.ticket_number = FitLabel(role="big")
        self.ticket_number.setObjectName("ticket-number")
        self.ticket_info = label()
        self.ticket_error = label(role="error")
        texts = QVBoxLayout()
        for w in (self.ticket_caption, self.ticket_number, self.ticket_info):
            texts.addWidget(w)
        texts.addStretch(1)
        beside = QHBoxLayout()
        beside.addLayout(texts, 1)
        # with no printed ticket, the number as a QR a phone can photograph off the screen
        self.ticket_qr = label()
        self.ticket_qr.setObjectName("ticket-qr")
        self.ticket_qr.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.ticket_qr.hide()
        beside.addWidget(self.ticket_qr)
        # the backend's follow page, as on the printed ticket: a phone scans it off the screen as well
        follow = QVBoxLayout()
        self.follow_qr = label()
        self.follow_qr.setObjectName("ticket-follow-qr")
        self.follow_qr.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.follow_caption = label()
        self.follow_caption.setObjectName("ticket-follow-caption")
        self.follow_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.follow_caption.setWordWrap(True)
        follow.addWidget(self.follow_qr)
        follow.addWidget(self.follow_caption)
        follow.addStretch(1)
        self.follow_qr.hide()
        self.follow_caption.hide()
        beside.addLayout(follow)
        inner.addLayout(beside)
        inner.addWidget(self.ticket_error)  # full width: a wrapped label beside the QR would be cut short
        lay.addWidget(frame)
        lay.addStretch(1)
        buttons = QHBoxLayout()
        self.reprint_button = button(None, self._on_reprint_clicked, name="ticket-reprint")
        self.reprint_button.hide()
        buttons.addWidget(self.reprint_button)
        self.done_button = button("primary", lambda: self.navigator.go_home(), name="ticket-done")
        buttons.addWidget(self.done_button)
        lay.addLayout(buttons)
        self.pages.addWidget(self.ticket_page)
        self.ticket: dict | None = None
        self.print_state = ""
        self._unwatch_printer = lambda: None

    # --- flow -----------------------------------------------------------------------------------
    def enter(self) -> None:
        if self.session.state == State.NUMBER and self.pages.currentWidget() is self.ticket_page:
            return
        self.pages.setCurrentWidget(self.area_page)

    def handle_back(self) -> bool:
        if self.pages.currentWidget() is self.priority_page:
            self.pages.setCurrentWidget(self.area_page)
            self.navigator.refresh_header()
            return True
        return False

    def _on_area_chosen(self, area: dict) -> None:
        self.area = area
        self.pages.setCurrentWidget(self.priority_page)
        self.navigator.refresh_header()

    def _on_priority_chosen(self, priority: str) -> None:
        self.ticket = None
        self.print_state = "issuing"
        self.pages.setCurrentWidget(self.ticket_page)
        self.navigator.refresh_header()
        self.retranslate_ui()
        area = self.area or {}
        self.ctx.runners.backend.run(lambda: self.services.issue_ticket(area, priority), self._on_ticket_issued,
                                     self._on_ticket_failed)

    def _on_ticket_issued(self, ticket: dict) -> None:
        self.ticket = ticket
        self.session.data.ticket_number = ticket["number"]
        self.print_state = "printing"
        self.retranslate_ui()
        self.ctx.events.sig_ticket_issued.emit(ticket)
        self.devices.print_document("ticket", ticket["path"], self._on_ticket_printed, ticket.get("media"))

    def _on_ticket_printed(self, ok: bool, message: dict | None) -> None:
        if self.ticket is None:
            return  # the session ended meanwhile
        self.print_state = "printed" if ok else "print_failed"
        self._print_message = message
        if ok:
            self._unwatch_printer()
        else:
            self._unwatch_printer()
            self._unwatch_printer = self.devices.watch_printer()  # "Print again" enables once it is ready
        self.retranslate_ui()
        self.announce()  # the number and the people ahead, spelt out

    # --- paper out: the number on screen, and "Print again" -----------------------------------------
    def _printer_cannot_print(self) -> bool:
        status = self.devices.printer_status
        return status is not None and not status.ok

    def _on_printer_status(self, _status: object) -> None:
        if self.isVisible():
            self.retranslate_ui()

    def _on_reprint_clicked(self) -> None:
        t = self.ticket
        if t is None or self.print_state != "print_failed":
            return
        self.print_state = "printing"
        self.retranslate_ui()
        self.devices.print_document("ticket", t["path"], self._on_ticket_printed, t.get("media"))

    def _ticket_qr_text(self, t: dict) -> str:
        # the on-screen ticket itself (no paper): what the counter needs to see on the citizen's photo
        issued = t.get("issued_at")
        when = issued.strftime("%d/%m/%Y %H:%M") if hasattr(issued, "strftime") else ""
        area = (t.get("area") or {}).get("vi", "")
        return " | ".join(x for x in (t["number"], area, self.services.ward_display_short, when) if x)

    def _show_ticket_qr(self, t: dict | None, shown: bool) -> None:
        if not shown or t is None:
            self.ticket_qr.clear()
            self.ticket_qr.hide()
            return
        if self.ticket_qr.property("qr_for") != t["number"]:
            from kiosk.ui.printing import qr_pixmap

            self.ticket_qr.setPixmap(qr_pixmap(self._ticket_qr_text(t), 6 * self.ctx.theme.touch_px))
            self.ticket_qr.setProperty("qr_for", t["number"])
        self.ticket_qr.show()

    def _show_follow_qr(self, t: dict | None, shown: bool) -> None:
        """The follow QR beside the number, unless the on-screen ticket's QR is shown (one QR at a time)."""
        url = (t or {}).get("follow_url")
        if not shown or not url:
            self.follow_qr.clear()
            self.follow_qr.setProperty("qr_for", None)
            self.follow_qr.hide()
            self.follow_caption.hide()
            return
        if self.follow_qr.property("qr_for") != url:
            from kiosk.ui.printing import qr_pixmap

            self.follow_qr.setPixmap(qr_pixmap(str(url), 5 * self.ctx.theme.touch_px))
            self.follow_qr.setProperty("qr_for", url)
        self.follow_caption.setText(self.t({"vi": "Quét để theo dõi lượt", "en": "Scan to follow your turn"}))
        self.follow_qr.show()
        self.follow_caption.show()

    def leave(self) -> None:
        self._unwatch_printer()

    def _on_ticket_failed(self, error: BaseException) -> None:
        self.print_state = "failed"
        self.retranslate_ui()

    def can_go_back(self) -> bool:
        return self.pages.currentWidget() is not self.ticket_page

    def reset(self) -> None:
        self.area = None
        self.ticket = None
        self.print_state = ""
        self._unwatch_printer()
        self._show_ticket_qr(None, False)
        self.ticket_qr.setProperty("qr_for", None)
        self._show_follow_qr(None, False)
        self.ticket_number.setText("")
        self.pages.setCurrentWidget(self.area_page)

    def retranslate_ui(self) -> None:
        self.area_prompt.setText(self.t({"vi": "Bước 1/2: Bạn cần làm thủ tục thuộc lĩnh vực nào?",
                                         "en": "Step 1 of 2: Which service do you need?"}))
        for b, area in self.area_buttons:
            b.setText(self.t(area))
        self.priority_prompt.setText(self.t({"vi": "Bước 2/2: Bạn có thuộc diện ưu tiên không?",
                                             "en": "Step 2 of 2: Do you need priority service?"}))
        for key, text in PRIORITIES:
            self.priority_buttons[key].setText(self.t(text))
        self.done_button.setText(self.t({"vi": "Xong — về trang chủ", "en": "Done — back to home"}))
        self.ticket_caption.setText(self.t({"vi": "Số thứ tự của bạn", "en": "Your queue number"}))
        self.ticket_error.setText("")
        from kiosk.ui.printing import failure_text, not_ready_notice

        notice = not_ready_notice(self.devices.printer_status)
        self.printer_notice.setText(both(notice) if notice else "")
        self.printer_notice.setVisible(notice is not None and self.pages.currentWidget() is not self.ticket_page)
        self.reprint_button.setText(self.t({"vi": "In lại vé", "en": "Print the ticket again"}))
        self.reprint_button.setVisible(self.print_state == "print_failed")
        status = self.devices.printer_status
        self.reprint_button.setEnabled(self.print_state == "print_failed" and status is not None and status.ok)
        t = self.ticket
        on_screen_ticket = t is not None and (self.print_state == "print_failed" or (
            self.print_state == "printing" and self._printer_cannot_print()))
        self._show_ticket_qr(t, on_screen_ticket)
        self._show_follow_qr(t, t is not None and not on_screen_ticket)
        if self.print_state == "issuing" or t is None:
            self.ticket_number.setText("…")
            self.ticket_info.setText(self.t({"vi": "Đang lấy số, xin chờ một chút…",
                                             "en": "Getting your number, one moment…"}))
            if self.print_state == "failed":
                self.ticket_error.setText(both({"vi": "Không lấy được số. Vui lòng hỏi cán bộ tại quầy.",
                                                "en": "No number could be issued. Please ask an officer."}))
            return
        self.ticket_number.setText(t["number"])
        area = self.t(t.get("area") or {})
        # the category is called with the number: the citizen must know to listen for the priority queue
        lines = [area + " · " + self.t({"vi": "Ưu tiên", "en": "Priority"}) if t.get("priority") else area]
        if t.get("people_ahead") is not None:
            lines.append(self.t({"vi": f"Số người đang chờ trước bạn: {t['people_ahead']}",
                                 "en": f"People ahead of you: {t['people_ahead']}"}))
        if t.get("offline"):
            lines.append(self.t({"vi": "Số tạm thời của kiosk (mất kết nối): quầy vẫn phục vụ theo số này.",
                                 "en": "A kiosk number (no connection): the counter serves it all the same."}))
            lines.append(self.t({"vi": "Vé phát khi mất kết nối: không theo dõi được trên điện thoại.",
                                 "en": "Issued offline: cannot be followed on a phone."}))
        if self.print_state == "printing":
            lines.append(self.t({"vi": "Đang in vé…", "en": "Printing your ticket…"}))
        elif self.print_state == "printed":
            lines.append(self.t({"vi": "Vui lòng nhận vé ở khe in bên dưới và chờ gọi số.",
                                 "en": "Please take your ticket from the slot below and wait to be called."}))
        elif self.print_state == "print_failed":
            self.ticket_error.setText(both(failure_text("ticket", getattr(self, "_print_message", None))))
        self.ticket_info.setText("\n".join(lines))
