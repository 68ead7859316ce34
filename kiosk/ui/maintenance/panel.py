"""Maintenance mode behind a hidden gesture and the PIN (DESIGN.md sections 3 and 10).

Five quick taps in the top-right corner open the PIN pad; the PIN is checked off the GUI thread
(argon2 is slow on purpose) with the growing lockout of ``kiosk.core.pin``; every entry and exit is
audited. The panel's pages (kiosk/ui/maintenance/*.py): diagnostics, test print, outbox,
configuration, logs, restart, and the only way out of the kiosk.

The PIN pad and the panel are overlays inside the kiosk window, not separate windows: a fullscreen
kiosk under a bare compositor has no window manager to place dialogs, and the walkthrough's
screenshots of the window show them. Neither blocks in a nested event loop: ``ask(ctx, on_done)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
)

from kiosk.ui.i18n import both
from kiosk.ui.maintenance import pin
from kiosk.ui.maintenance.pin import pin_store
from kiosk.ui.widgets import ACTIVITY_LISTENERS, button, label

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

log = logging.getLogger("kiosk.maintenance")


#: The clock the PIN lockout runs on; injectable so the walkthrough and tests move time instead of waiting.
#: Exit statuses for the supervisor: systemd (Restart=always) starts the kiosk again after RESTART_STATUS;
#: the unit lists EXIT_TO_OS_STATUS in RestartPreventExitStatus= so "exit to the OS" stays out.
RESTART_STATUS = 75
EXIT_TO_OS_STATUS = 64
IDLE_CLOSE_S = 300.0  # a technician who walks away does not leave maintenance open to citizens
PIN_IDLE_CLOSE_S = 60.0  # nor the PIN pad over the citizens' screens


class Overlay(QFrame):
    """A frame covering the whole kiosk window, following its size, above everything in it."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx.host)
        self.ctx = ctx
        ctx.navigator.style_part(self)
        ctx.host.installEventFilter(self)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt override)
        if watched is self.ctx.host and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.ctx.host.rect())
        return False

    def open(self) -> None:
        self.setGeometry(self.ctx.host.rect())
        self.show()
        self.raise_()

    def close_overlay(self) -> None:
        self.ctx.host.removeEventFilter(self)
        self.hide()
        self.deleteLater()


