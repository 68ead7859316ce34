"""Done: the dossier code (or the provisional reference when offline), the appointment, what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout

from kiosk.core.forms import display_iso_date
from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import FitLabel, button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class DoneScreen(Screen):
    state = State.DONE
    title = {"vi": "Đã tiếp nhận hồ sơ", "en": "Dossier received"}
    spoken = ("heading", "code", "details")
    spelt = ("code",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        frame, inner = panel()
        self.heading = label(role="subtitle")
        self.code = FitLabel(role="big")
        self.code.setObjectName("done-code")
        self.code.setProperty("personal", True)
        self.details = label()
        self.details.setProperty("personal", True)
        texts = QVBoxLayout()
        for w in (self.heading, self.code):
            texts.addWidget(w)
        texts.addStretch(1)
        # the QR beside the code where the width allows (landscape), below it otherwise (portrait, 1280x1024)
        self._beside = beside = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        beside.addLayout(texts, 1)
        # with no printed receipt, its code as the receipt's QR would carry it, to photograph off the screen
        self.qr = label()
        self.qr.setObjectName("done-qr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.qr.hide()
        beside.addWidget(self.qr)
        inner.addLayout(beside)
        inner.addWidget(self.details)  # full width: a wrapped label beside the QR would be cut short
        self.root.addWidget(frame)
        self.root.addStretch(1)
        row = QHBoxLayout()
        self.finish = button(None, lambda: self.navigator.go_home(), name="done-finish")
        self.reprint = button(None, self._on_reprint_clicked, name="done-reprint")
        self.reprint.hide()
        self.rate = button("primary", lambda: self.navigator.go(State.RATING), name="done-rate")
        row.addWidget(self.finish)
        row.addWidget(self.reprint)
        row.addWidget(self.rate)
        self.root.addLayout(row)
        self.reprinting = False
        self._unwatch_printer = lambda: None
        self._watching = False
        self.devices.sig_printer_status.connect(self._on_printer_status)

    def can_go_back(self) -> bool:
        return False

    def enter(self) -> None:
        if not self._watching:
            # the official code may come while the citizen reads this screen (the sender delivers it)
            self.devices.sender.sig_acknowledged.connect(self._on_sender_acknowledged)
            self._watching = True
        data = self.session.data
        ack = self.devices.acks.get(data.local_ref or "")
        if ack is not None and not data.dossier_code:  # it came while the receipt was printing
            self._on_sender_acknowledged(data.local_ref or "", *ack)
        if not self.ctx.submission.receipt_printed:
            self._unwatch_printer()
            self._unwatch_printer = self.devices.watch_printer()  # "Print again" enables once it is ready
        self.retranslate_ui()

    def leave(self) -> None:
        self._stop_watching()

    def reset(self) -> None:
        self._stop_watching()
        self.reprinting = False
        self.code.setText("")
        self.details.setText("")
        self.qr.clear()
        self.qr.setProperty("qr_for", None)
        self.qr.hide()

    def _stop_watching(self) -> None:
        self._unwatch_printer()
        if self._watching:
            self._watching = False
            try:
                self.devices.sender.sig_acknowledged.disconnect(self._on_sender_acknowledged)
            except (RuntimeError, TypeError):
                pass

    def _on_sender_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        """The dossier on screen synchronised: its official code and appointment replace the provisional."""
        data = self.session.data
        if not local_ref or local_ref != data.local_ref or data.dossier_code == dossier_code:
            return
        data.dossier_code = dossier_code
        if appointment:
            data.appointment_date = display_iso_date(appointment)
        self.retranslate_ui()
        self.announce()  # the official code and the appointment

    def _on_printer_status(self, _status: object) -> None:
        if self.isVisible():
            self.retranslate_ui()

    def _on_reprint_clicked(self) -> None:
        sub = self.ctx.submission
        if self.reprinting or sub.receipt_printed or not sub.receipt_path:
            return
        self.reprinting = True
        self.retranslate_ui()
        failed = self.devices.failed_prints.find(sub.receipt_path)
        self.devices.print_document("receipt", sub.receipt_path, self._on_receipt_reprinted,
                                    failed.media if failed else None)
        ticket = self.session.data.ticket_number
        counter = next((f for f in self.devices.failed_prints if f.kind == "ticket" and f.reference == ticket),
                       None) if ticket else None
        if counter is not None:  # the counter's queue ticket did not print either
            self.devices.print_document("ticket", counter.path, lambda _ok, _msg: None, counter.media)

    def _on_receipt_reprinted(self, ok: bool, message: dict | None) -> None:
        if not self.reprinting:
            return  # the session ended meanwhile
        self.reprinting = False
        sub = self.ctx.submission
        sub.receipt_printed = ok
        sub.print_message = None if ok else (message or sub.print_message)
        if ok:
            self._unwatch_printer()
        self.retranslate_ui()

    def _show_qr(self, code: str | None) -> None:
        if not code:
            self.qr.clear()
            self.qr.hide()
            return
        if self.qr.property("qr_for") != code:
            from kiosk.ui.printing import qr_pixmap

            self.qr.setPixmap(qr_pixmap(code, 6 * self.ctx.theme.touch_px))
            self.qr.setProperty("qr_for", code)
        self.qr.show()
        self._place_qr()

    def _place_qr(self) -> None:
        room = self.width() - 2 * 32 - 2 * 24  # the screen's and the panel's margins
        wide = self.code.sizeHint().width() + self.qr.sizeHint().width() + 24 <= room
        self._beside.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.qr.isVisible():
            self._place_qr()

    def retranslate_ui(self) -> None:
        data = self.session.data
        sub = self.ctx.submission
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
        if data.fee is not None and data.fee.total_vnd:
            amount = data.fee.total_text(self.language)
            # why the fee waits for the counter, when the kiosk knows (no link, an expired code...)
            why = sub.payment_message or {"vi": "vui lòng nộp tại quầy.",
                                                            "en": "please pay at the counter."}
            lines.append(self.t({"vi": f"Lệ phí {amount}: đã thanh toán.", "en": f"Fee {amount}: paid."}
                                if data.paid_at else
                                {"vi": f"Lệ phí {amount}: {why['vi']}", "en": f"Fee {amount}: {why['en']}"}))
        failed = not sub.receipt_printed and bool(sub.print_message)
        if sub.receipt_printed:
            lines.append(self.t({"vi": "Vui lòng nhận giấy tiếp nhận ở khe in bên dưới.",
                                 "en": "Please take your receipt from the slot below."}))
        elif self.reprinting:
            lines.append(self.t({"vi": "Đang in lại giấy tiếp nhận…", "en": "Printing the receipt again…"}))
        elif failed:
            from kiosk.ui.printing import failure_text

            lines.append(self.t(failure_text("receipt", sub.print_message)))
        self._show_qr((data.dossier_code or data.local_ref) if failed or self.reprinting else None)
        status = self.devices.printer_status
        self.reprint.setText(self.t({"vi": "In lại giấy tiếp nhận", "en": "Print the receipt again"}))
        self.reprint.setVisible((failed or self.reprinting) and bool(sub.receipt_path))
        self.reprint.setEnabled(failed and not self.reprinting and status is not None and status.ok)
        if data.ticket_number:
            lines.append(self.t({"vi": f"Mang bản chính giấy tờ đến quầy khi được gọi số {data.ticket_number}.",
                                 "en": f"Bring the original documents to the counter when number "
                                       f"{data.ticket_number} is called."}))
        self.details.setText("\n".join(lines))
