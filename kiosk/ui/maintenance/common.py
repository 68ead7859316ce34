"""What the maintenance pages share: bilingual texts, the page base class, the menu and the confirmations.

Technicians may be a ward IT officer or a vendor on the phone: every text shows both languages, the
chosen one first (``retranslate_ui`` swaps the order live). Pages run their checks on the panel's own
worker thread, never on the GUI thread, and never on the window's runners (a session wipe cancels those).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.ui.i18n import Text, both
from kiosk.ui.page import Page
from kiosk.ui.widgets import button, label

if TYPE_CHECKING:
    from kiosk.app.services import Services
    from kiosk.ui.bridges.tasks import TaskRunner
    from kiosk.ui.context import ScreenContext


def tall(widget: QWidget, px: int) -> QWidget:
    """At least ``px`` high (the theme's ``min-height`` would override ``setMinimumHeight``)."""
    widget.setStyleSheet(f"min-height: {px}px;")
    return widget


class Panel(Protocol):
    """What a page asks of the panel it sits in (kiosk.ui.maintenance.panel.MaintenancePanel)."""

    ctx: ScreenContext
    language: str
    runner: TaskRunner

    def open_page(self, name: str) -> None: ...
    def go_back(self) -> None: ...
    def finish(self, action: str) -> None: ...


class MaintPage(Page):
    """One maintenance page inside the panel's stack."""

    name = ""
    title: Text = {"vi": "", "en": ""}

    def __init__(self, panel: Panel) -> None:
        super().__init__(f"maint-page-{self.name}", spacing=16)
        self.panel = panel

    @property
    def ctx(self) -> ScreenContext:
        return self.panel.ctx

    @property
    def services(self) -> Services:
        return self.panel.ctx.app

    @property
    def language(self) -> str:
        return self.panel.language

    def bi(self, text: Text) -> str:
        return both(text, self.language, " / ")

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``fn`` off the GUI thread; the callbacks come back on it (dropped once the panel closed)."""
        self.panel.runner.run(fn, on_done, on_error or self._on_task_failed)

    def _on_task_failed(self, err: BaseException) -> None:
        self.ctx.log.error("maintenance task failed on %s: %r", self.name, err)



MENU = [
    ("diagnostics", {"vi": "Chẩn đoán thiết bị", "en": "Diagnostics"}),
    ("print", {"vi": "In thử", "en": "Test print"}),
    ("outbox", {"vi": "Hồ sơ chờ gửi", "en": "Outbox"}),
    ("config", {"vi": "Cấu hình", "en": "Configuration"}),
    ("logs", {"vi": "Nhật ký", "en": "Logs"}),
    ("restart", {"vi": "Khởi động lại ứng dụng", "en": "Restart the app"}),
    ("exit", {"vi": "Thoát ra hệ điều hành", "en": "Exit to the OS"}),
    ("close", {"vi": "Về màn hình kiosk", "en": "Back to the kiosk"}),
]


class MenuPage(MaintPage):
    name = "menu"
    title = {"vi": "Bảo trì", "en": "Maintenance"}

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.info = label(role="subtitle")
        self.info.setObjectName("maint-info")
        self.root.addWidget(self.info)
        grid = QGridLayout()
        grid.setSpacing(20)
        self.tiles: dict[str, QPushButton] = {}
        for i, (key, _text) in enumerate(MENU):
            tile = button("primary" if key not in ("restart", "exit", "close") else None,
                          lambda k=key: self.panel.open_page(k), name=f"maint-{key}")
            tall(tile, max(3 * self.ctx.theme.touch_px, 170))
            grid.addWidget(tile, i // 4, i % 4)
            self.tiles[key] = tile
        self.root.addLayout(grid)
        self.root.addStretch(1)

    def enter(self) -> None:
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        from kiosk.app.heartbeat import app_version

        s = self.services
        self.info.setText(f"Kiosk {s.settings.kiosk_id} — {s.ward_display}\n"
                          f"{self.bi({'vi': 'Phiên bản', 'en': 'Version'})}: {app_version()}")
        for key, text in MENU:
            self.tiles[key].setText(both(text, self.language))


CONFIRM = {
    "restart": ({"vi": "Khởi động lại ứng dụng kiosk?", "en": "Restart the kiosk application?"},
                {"vi": "Kiosk tắt rồi tự mở lại sau vài giây. Hồ sơ đã lưu không bị mất.",
                 "en": "The kiosk closes and opens again within seconds. Saved dossiers are kept."},
                {"vi": "Có, khởi động lại", "en": "Yes, restart"}),
    "exit": ({"vi": "Thoát ra hệ điều hành?", "en": "Exit to the operating system?"},
             {"vi": "Kiosk đóng lại và người dân không dùng được cho tới khi mở lại.",
              "en": "The kiosk closes and citizens cannot use it until it is started again."},
             {"vi": "Có, thoát", "en": "Yes, exit"}),
}


class ConfirmPage(MaintPage):
    """Restart and exit ask once more: a mistaken tap must not close a kiosk full of waiting citizens."""

    def __init__(self, panel: Panel, action: str) -> None:
        self.name = action
        self.action = action
        self.title = CONFIRM[action][0]
        super().__init__(panel)
        self.question = label(role="title")
        self.explain = label()
        self.root.addWidget(self.question)
        self.root.addWidget(self.explain)
        self.root.addStretch(1)
        self.yes = button("primary", lambda: self.panel.finish(self.action), name=f"maint-{action}-confirm")
        self.no = button(None, self.panel.go_back, name=f"maint-{action}-cancel")
        for b in (self.yes, self.no):
            tall(b, 2 * self.ctx.theme.touch_px)
            self.root.addWidget(b)

    def retranslate_ui(self) -> None:
        question, explain, yes = CONFIRM[self.action]
        self.question.setText(self.bi(question))
        self.explain.setText(self.bi(explain))
        self.yes.setText(self.bi(yes))
        self.no.setText(self.bi({"vi": "Không, quay lại", "en": "No, go back"}))
