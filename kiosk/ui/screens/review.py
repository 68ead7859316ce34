"""Review: everything the dossier will carry, before it is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QTextBrowser

from kiosk.app.documents import received_electronically
from kiosk.core import wards
from kiosk.core.identity import mask_id
from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, enable_swipe, label

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class ReviewScreen(Screen):
    state = State.REVIEW
    title = {"vi": "Kiểm tra lại hồ sơ", "en": "Check your dossier"}
    spoken = ("intro",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.intro = label(role="subtitle")
        self.root.addWidget(self.intro)
        # A read-only text view, not a rich-text QLabel in a scroll area: the label re-laid the whole table
        # out at every width the layout tried, 55-120 ms for each new dossier; the view lays it out once
        # at its own width (~20 ms).
        self.summary = QTextBrowser()
        self.summary.setObjectName("review-summary")
        self.summary.setProperty("role", "panel")
        self.summary.setProperty("personal", True)
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.summary.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary.document().setDocumentMargin(20)
        enable_swipe(self.summary)
        self.root.addWidget(self.summary, 1)
        row = QHBoxLayout()
        self.edit_button = button(None, self._on_edit_clicked, name="review-edit")
        self.submit_button = button("primary", self._on_submit_clicked, name="review-submit")
        row.addWidget(self.edit_button)
        row.addWidget(self.submit_button)
        self.root.addLayout(row)

    def enter(self) -> None:
        self.retranslate_ui()

    def _on_edit_clicked(self) -> None:
        # back through the ward (and the documents photographed, if any) to the form, keeping the history
        for _ in range(12):
            if self.session.state == State.FORM:
                break
            self.navigator.back()

    def _on_submit_clicked(self) -> None:
        self.navigator.go(State.SUBMITTING)

    def reset(self) -> None:
        self.summary.clear()

    def retranslate_ui(self) -> None:
        self.intro.setText(self.t({"vi": "Vui lòng kiểm tra. Nếu có sai sót, chạm «Sửa tờ khai».",
                                   "en": "Please check. If something is wrong, touch «Edit the form»."}))
        self.edit_button.setText(self.t({"vi": "← Sửa tờ khai", "en": "← Edit the form"}))
        self.submit_button.setText(self.t({"vi": "Gửi hồ sơ ✓", "en": "Submit the dossier ✓"}))
        data = self.session.data
        if not data.procedure_id:
            self.summary.clear()
            return
        proc = self.services.procedure(data.procedure_id)
        ward = wards.ward_by_code(data.ward_code or "")
        rows = [(self.t({"vi": "Thủ tục", "en": "Procedure"}), f"{self.t(proc.name)} ({proc.code})"),
                (self.t({"vi": "Nơi giải quyết", "en": "Handled by"}), ward.full_name if ward else "")]
        for f in proc.fields:
            value = data.form.get(f.key, "")
            if not value or f.type == "ward":
                continue
            if f.type == "select":
                value = self.t(f.option_label(value) or value)
            elif f.type == "checkbox":
                value = self.t({"vi": "Có", "en": "Yes"})
            elif f.type == "id_number":
                value = mask_id(value) if len(value) == 12 else value
            label_text = self.t(f.label)
            if len(label_text) > 60:
                label_text = label_text[:57] + "…"
            rows.append((label_text, value))
        photographed = received_electronically(data.pages)
        for index, doc in enumerate(proc.documents):
            if index in photographed:
                n = photographed[index]
                rows.append((self.t(doc["name"]), self.t({"vi": f"đã chụp {n} trang, gửi kèm hồ sơ",
                                                          "en": f"{n} page{'' if n == 1 else 's'} photographed, "
                                                                "sent with the dossier"})))
        quote = proc.fee.quote(data.form)
        fee_label = self.t({"vi": "Lệ phí", "en": "Fee"})
        rows += [(fee_label, line.text(self.language)) for line in quote.lines]
        total = quote.total_text(self.language)
        if quote.total_vnd:
            total += self.t({"vi": " — trả bằng mã VietQR sau khi gửi, hoặc tại quầy",
                             "en": " — pay by VietQR after submitting, or at the counter"})
        rows.append((self.t({"vi": "Tổng lệ phí", "en": "Total fee"}), total))
        html = "<table cellspacing='6'>" + "".join(
            f"<tr><td style='padding-right:24px'><b>{_esc(k)}</b></td><td>{_esc(v)}</td></tr>" for k, v in rows
        ) + "</table>"
        self.summary.setHtml(html)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