class PinDialog(Overlay):
    """The PIN pad. ``PinDialog.ask(window, on_done)``: ``on_done(True)`` once a correct PIN was entered."""

    sig_finished = Signal(bool)
    """The pad closed: True after the right PIN, False when cancelled."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.setObjectName("pin-dialog")
        self.setProperty("role", "overlay")
        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        box = QFrame(self)
        box.setProperty("role", "dialog")
        box.setFixedWidth(760)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(40, 28, 40, 28)
        self.heading = label(role="title")
        self.shown = label(role="big", wrap=False)
        self.shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.shown.setFixedHeight(110)
        self.message = label(role="error")
        self.message.setObjectName("pin-message")
        self.message.setMinimumHeight(64)
        layout.addWidget(self.heading)
        layout.addWidget(self.shown)
        layout.addWidget(self.message)
        grid = QGridLayout()
        grid.setSpacing(12)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok"]):
            b = button("primary" if key == "ok" else None, lambda k=key: self._on_key_clicked(k), name=f"pin-{key}")
            b.setText({"back": "⌫", "ok": "OK"}.get(key, key))
            b.setMinimumHeight(round(ctx.theme.touch_px * 1.4))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[key] = b
        layout.addLayout(grid)
        self.cancel = button(None, lambda: self._finish(False), name="pin-cancel")
        layout.addWidget(self.cancel)
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.pin = ""
        self.busy = False
        self.locked_until = 0.0
        self.last_check: Any = None
        self._message: dict[str, str] | None = None
        self._lock_timer = QTimer(self)
        self._lock_timer.setInterval(250)
        self._lock_timer.timeout.connect(self._on_lock_timer_timeout)
        # a pad left open (a curious citizen, a technician called away) closes itself
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(int(PIN_IDLE_CLOSE_S * 1000))
        self._idle_timer.timeout.connect(lambda: self._finish(False))
        self._idle_timer.start()
        self.retranslate_ui()

    @classmethod
    def ask(cls, ctx: ScreenContext, on_done: Callable[[bool], None]) -> PinDialog:
        pad = cls(ctx)
        pad.sig_finished.connect(on_done)
        pad.open()
        pad.check_lock()
        return pad

    def check_lock(self) -> None:
        """A lockout from before (even before a restart) is shown as soon as the pad opens."""
        store = pin_store(self.ctx)
        self.busy = True
        self.ctx.runners.disk.run(store.status, self._on_status, lambda err: self._on_status(None))

    def _on_status(self, check: Any) -> None:
        self.busy = False
        if check is not None and check.code in ("locked", "no_pin"):
            self._show_check(check)

    def _on_key_clicked(self, key: str) -> None:
        self._idle_timer.start()
        if self.busy or self.is_locked():
            return
        if key == "back":
            self.pin = self.pin[:-1]
        elif key == "ok":
            self._verify()
        elif len(self.pin) < 12:
            self.pin += key
        self.shown.setText("●" * len(self.pin))

    def is_locked(self) -> bool:
        return pin.PIN_CLOCK() < self.locked_until

    def _verify(self) -> None:
        store = pin_store(self.ctx)
        pin, self.pin = self.pin, ""
        self.shown.setText("")
        self.busy = True
        self._set_keys_enabled(False)
        self.ctx.runners.disk.run(lambda: store.verify(pin), self._on_verified,
                                     lambda err: self._on_verified(None))

    def _on_verified(self, check: Any) -> None:
        self.busy = False
        self._set_keys_enabled(True)
        if check is not None and check.ok:
            self._finish(True)
            return
        if check is None:
            self._message = {"vi": "Không kiểm tra được mã PIN.", "en": "The PIN could not be checked."}
            self.retranslate_ui()
            return
        self._show_check(check)

    def _show_check(self, check: Any) -> None:
        self.last_check = check
        self._message = check.message
        if check.code == "locked" and check.locked_for_s > 0:
            self.locked_until = pin.PIN_CLOCK() + check.locked_for_s
            self._set_keys_enabled(False)
            self._lock_timer.start()
        self.retranslate_ui()

    def _on_lock_timer_timeout(self) -> None:
        remaining = self.locked_until - pin.PIN_CLOCK()
        if remaining <= 0:
            self._lock_timer.stop()
            self.locked_until = 0.0
            self._set_keys_enabled(True)
            self._message = {"vi": "Có thể nhập lại mã PIN.", "en": "You may enter the PIN again."}
        else:
            seconds = int(remaining + 0.999)
            self._message = {"vi": f"Đã khóa do nhập sai nhiều lần. Thử lại sau {seconds} giây.",
                             "en": f"Locked after too many wrong PINs. Try again in {seconds} s."}
        self.retranslate_ui()

    def _set_keys_enabled(self, on: bool) -> None:
        for b in self.keys.values():
            b.setEnabled(on)

    def _finish(self, ok: bool) -> None:
        self.pin = ""
        self._lock_timer.stop()
        self._idle_timer.stop()
        self.close_overlay()
        self.sig_finished.emit(ok)

    def retranslate_ui(self) -> None:
        self.heading.setText("Bảo trì — nhập mã PIN\nMaintenance — enter the PIN")
        self.message.setText(both(self._message) if self._message else "")
        self.cancel.setText("Huỷ / Cancel")


class MaintenancePanel(Overlay):
    """The technician's pages, over the whole kiosk window. ``ask(ctx, on_done)``: ``on_done(action)``
    with action "close" (back to the kiosk), "restart", "exit" or "idle" (closed after no touch)."""

    sig_finished = Signal(str)
    """The panel closed; the action the technician chose."""

    def __init__(self, ctx: ScreenContext) -> None:
        from kiosk.ui.bridges.tasks import TaskRunner
        from kiosk.ui.maintenance.common import ConfirmPage, MaintPage, MenuPage
        from kiosk.ui.maintenance.config import ConfigPage
        from kiosk.ui.maintenance.diagnostics import DiagnosticsPage
        from kiosk.ui.maintenance.logs import LogsPage
        from kiosk.ui.maintenance.outbox import OutboxPage
        from kiosk.ui.maintenance.printer import TestPrintPage

        super().__init__(ctx)
        self.setObjectName("maintenance-panel")
        self.setAutoFillBackground(True)
        self.language = "vi"
        self.runner = TaskRunner("maintenance", parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QFrame()
        header.setProperty("role", "header")
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 10, 16, 10)
        self.back_button = button("header", self.go_back, name="maint-back")
        self.title = label(wrap=False)
        self.title.setObjectName("maint-title")
        self.language_button = button("header", self._on_language_clicked, name="maint-language")
        for b in (self.back_button, self.language_button):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        row.addWidget(self.back_button)
        row.addWidget(self.title, 1)
        row.addWidget(self.language_button)
        layout.addWidget(header)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.pages: dict[str, MaintPage] = {}
        for page in (MenuPage(self), DiagnosticsPage(self), TestPrintPage(self), OutboxPage(self),
                     ConfigPage(self), LogsPage(self), ConfirmPage(self, "restart"), ConfirmPage(self, "exit")):
            self.pages[page.name] = page
            self.stack.addWidget(page)
        self.last_touch = time.monotonic()
        ACTIVITY_LISTENERS.append(self._on_activity)
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(5000)
        self._idle_timer.timeout.connect(self._on_idle_timer_timeout)
        self._idle_timer.start()
        self.current = "menu"
        self.retranslate_ui()
        self.pages["menu"].enter()

    @classmethod
    def ask(cls, ctx: ScreenContext, on_done: Callable[[str], None]) -> MaintenancePanel:
        panel = cls(ctx)
        panel.sig_finished.connect(on_done)
        panel.open()
        return panel

    # --- navigation ---------------------------------------------------------------------------------
    def page(self, name: str) -> Any:
        return self.pages[name]

    def open_page(self, name: str) -> None:
        self._on_activity()
        if name == "close":
            self.finish("close")
            return
        old = self.pages[self.current]
        if name != self.current:
            old.leave()
        self.current = name
        page = self.pages[name]
        page.retranslate_ui()
        self.stack.setCurrentWidget(page)
        page.enter()
        self._refresh_header()

    def go_back(self) -> None:
        """Back to the menu; from the menu, back to the kiosk."""
        if self.current == "menu":
            self.finish("close")
        else:
            self.open_page("menu")

    def finish(self, action: str) -> None:
        if self.current != "menu":
            self.pages[self.current].leave()
        self._idle_timer.stop()
        if self._on_activity in ACTIVITY_LISTENERS:
            ACTIVITY_LISTENERS.remove(self._on_activity)
        self.runner.cancel_callbacks()
        self.runner.shutdown()
        self.close_overlay()
        self.sig_finished.emit(action)

    def _on_activity(self) -> None:
        self.last_touch = time.monotonic()

    def _on_idle_timer_timeout(self) -> None:
        if time.monotonic() - self.last_touch > IDLE_CLOSE_S:
            self.finish("idle")

    # --- look -----------------------------------------------------------------------------------------
    def _on_language_clicked(self) -> None:
        self.language = "en" if self.language == "vi" else "vi"
        self.retranslate_ui()

    def _refresh_header(self) -> None:
        from kiosk.ui.i18n import both

        page = self.pages[self.current]
        if self.current == "menu":
            self.title.setText(both(page.title, self.language, " / "))
            self.back_button.setText(both({"vi": "← Về kiosk", "en": "← Kiosk"}, self.language, " / "))
        else:
            self.title.setText(both({"vi": "Bảo trì", "en": "Maintenance"}, self.language, " / ") + " — "
                               + both(page.title, self.language, " / "))
            self.back_button.setText(both({"vi": "← Quay lại", "en": "← Back"}, self.language, " / "))

    def retranslate_ui(self) -> None:
        self.language_button.setText("English first" if self.language == "vi" else "Tiếng Việt trước")
        for page in self.pages.values():
            page.retranslate_ui()
        self._refresh_header()


def quit_app(ctx: ScreenContext, status: int) -> None:
    """Leave the kiosk application with ``status`` (the supervisor decides what follows)."""
    ctx.navigator.quit(status)


def restart_app(ctx: ScreenContext) -> None:
    """Under systemd the unit starts the kiosk again; elsewhere (a demo) the process replaces itself."""
    import atexit
    import os
    import sys

    if not os.environ.get("INVOCATION_ID"):  # not a systemd service
        argv = [sys.executable, *sys.argv[1:]] if getattr(sys, "frozen", False) else [sys.executable,
                                                                                         *sys.orig_argv[1:]]
        atexit.register(lambda: os.execv(argv[0], argv))
    quit_app(ctx, RESTART_STATUS)


def is_open(ctx: ScreenContext) -> bool:
    return any(w.isVisible() for w in ctx.host.findChildren(Overlay))


def open_maintenance(ctx: ScreenContext) -> None:
    """The gesture was made: PIN, then the panel; every entry and exit is audited."""
    if is_open(ctx):
        return
    ctx.session.wipe()  # never show a citizen's data to a technician

    def on_pin(ok: bool) -> None:
        if not ok:
            return
        pin_store(ctx).audit("maintenance_enter", kiosk_id=ctx.app.settings.kiosk_id)
        log.info("maintenance mode entered")
        MaintenancePanel.ask(ctx, on_panel_done)

    def on_panel_done(action: str) -> None:
        pin_store(ctx).audit("maintenance_exit", action=action)
        log.info("maintenance mode left: %s", action)
        ctx.navigator.hide_keyboard()
        ctx.session.touch()
        if action == "exit":
            quit_app(ctx, EXIT_TO_OS_STATUS)
        elif action == "restart":
            restart_app(ctx)

    PinDialog.ask(ctx, on_pin)
