"""Take a queue number: service area -> priority -> the ticket prints (three taps from home)."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import both, button, label, panel

PRIORITIES = [
    ("none", {"vi": "Không ưu tiên", "en": "No priority"}),
    ("elderly", {"vi": "Người cao tuổi", "en": "Elderly person"}),
    ("disabled", {"vi": "Người khuyết tật", "en": "Person with a disability"}),
    ("pregnant", {"vi": "Phụ nữ mang thai hoặc có con nhỏ", "en": "Pregnant or with a small child"}),
]


class NumberScreen(Screen):
    state = State.NUMBER
    title = {"vi": "Lấy số thứ tự", "en": "Take a queue number"}

    def __init__(self, window) -> None:
        super().__init__(window)
        self.area: dict | None = None
        self.pages = QStackedWidget()
        self.root.addWidget(self.pages)

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
        self.ticket_number = label(role="big")
        self.ticket_number.setObjectName("ticket-number")
        self.ticket_info = label()
        self.ticket_error = label(role="error")
        for w in (self.ticket_caption, self.ticket_number, self.ticket_info, self.ticket_error):
            inner.addWidget(w)
        lay.addWidget(frame)
        lay.addStretch(1)
        self.done_button = button("primary", lambda: self.window_.go_home(), name="ticket-done")
        lay.addWidget(self.done_button)
        self.pages.addWidget(self.ticket_page)
        self.ticket: dict | None = None
        self.print_state = ""

    # --- flow -----------------------------------------------------------------------------------
    def enter(self) -> None:
        if self.session.state == State.NUMBER and self.pages.currentWidget() is self.ticket_page:
            return
        self.pages.setCurrentWidget(self.area_page)

    def handle_back(self) -> bool:
        if self.pages.currentWidget() is self.priority_page:
            self.pages.setCurrentWidget(self.area_page)
            self.window_.refresh_header()
            return True
        return False

    def _on_area_chosen(self, area: dict) -> None:
        self.area = area
        self.pages.setCurrentWidget(self.priority_page)
        self.window_.refresh_header()

    def _on_priority_chosen(self, priority: str) -> None:
        self.ticket = None
        self.print_state = "issuing"
        self.pages.setCurrentWidget(self.ticket_page)
        self.window_.refresh_header()
        self.retranslate_ui()
        area = self.area or {}
        self.window_.take_ticket(area, priority, self._on_ticket_issued, self._on_ticket_failed)

    def _on_ticket_issued(self, ticket: dict) -> None:
        self.ticket = ticket
        self.session.data.ticket_number = ticket["number"]
        self.print_state = "printing"
        self.retranslate_ui()
        self.window_.sig_ticket_issued.emit(ticket)
        self.window_.print_document("ticket", ticket["path"], self._on_ticket_printed, ticket.get("media"))

    def _on_ticket_printed(self, ok: bool, message: dict | None) -> None:
        self.print_state = "printed" if ok else "print_failed"
        self._print_message = message
        self.retranslate_ui()

    def _on_ticket_failed(self, error: BaseException) -> None:
        self.print_state = "failed"
        self.retranslate_ui()

    def can_go_back(self) -> bool:
        return self.pages.currentWidget() is not self.ticket_page

    def reset(self) -> None:
        self.area = None
        self.ticket = None
        self.print_state = ""
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
        t = self.ticket
        if self.print_state == "issuing" or t is None:
            self.ticket_number.setText("…")
            self.ticket_info.setText(self.t({"vi": "Đang lấy số, xin chờ một chút…",
                                             "en": "Getting your number, one moment…"}))
            if self.print_state == "failed":
                self.ticket_error.setText(both({"vi": "Không lấy được số. Vui lòng hỏi cán bộ tại quầy.",
                                                "en": "No number could be issued. Please ask an officer."}))
            return
        self.ticket_number.setText(t["number"])
        lines = [self.t(t.get("area") or {})]
        if t.get("people_ahead") is not None:
            lines.append(self.t({"vi": f"Số người đang chờ trước bạn: {t['people_ahead']}",
                                 "en": f"People ahead of you: {t['people_ahead']}"}))
        if t.get("offline"):
            lines.append(self.t({"vi": "Số tạm thời của kiosk (mất kết nối): quầy vẫn phục vụ theo số này.",
                                 "en": "A kiosk number (no connection): the counter serves it all the same."}))
        if self.print_state == "printing":
            lines.append(self.t({"vi": "Đang in vé…", "en": "Printing your ticket…"}))
        elif self.print_state == "printed":
            lines.append(self.t({"vi": "Vui lòng nhận vé ở khe in bên dưới và chờ gọi số.",
                                 "en": "Please take your ticket from the slot below and wait to be called."}))
        elif self.print_state == "print_failed":
            msg = getattr(self, "_print_message", None) or {}
            self.ticket_error.setText(both({
                "vi": "Máy in chưa in được vé (" + msg.get("vi", "lỗi máy in") + "). Hãy ghi nhớ số trên "
                      "màn hình và báo cán bộ.",
                "en": "The ticket could not be printed (" + msg.get("en", "printer error") + "). Please "
                      "remember the number on screen and tell an officer."}))
        self.ticket_info.setText("\n".join(lines))
