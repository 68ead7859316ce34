"""Paying the fee: a VietQR for the exact amount, the amount and beneficiary in words, and the counter as
the way out. The kiosk polls the backend off the GUI thread and moves on by itself once the bank's
transfer has arrived."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout

from kiosk.core.fees import format_vnd
from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import FitLabel, button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

#: How often the kiosk asks whether the transfer has arrived (a bank app takes 10-60 s).
POLL_MS = 2000
#: A citizen who walks away (or whose app fails) still gets the receipt: after this the fee goes to the
#: counter, and the receipt prints saying so.
GIVE_UP_MS = 5 * 60 * 1000


class PaymentScreen(Screen):
    state = State.PAYMENT
    title = {"vi": "Thanh toán lệ phí", "en": "Pay the fee"}
    spoken = ("heading", "amount", "words", "payee", "status")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.heading = label(role="subtitle")
        self.root.addWidget(self.heading)
        # the QR beside the amount on a wide screen; above it, and larger, on a portrait one
        self._row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        row.setSpacing(24)
        self.qr = label()
        self.qr.setObjectName("payment-qr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.qr)
        frame, inner = panel()
        self.amount = FitLabel(role="big")
        self.amount.setObjectName("payment-amount")
        self.words = label()
        self.words.setObjectName("payment-words")
        self.payee = label()
        self.payee.setObjectName("payment-payee")
        self.payee.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.status = label(role="subtitle")
        self.status.setObjectName("payment-status")
        for w in (self.amount, self.words, self.payee, self.status):
            inner.addWidget(w)
        inner.addStretch(1)
        row.addWidget(frame, 1)
        self.root.addLayout(row)
        self.root.addStretch(1)
        actions = QHBoxLayout()
        self.counter_button = button(None, self._on_counter_clicked, name="payment-counter")
        actions.addWidget(self.counter_button)
        self.root.addLayout(actions)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll_timer_timeout)
        self._give_up = QTimer(self)
        self._give_up.setSingleShot(True)
        self._give_up.setInterval(GIVE_UP_MS)
        self._give_up.timeout.connect(self._on_give_up_timer_timeout)
        self._asking = False
        self.outcome = ""  # "", "paid", "counter", "expired": what the status line says

    def can_go_back(self) -> bool:
        return False  # the dossier is filed: the only ways on are paying or the counter

    def enter(self) -> None:
        order = self.session.data.payment
        self.outcome = ""
        self._asking = False
        if order is None:  # nothing to pay here (should not happen): the receipt says the counter
            self._settle(None, None)
            return
        self._show_qr(order.qr_payload)
        self._poll.start()
        self._give_up.start()
        self.retranslate_ui()

    @property
    def portrait(self) -> bool:
        window = self.window()
        return window.height() > window.width()

    def _show_qr(self, payload: str) -> None:
        from kiosk.ui.printing import qr_pixmap

        size = (10 if self.portrait else 7) * self.ctx.theme.touch_px
        if self.qr.property("qr_payload") != payload or self.qr.property("qr_size") != size:
            self.qr.setPixmap(qr_pixmap(payload, size))
            self.qr.setProperty("qr_payload", payload)
            self.qr.setProperty("qr_size", size)
        self._row.setDirection(QBoxLayout.Direction.TopToBottom if self.portrait
                               else QBoxLayout.Direction.LeftToRight)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        order = self.session.data.payment
        if order is not None and self.isVisible():
            self._show_qr(order.qr_payload)

    def leave(self) -> None:
        self._stop()

    def reset(self) -> None:
        self._stop()
        self.outcome = ""
        self.qr.clear()
        self.qr.setProperty("qr_payload", None)
        self.qr.setProperty("qr_size", None)
        for w in (self.amount, self.words, self.payee, self.status):
            w.setText("")

    def _stop(self) -> None:
        self._poll.stop()
        self._give_up.stop()

    def _on_poll_timer_timeout(self) -> None:
        order = self.session.data.payment
        if self._asking or order is None or self.outcome:
            return
        self._asking = True
        self.ctx.runners.backend.run(lambda ref=order.reference: self.services.payment_state(ref),
                                     self._on_payment_state, self._on_poll_failed)

    def _on_payment_state(self, state: Any) -> None:
        self._asking = False
        if self.outcome or self.session.state != State.PAYMENT:
            return
        if state.status == "paid":
            self._settle("paid", state.paid_at)
        elif state.status == "expired":
            self._settle("expired", None, {"vi": "Mã thanh toán đã hết hạn. Vui lòng nộp lệ phí tại quầy.",
                                           "en": "The payment code has expired. Please pay at the counter."})

    def _on_poll_failed(self, _error: BaseException) -> None:
        self._asking = False  # a lost poll is asked again at the next tick; the link may come back

    def _on_counter_clicked(self) -> None:
        if not self.outcome:
            self._settle("counter", None)  # the citizen's own choice: the done screen just says where to pay

    def _on_give_up_timer_timeout(self) -> None:
        if not self.outcome:
            self._settle("counter", None, {"vi": "Chưa nhận được thanh toán. Vui lòng nộp lệ phí tại quầy.",
                                           "en": "No payment has arrived. Please pay the fee at the counter."})

    def _settle(self, outcome: str | None, paid_at: Any, message: dict | None = None) -> None:
        self._stop()
        self.outcome = outcome or "counter"
        self.counter_button.setEnabled(False)
        self.retranslate_ui()
        self.announce()  # paid, or to the counter
        self.ctx.submission.settle_payment(paid_at, message)  # the receipt prints, then the done screen

    def retranslate_ui(self) -> None:
        self.heading.setText(self.t({"vi": "Mở ứng dụng ngân hàng, quét mã VietQR dưới đây để nộp lệ phí.",
                                     "en": "Open your banking app and scan the VietQR below to pay the fee."}))
        self.counter_button.setText(self.t({"vi": "Nộp lệ phí tại quầy thay vì quét mã",
                                            "en": "Pay at the counter instead"}))
        self.counter_button.setEnabled(not self.outcome)
        order = self.session.data.payment
        if order is None:
            return
        lang = self.language
        self.amount.setText(format_vnd(order.amount_vnd, lang))
        self.words.setText(self.t({"vi": f"Bằng chữ: {order.amount_words['vi']}",
                                   "en": f"In words: {order.amount_words['en']}"}))
        self.payee.setText(self.t({
            "vi": f"Người nhận: {order.account_name}\nNgân hàng: {order.bank_name}\n"
                  f"Số tài khoản: {order.account_number}\nNội dung chuyển khoản: {order.purpose}",
            "en": f"Beneficiary: {order.account_name}\nBank: {order.bank_name}\n"
                  f"Account: {order.account_number}\nTransfer purpose: {order.purpose}"}))
        self.status.setText(self.t({
            "": {"vi": "Đang chờ thanh toán… Kiosk sẽ tự chuyển tiếp khi nhận được tiền.",
                 "en": "Waiting for your payment… The kiosk moves on by itself once it arrives."},
            "paid": {"vi": "✓ Đã nhận thanh toán. Đang in giấy tiếp nhận…",
                     "en": "✓ Payment received. Printing your receipt…"},
            "counter": {"vi": "Lệ phí sẽ nộp tại quầy. Đang in giấy tiếp nhận…",
                        "en": "The fee will be paid at the counter. Printing your receipt…"},
            "expired": {"vi": "Mã đã hết hạn: nộp lệ phí tại quầy. Đang in giấy tiếp nhận…",
                        "en": "The code has expired: pay at the counter. Printing your receipt…"},
        }[self.outcome]))
