"""Home / attract screen: the four journeys as large tiles."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout

from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, label

TILES = [
    (State.NUMBER, {"vi": "Lấy số thứ tự", "en": "Take a queue number"}),
    (State.PROCEDURE, {"vi": "Nộp hồ sơ thủ tục hành chính", "en": "File a dossier"}),
    (State.LOOKUP, {"vi": "Tra cứu hồ sơ", "en": "Look up a dossier"}),
    (State.RATING, {"vi": "Đánh giá sự hài lòng", "en": "Rate our service"}),
]


class HomeScreen(Screen):
    state = State.HOME
    title = {"vi": "Trang chủ", "en": "Home"}

    def __init__(self, window) -> None:
        super().__init__(window)
        self.welcome = label(role="title")
        self.ward = label(role="subtitle")
        self.hint = label(role="subtitle")
        self.root.addWidget(self.welcome)
        self.root.addWidget(self.ward)
        grid = QGridLayout()
        grid.setSpacing(28)
        self.tiles = {}
        for i, (state, _text) in enumerate(TILES):
            tile = button("tile", lambda s=state: self.window_.go(s), name=f"tile-{state.value}")
            self.tiles[state] = tile
            grid.addWidget(tile, i // 2, i % 2)
        self.root.addStretch(1)
        self.root.addLayout(grid)
        self.root.addStretch(1)
        self.root.addWidget(self.hint)

    def retranslate_ui(self) -> None:
        self.welcome.setText(self.t({"vi": "Xin chào! Kiosk dịch vụ công tự phục vụ",
                                     "en": "Welcome! Self-service public service kiosk"}))
        self.ward.setText(self.services.ward_display)
        self.hint.setText(self.t({"vi": "Chạm vào một ô để bắt đầu. Cần giúp đỡ? Hãy hỏi cán bộ tại quầy.",
                                  "en": "Touch a tile to start. Need help? Ask an officer at the counter."}))
        for state, text in TILES:
            self.tiles[state].setText(self.t(text))
