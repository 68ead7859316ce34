"""What a procedure needs (documents, fee, processing time) with its guide video."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout

from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.video import VideoPanel
from kiosk.ui.widgets import AdaptiveRow, button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class DetailsScreen(Screen):
    state = State.DETAILS
    title = {"vi": "Thông tin thủ tục", "en": "About this procedure"}
    spoken = ("name", "facts", "documents_title", "documents")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.name = label(role="title")
        self.root.addWidget(self.name)
        # portrait: the guide video above the procedure's text
        self.row = row = AdaptiveRow(24, portrait_first=1)
        info, info_layout = panel()
        self.facts = label()
        self.documents_title = label(role="fieldlabel")
        self.documents = label()
        for w in (self.facts, self.documents_title, self.documents):
            info_layout.addWidget(w)
        info_layout.addStretch(1)
        row.addWidget(info, 1)
        video_col = QVBoxLayout()
        self.video = VideoPanel()
        video_col.addWidget(self.video, 1)
        row.addLayout(video_col, 1)
        self.root.addLayout(row, 1)
        self.start_button = button("primary", self._on_start_clicked, name="details-start")
        self.root.addWidget(self.start_button)
        self.proc = None

    def enter(self) -> None:
        self.proc = self.services.procedure(self.session.data.procedure_id)
        self.retranslate_ui()
        steps = {lang: "\n".join(f"{i + 1}. {s.get(lang, s.get('vi', ''))}" for i, s in enumerate(self.proc.steps))
                 for lang in ("vi", "en")}
        self.video.load(self.proc.video, steps, autoplay=self.ctx.autoplay_video)

    def leave(self) -> None:
        self.video.stop_soon()

    def _on_start_clicked(self) -> None:
        self.navigator.go(State.CONSENT)

    def reset(self) -> None:
        self.video.stop()
        self.proc = None

    def retranslate_ui(self) -> None:
        self.video.retranslate_ui(self.language)
        self.start_button.setText(self.t({"vi": "Bắt đầu nộp hồ sơ →", "en": "Start filing →"}))
        self.documents_title.setText(self.t({"vi": "Giấy tờ cần có:", "en": "Documents you need:"}))
        proc = self.proc
        if proc is None:
            return
        self.name.setText(self.t(proc.name))
        fee = self.t(proc.fee.text())
        days = self.t(proc.processing_time.get("text"))
        self.facts.setText(self.t({"vi": f"Mã thủ tục: {proc.code}\nThời hạn giải quyết: {days}\nLệ phí: {fee}",
                                   "en": f"Procedure code: {proc.code}\nProcessing time: {days}\nFee: {fee}"}))
        lines = []
        for doc in proc.documents:
            kind = self.t({"vi": "bản chính", "en": "original"} if doc.get("kind") == "original"
                          else {"vi": "bản sao", "en": "copy"})
            lines.append(f"• {self.t(doc.get('name'))} ({kind}, {doc.get('count', 1)})")
        if proc.needs_originals:
            lines.append(self.t({"vi": "\nBản chính sẽ được cán bộ đối chiếu tại quầy: kiosk sẽ in số thứ tự cho bạn.",
                                 "en": "\nAn officer checks the originals at the counter: the kiosk prints you a "
                                       "queue number."}))
        self.documents.setText("\n".join(lines))
