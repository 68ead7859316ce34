"""The hidden way into maintenance: five quick taps in the window's top-right corner open the PIN pad
(kiosk.ui.maintenance.panel).

A module of its own: the patch is built with the home screen, before the kiosk can first be touched, and the
PIN pad and the panel (their module, and every ``Qt.`` enum: kiosk.ui.widgets.set_qt_enum) can wait until a
technician asks for them."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class CornerGesture(QWidget):
    """An invisible patch in the top-right corner counting quick taps: a child widget with no style sheet and
    no ``autoFillBackground`` paints nothing, and the screen under it shows."""

    sig_triggered = Signal()
    """The gesture was made (``taps`` taps within ``window_s`` seconds)."""

    def __init__(self, parent: QWidget, taps: int = 5, window_s: float = 3.0, size: int = 48) -> None:
        super().__init__(parent)
        self.setObjectName("maintenance-corner")
        self.taps = taps
        self.window_s = window_s
        self.setFixedSize(size, size)
        self._times: list[float] = []

    def place(self) -> None:
        self.move(self.parentWidget().width() - self.width(), 0)
        self.raise_()

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        now = time.monotonic()
        self._times = [t for t in self._times if now - t <= self.window_s] + [now]
        if len(self._times) >= self.taps:
            self._times.clear()
            self.sig_triggered.emit()
        event.accept()
