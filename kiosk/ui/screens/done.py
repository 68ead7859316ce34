"""Done: the dossier code (or the provisional reference when offline), the appointment, what to do next."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout

from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, label, panel


class DoneScreen(Screen):
    state = State.DONE
    title = {"vi": "Đã tiếp nhận hồ sơ", "en": "Dossier received"}

    def __init__(self, window) -> None:
        super().__init__(window)
        frame, inner = panel()
        self.heading = label(role="subtitle")
        self.code = label(role="big")
        self.code.setObjectName("done-code")
        self.code.setProperty("personal", True)
        self.details = label()
        self.details.setProperty("personal", True)
        for w in (self.heading, self.code, self.details):
            inner.addWidget(w)
        self.root.addWidget(frame)
        self.root.addStretch(1)
        row = QHBoxLayout()
        self.finish = button(None, lambda: self.window_.go_home(), name="done-finish")
        self.rate = button("primary", lambda: self.window_.go(State.RATING), name="done-rate")
        row.addWidget(self.finish)
        row.addWidget(self.rate)
        self.root.addLayout(row)

    def can_go_back(self) -> bool:
        return False

    def enter(self) -> None:
        self.retranslate_ui()

    def reset(self) -> None:
        self.code.setText("")
        self.details.setText("")

    def retranslate_ui(self) -> None:
        data = self.session.data
        sub = self.window_.submission
        self.finish.setText(self.t({"vi": "Xong — về trang chủ", "en": "Finish — back to home"}))
        self.rate.setText(self.t({"vi": "Đánh giá dịch vụ", "en": "Rate the service"}))
        if data.dossier_code:
            self.heading.setText(self.t({"vi": "Hồ sơ của bạn đã được tiếp nhận. Mã hồ sơ:",
                                         "en": "Your dossier has been received. Dossier code:"}))
            self.code.setText(data.dossier_code)
        else:
            self.heading.setText(self.t({"vi": "Hồ sơ đã được lưu. Mã tạm thời:",
                                         "en": "Your dossier is saved. Provisional reference:"}))
            self.code.setText(data.local_ref or "")
        lines = []
        if data.appointment_date:
            lines.append(self.t({"vi": f"Ngày hẹn trả kết quả: {data.appointment_date}",
                                 "en": f"Result due on: {data.appointment_date}"}))
        if not data.dossier_code and data.local_ref and not self.services.has_backend:
            lines.append(self.t({"vi": "Hồ sơ đã được ghi nhận tại kiosk này. Hãy mang giấy tiếp nhận đến quầy: "
                                       "cán bộ phường sẽ tiếp nhận và xử lý hồ sơ.",
                                 "en": "Your dossier is recorded at this kiosk. Bring the receipt to the "
                                       "counter: the ward's officers will take in and process the dossier."}))
        elif not data.dossier_code and data.local_ref:
            lines.append(self.t({"vi": "Kiosk đang mất kết nối: hồ sơ sẽ được đồng bộ tự động khi có mạng. "
                                       "Giấy tiếp nhận ghi mã tạm thời để tra cứu.",
                                 "en": "The kiosk is offline: the dossier will be synchronised automatically "
                                       "when the connection returns. The receipt carries the provisional "
                                       "reference for look-ups."}))
        if sub.receipt_printed:
            lines.append(self.t({"vi": "Vui lòng nhận giấy tiếp nhận ở khe in bên dưới.",
                                 "en": "Please take your receipt from the slot below."}))
        elif sub.print_message:
            lines.append(self.t({"vi": "Máy in gặp sự cố (" + sub.print_message.get("vi", "") + "): hãy ghi lại "
                                       "mã trên màn hình và báo cán bộ. Hồ sơ của bạn không bị mất.",
                                 "en": "The printer has a problem (" + sub.print_message.get("en", "") + "): "
                                       "please note the code on screen and tell an officer. Your dossier is "
                                       "not lost."}))
        if data.ticket_number:
            lines.append(self.t({"vi": f"Mang bản chính giấy tờ đến quầy khi được gọi số {data.ticket_number}.",
                                 "en": f"Bring the original documents to the counter when number "
                                       f"{data.ticket_number} is called."}))
        self.details.setText("\n".join(lines))
