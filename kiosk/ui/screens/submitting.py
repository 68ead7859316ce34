"""Submitting: the dossier is committed to the outbox, then the receipt prints; never a frozen screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QProgressBar

from kiosk.core.session import State
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

STEPS = [
    ("save", {"vi": "Lưu hồ sơ an toàn trên kiosk", "en": "Saving the dossier safely on the kiosk"}),
    ("send", {"vi": "Gửi hồ sơ đến phường", "en": "Sending the dossier to the ward"}),
    ("pay", {"vi": "Thanh toán lệ phí", "en": "Paying the fee"}),
    ("print", {"vi": "In giấy tiếp nhận và hẹn trả kết quả", "en": "Printing the receipt and appointment"}),
]


class SubmittingScreen(Screen):
    state = State.SUBMITTING
    title = {"vi": "Đang gửi hồ sơ", "en": "Submitting your dossier"}
    spoken = ("heading", "error")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        frame, inner = panel()
        self.heading = label(role="subtitle")
        inner.addWidget(self.heading)
        self.step_labels = {}
        for key, _ in STEPS:
            lab = label()
            lab.setObjectName(f"submit-step-{key}")
            self.step_labels[key] = lab
            inner.addWidget(lab)
        self.progress = QProgressBar()
        self.progress.setRange(0, len(STEPS))
        self.progress.setTextVisible(False)
        inner.addWidget(self.progress)
        self.error = label(role="error")
        inner.addWidget(self.error)
        self.root.addWidget(frame)
        self.root.addStretch(1)
        # after a failure: the citizen is never left waiting on a screen that cannot go on
        actions = QHBoxLayout()
        actions.setSpacing(24)
        self.cancel_button = button(None, self._on_cancel_clicked, name="submit-cancel")
        self.cancel_button.setVisible(False)
        actions.addWidget(self.cancel_button, 1)
        self.retry_button = button("primary", self._on_retry_clicked, name="submit-retry")
        self.retry_button.setVisible(False)
        actions.addWidget(self.retry_button, 2)
        self.root.addLayout(actions)
        self.status: dict[str, str] = {}
        self.error_message: dict | None = None
        self.with_fee = False  # the "pay" step shows only for a dossier with a fee

    def can_go_back(self) -> bool:
        return False

    def enter(self) -> None:
        self.status = {key: "waiting" for key, _ in STEPS}
        data = self.session.data
        proc = self.services.procedure(data.procedure_id) if data.procedure_id else None
        self.with_fee = proc is not None and bool(proc.fee.quote(data.form).total_vnd)
        self.error_message = None
        self.retry_button.setVisible(False)
        self.cancel_button.setVisible(False)
        self.retranslate_ui()
        self.ctx.submission.start()

    def set_step(self, key: str, state: str) -> None:
        """``state``: waiting, running, done, offline, failed."""
        self.status[key] = state
        self.retranslate_ui()

    def show_error(self, message: dict, retry: bool) -> None:
        self.error_message = message
        self.retry_button.setVisible(retry)
        self.cancel_button.setVisible(True)
        self.retranslate_ui()

    def _on_retry_clicked(self) -> None:
        self.error_message = None
        self.retry_button.setVisible(False)
        self.cancel_button.setVisible(False)
        self.ctx.submission.retry()
        self.retranslate_ui()

    def _on_cancel_clicked(self) -> None:
        self.navigator.go_home()  # wipes the session: nothing the citizen typed stays for the next person

    def reset(self) -> None:
        self.status = {}
        self.error_message = None

    def retranslate_ui(self) -> None:
        self.heading.setText(self.t({"vi": "Xin chờ trong giây lát, không cần chạm vào màn hình.",
                                     "en": "Please wait a moment; there is no need to touch the screen."}))
        marks = {"waiting": "○", "running": "◔", "done": "✓", "offline": "⟳", "failed": "✗", "counter": "→"}
        notes = {"counter": {"vi": " — nộp tại quầy", "en": " — at the counter"},
                 "offline": {"vi": " — chưa có kết nối, sẽ được đồng bộ sau",
                             "en": " — no connection, will be synchronised later"},
                 "running": {"vi": " …", "en": " …"}}
        if not self.services.has_backend:  # nothing to synchronise with: do not promise it
            notes["offline"] = {"vi": " — kiosk này lưu hồ sơ tại chỗ, cán bộ tại quầy sẽ xử lý",
                                "en": " — this kiosk keeps the dossier here; the officers at the counter process it"}
        done = 0
        for key, text in STEPS:
            self.step_labels[key].setVisible(key != "pay" or self.with_fee)
            state = self.status.get(key, "waiting")
            done += state in ("done", "offline", "counter") or (key == "pay" and not self.with_fee)
            self.step_labels[key].setText(f"{marks[state]}  {self.t(text)}{self.t(notes.get(state))}")
            self.step_labels[key].setProperty("role", "ok" if state == "done" else None)
        self.progress.setValue(done)
        self.error.setText(both(self.error_message) if self.error_message else "")
        self.retry_button.setText(self.t({"vi": "Thử lại", "en": "Try again"}))
        self.cancel_button.setText(self.t({"vi": "Huỷ", "en": "Cancel"}))
