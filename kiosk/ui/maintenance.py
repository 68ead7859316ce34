"""Maintenance mode behind a hidden gesture and the PIN (DESIGN.md sections 3 and 10).

Five quick taps in the top-right corner open the PIN pad; the PIN is checked off the GUI thread
(argon2 is slow on purpose) with the growing lockout of ``kiosk.core.pin``; every entry is audited.
The panel shows the outbox and devices, prints a test ticket, and is the only way out of the kiosk.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.ui.widgets import both, button, label, tr

if TYPE_CHECKING:
    from kiosk.ui.window import KioskWindow

log = logging.getLogger("kiosk.maintenance")


class CornerGesture(QWidget):
    """An invisible patch in the top-right corner counting quick taps."""

    sig_triggered = Signal()
    """The gesture was made (``taps`` taps within ``window_s`` seconds)."""

    def __init__(self, parent: QWidget, taps: int = 5, window_s: float = 3.0, size: int = 48) -> None:
        super().__init__(parent)
        self.setObjectName("maintenance-corner")
        self.taps = taps
        self.window_s = window_s
        self.setFixedSize(size, size)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
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


class PinDialog(QDialog):
    """The PIN pad. ``PinDialog.ask(window)`` -> True once a correct PIN was entered."""

    def __init__(self, window: KioskWindow) -> None:
        super().__init__(window)
        self.setObjectName("pin-dialog")
        self.window_ = window
        self.setModal(True)
        self.setStyleSheet(window.styleSheet())
        lang = window.session.language
        layout = QVBoxLayout(self)
        layout.addWidget(label(tr({"vi": "Bảo trì — nhập mã PIN", "en": "Maintenance — enter the PIN"}, lang),
                               role="title"))
        self.shown = label(role="big")
        self.message = label(role="error")
        layout.addWidget(self.shown)
        layout.addWidget(self.message)
        grid = QGridLayout()
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok"]):
            text = {"back": "⌫", "ok": "OK"}.get(key, key)
            b = button("primary" if key == "ok" else None, lambda k=key: self._on_key_clicked(k), name=f"pin-{key}")
            b.setText(text)
            grid.addWidget(b, i // 3, i % 3)
        layout.addLayout(grid)
        cancel = button(None, self.reject, name="pin-cancel")
        cancel.setText(tr({"vi": "Huỷ", "en": "Cancel"}, lang))
        layout.addWidget(cancel)
        self.pin = ""
        self.busy = False
        self.resize(700, 800)

    @classmethod
    def ask(cls, window: KioskWindow) -> bool:
        dialog = cls(window)
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.pin = ""
            dialog.deleteLater()

    def _on_key_clicked(self, key: str) -> None:
        if self.busy:
            return
        if key == "back":
            self.pin = self.pin[:-1]
        elif key == "ok":
            self._verify()
        elif len(self.pin) < 12:
            self.pin += key
        self.shown.setText("●" * len(self.pin))

    def _verify(self) -> None:
        from kiosk.core.pin import PinStore

        store = PinStore(self.window_.services.data_dir)
        pin, self.pin = self.pin, ""
        self.shown.setText("")
        self.busy = True
        self.window_.disk_runner.run(lambda: store.verify(pin), self._on_verified,
                                     lambda err: self._on_verified(None))

    def _on_verified(self, check: Any) -> None:
        self.busy = False
        if check is not None and check.ok:
            self.accept()
            return
        message = check.message if check is not None else {"vi": "Không kiểm tra được mã PIN.",
                                                            "en": "The PIN could not be checked."}
        self.message.setText(both(message))


class MaintenancePanel(QDialog):
    """Diagnostics for a technician: outbox, printer, camera, test print, and leaving the kiosk."""

    sig_quit_requested = Signal()
    """The technician chose to close the kiosk application."""

    def __init__(self, window: KioskWindow) -> None:
        super().__init__(window)
        self.setObjectName("maintenance-panel")
        self.window_ = window
        self.setModal(True)
        self.setStyleSheet(window.styleSheet())
        layout = QVBoxLayout(self)
        layout.addWidget(label("Bảo trì / Maintenance", role="title"))
        self.info = label()
        self.info.setObjectName("maintenance-info")
        layout.addWidget(self.info)
        row = QHBoxLayout()
        for name, text, slot in (("maintenance-refresh", "Làm mới / Refresh", self.refresh),
                                 ("maintenance-test-print", "In thử / Test print", self._on_test_print_clicked),
                                 ("maintenance-quit", "Thoát kiosk / Exit kiosk", self._on_quit_clicked),
                                 ("maintenance-close", "Đóng / Close", self.accept)):
            b = button(None, slot, name=name)
            b.setText(text)
            row.addWidget(b)
        layout.addLayout(row)
        self.resize(1400, 700)
        self.refresh()

    @classmethod
    def ask(cls, window: KioskWindow) -> bool:
        """Show the panel; True if the technician asked to leave the kiosk."""
        panel = cls(window)
        wants_quit: list[bool] = []
        panel.sig_quit_requested.connect(lambda: wants_quit.append(True))
        try:
            panel.exec()
        finally:
            panel.deleteLater()
        return bool(wants_quit)

    def refresh(self) -> None:
        services = self.window_.services
        self.info.setText("…")
        self.window_.disk_runner.run(lambda: _diagnostics(services, self.window_), self._on_diagnostics)

    def _on_diagnostics(self, lines: list[str]) -> None:
        self.info.setText("\n".join(lines))

    def _on_test_print_clicked(self) -> None:
        area = {"id": "test", "vi": "IN THỬ", "en": "TEST PRINT"}

        def render() -> Any:
            from datetime import datetime

            ticket = {"number": "T000", "area": {"vi": area["vi"], "en": area["en"]}, "priority": False,
                      "issued_at": datetime.now().astimezone(), "offline": True, "people_ahead": None}
            return self.window_.services.render_ticket(ticket)

        def printed(ok: bool, message: dict | None) -> None:
            self.info.setText(self.info.text() + ("\nIn thử: xong / test print: done" if ok
                                                  else f"\nIn thử lỗi / test print failed: {both(message or {})}"))

        self.window_.disk_runner.run(render, lambda doc: self.window_.print_document("test", doc.path, printed,
                                                                                     doc.media))

    def _on_quit_clicked(self) -> None:
        self.sig_quit_requested.emit()
        self.accept()


def _diagnostics(services: Any, window: Any) -> list[str]:
    status = services.outbox().status()
    lines = [f"Kiosk: {services.settings.kiosk_id} — {services.ward_display}",
             f"Backend: {services.backend_url or '(offline only)'} — online: {window.online}",
             f"Outbox: {status}"]
    printer = services.printer
    if printer is not None:
        try:
            ps = printer.status()
            lines.append(f"Printer: {ps.state}, paper {ps.paper}")
        except Exception as err:  # diagnostics must never fail
            lines.append(f"Printer: {err!r}")
    lines.append(f"Camera: {'running' if window.camera.running else 'idle'}")
    return lines


def open_maintenance(window: KioskWindow) -> None:
    """The gesture was made: PIN, then the panel; every entry is audited."""
    from kiosk.core.pin import PinStore

    window.session.wipe()  # never show a citizen's data to a technician
    if not PinDialog.ask(window):
        return
    store = PinStore(window.services.data_dir)
    store.audit("maintenance_enter", kiosk_id=window.services.settings.kiosk_id)
    log.info("maintenance mode entered")
    quit_requested = MaintenancePanel.ask(window)
    store.audit("maintenance_exit", quit=quit_requested)
    if quit_requested:
        from PySide6.QtWidgets import QApplication

        window.kiosk_mode = False
        QApplication.instance().quit()
