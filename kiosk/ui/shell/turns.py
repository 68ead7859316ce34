"""GUI work that can wait, one step per turn of the event loop (the warm-up, the restyle after a theme switch).

A touch then waits for one step at most, never for a whole batch: one queue for the window, so two
steps never share a turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("kiosk.ui")


class Turns(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending: list[Callable[[], Any]] = []

    def run(self, steps: list[Callable[[], Any]]) -> None:
        """Queue ``steps`` from the next turn on. A step may return a list of further steps, run before the
        rest (the form pages, once the catalogue is in)."""
        if not steps:
            return
        idle = not self.pending
        self.pending.extend(steps)
        if idle:
            QTimer.singleShot(0, self, self._run_next)  # with a context: never fires once the window is gone

    def _run_next(self) -> None:
        if self.pending:
            try:
                more = self.pending.pop(0)()
                if isinstance(more, list):
                    self.pending[0:0] = more
            except Exception as err:
                log.error("deferred GUI step failed: %r", err)
        if self.pending:
            QTimer.singleShot(0, self, self._run_next)
