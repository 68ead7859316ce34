"""Rate the service: three big answers and an optional comment (also reachable straight from home)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout

from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, label, line_edit

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

RATINGS = [
    ("very_satisfied", {"vi": "Rất hài lòng", "en": "Very satisfied"}),
    ("satisfied", {"vi": "Hài lòng", "en": "Satisfied"}),
    ("unsatisfied", {"vi": "Không hài lòng", "en": "Not satisfied"}),
]


class RatingScreen(Screen):
    state = State.RATING
    # The comment is optional: no field is focused on entry (the keyboard opened by itself over the answers);
    # it opens when the citizen taps the comment field.
    wants_keyboard = True
    title = {"vi": "Đánh giá sự hài lòng", "en": "Rate our service"}
    spoken = ("prompt",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.prompt = label(role="subtitle")
        self.root.addWidget(self.prompt)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.group = QButtonGroup(self)
        self.buttons = {}
        for key, _text in RATINGS:
            # light until chosen, then filled with a check mark: a thin border alone did not show the choice
            b = button("rating", lambda k=key: self._on_rating_clicked(k), name=f"rating-{key}")
            b.setCheckable(True)
            self.group.addButton(b)
            self.buttons[key] = b
            row.addWidget(b)
        self.root.addLayout(row)
        self.comment_label = label()
        self.root.addWidget(self.comment_label)
        self.comment = line_edit(name="rating-comment")
        self.comment.setMaxLength(500)
        self.root.addWidget(self.comment)
        self.thanks = label(role="ok")
        self.thanks.setObjectName("rating-thanks")
        self.root.addWidget(self.thanks)
        self.root.addStretch(1)
        self.send_button = button("primary", self._on_send_clicked, name="rating-send")
        self.send_button.setEnabled(False)
        self.root.addWidget(self.send_button)
        self.sent = False
        self._home_timer = QTimer(self)
        self._home_timer.setSingleShot(True)
        self._home_timer.timeout.connect(self._on_home_timer_timeout)

    def enter(self) -> None:
        self.retranslate_ui()

    def leave(self) -> None:
        self._home_timer.stop()

    def _on_rating_clicked(self, key: str) -> None:
        self.session.data.rating = key
        self.send_button.setEnabled(not self.sent)
        self.retranslate_ui()  # the check mark moves to the chosen answer

    def _on_send_clicked(self) -> None:
        data = self.session.data
        if not data.rating or self.sent:
            return
        data.comment = self.comment.text().strip()
        feedback = {"rating": data.rating, "comment": data.comment, "procedure_id": data.procedure_id,
                    "dossier_code": data.dossier_code or data.lookup_code}
        self.sent = True
        self.send_button.setEnabled(False)
        self.ctx.runners.chores.run(lambda: self.services.send_feedback(feedback),
                                       lambda _r: self.ctx.events.sig_feedback_sent.emit(True),
                                       lambda _e: self.ctx.events.sig_feedback_sent.emit(False))
        self.retranslate_ui()
        self._home_timer.start(self.ctx.thanks_ms)

    def _on_home_timer_timeout(self) -> None:
        if self.session.state == State.RATING:
            self.navigator.go_home()

    def can_go_back(self) -> bool:
        return not self.sent

    def reset(self) -> None:
        self.sent = False
        self._home_timer.stop()
        self.comment.setText("")
        self.group.setExclusive(False)
        for b in self.buttons.values():
            b.setChecked(False)
        self.group.setExclusive(True)
        self.send_button.setEnabled(False)
        self.retranslate_ui()  # no check mark left on the last citizen's answer

    def retranslate_ui(self) -> None:
        self.prompt.setText(self.t({"vi": "Bạn có hài lòng với dịch vụ hôm nay không?",
                                    "en": "Were you satisfied with our service today?"}))
        for key, text in RATINGS:
            chosen = self.buttons[key].isChecked()
            self.buttons[key].setText(("✓ " if chosen else "") + self.t(text))
        self.comment_label.setText(self.t({"vi": "Góp ý thêm (không bắt buộc):", "en": "Comments (optional):"}))
        self.send_button.setText(self.t({"vi": "Gửi đánh giá", "en": "Send"}))
        self.thanks.setText(self.t({"vi": "Cảm ơn bạn đã đánh giá! Kiosk sẽ trở về trang chủ.",
                                    "en": "Thank you for your feedback! The kiosk will return home."})
                            if self.sent else "")
