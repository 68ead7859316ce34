"""The print bridge: PDFs to ``device.printer.PrintWorker`` and its outcome and status as Qt signals.

The workers are plain Python threads with callbacks (``device`` and ``kiosk.backend`` know nothing of
Qt). Emitting a Qt signal from their thread queues the call into the GUI thread, so slots run where
widgets may be touched and the GUI thread never waits on a camera, a network, a disk or a printer
(DESIGN.md section 5).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class PrintBridge(QObject):
    """Hands PDFs to ``device.printer.PrintWorker`` (one serial job queue) and signals the outcome."""

    sig_printed = Signal(str, object)
    """A job ended: (tag, PrintJobResult or PrinterError)."""

    def __init__(self, print_worker: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = print_worker
        self._asking = False  # a status question is with the print worker

    def submit(self, tag: str, path: Any, media: str | None = None) -> None:
        def on_done(outcome: Any) -> None:
            self.sig_printed.emit(tag, outcome)

        self._worker.submit(path, media, on_done)

    sig_status = Signal(object)
    """The printer's status, asked of the print worker (device.printer.PrinterStatus)."""

    def request_status(self) -> None:
        """Ask the printer's status in turn with the jobs, on the print worker's thread (never here).

        One question at a time: behind a job that hangs (a stuck CUPS queue) the polls would pile up."""
        request = getattr(self._worker, "request_status", None)
        if request is None or self._asking:
            return
        self._asking = True

        def answered(status: Any) -> None:
            self._asking = False
            self.sig_status.emit(status)

        request(answered)
