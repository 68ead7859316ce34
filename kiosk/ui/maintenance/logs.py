"""Logs: the kiosk's recent log lines, personal data masked, readable and scrollable by touch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit

from kiosk.ui.maintenance.common import MaintPage
from kiosk.ui.widgets import button, enable_swipe, label


def log_text(data_dir: Path, limit: int = 200) -> tuple[str, int]:
    """The last ``limit`` records as text lines, masked again (worker threads only)."""
    from kiosk.core.logs import mask_personal, recent_lines

    records = recent_lines(data_dir, limit)
    lines = []
    for rec in records:
        ts = str(rec.get("ts", ""))[11:19]
        extra = {k: v for k, v in rec.items() if k not in ("ts", "level", "logger", "message", "exception")}
        line = f"{ts} {rec.get('level', ''):<7} {rec.get('logger', '')}: {rec.get('message', '')}"
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if rec.get("exception"):
            line += " | " + str(rec["exception"]).strip().splitlines()[-1]
        lines.append(mask_personal(line))
    return "\n".join(lines), len(records)


class LogsPage(MaintPage):
    name = "logs"
    title = {"vi": "Nhật ký", "en": "Logs"}

    def __init__(self, panel_: Any) -> None:
        super().__init__(panel_)
        self.summary = label(role="subtitle")
        self.root.addWidget(self.summary)
        self.view = QPlainTextEdit()
        self.view.setObjectName("maint-logs-view")
        self.view.setReadOnly(True)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # reading, not typing: no keyboard
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.view.setStyleSheet("font-family: 'DejaVu Sans Mono', monospace; font-size: 20px;")
        enable_swipe(self.view)
        self.root.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.up_button = button(None, lambda: self._page(-1), name="maint-logs-up")
        self.down_button = button(None, lambda: self._page(1), name="maint-logs-down")
        self.refresh_button = button("primary", self.refresh, name="maint-logs-refresh")
        for b in (self.up_button, self.down_button, self.refresh_button):
            row.addWidget(b)
        self.root.addLayout(row)
        self.count = 0
        self.loaded = False

    def enter(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.loaded = False
        data_dir = self.services.data_dir
        self.run(lambda: log_text(data_dir), self._on_loaded)

    def _on_loaded(self, result: tuple[str, int]) -> None:
        text, self.count = result
        self.view.setPlainText(text)
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())  # newest last, shown first
        self.loaded = True
        self.retranslate_ui()

    def _page(self, direction: int) -> None:
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.value() + direction * max(bar.pageStep() - 2, 1))

    def retranslate_ui(self) -> None:
        self.summary.setText(self.bi({"vi": f"{self.count} dòng gần nhất (số CCCD đã che)",
                                      "en": f"last {self.count} lines (ID numbers masked)"}))
        self.up_button.setText("▲ " + self.bi({"vi": "Lên", "en": "Up"}))
        self.down_button.setText("▼ " + self.bi({"vi": "Xuống", "en": "Down"}))
        self.refresh_button.setText(self.bi({"vi": "Làm mới", "en": "Refresh"}))
