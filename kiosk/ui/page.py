"""What a citizen screen and a maintenance page share: a title, live retranslation, enter/leave, a camera
watch to undo, and the layout margins. One base class, so both kinds of page behave alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from kiosk.ui.i18n import Text, tr
from kiosk.ui.widgets import enable_swipe, finger_scrolled


def _nothing() -> None:
    pass


class Page(QWidget):
    """A page of a stack: subclasses build their widgets once and refill them on ``enter``."""

    title: Text = {"vi": "", "en": ""}
    #: The page's content scrolls under a finger when it is taller than the room it gets (a 1366x768 laptop,
    #: large text, the keyboard docked below) instead of being squeezed until its texts are cut and its
    #: buttons overlap. While it fits, the content fills the page exactly as without it.
    scrolls = False
    #: The home screen is built before the kiosk can first be touched: its swipe (QScroller and its settings,
    #: ~15 ms of first use) is switched on by the window's warm-up just after, not before (start-up time).
    swipe_later = False

    def __init__(self, object_name: str, spacing: int = 18) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.page_scroll: QScrollArea | None = None
        if self.scrolls:
            body = QWidget()
            body.setObjectName(f"{object_name}-body")
            self.root = QVBoxLayout(body)
            self.page_scroll = finger_scrolled(body, area=QScrollArea, swipe=False)
            self.page_scroll.setObjectName(f"{object_name}-scroll")
            if not self.swipe_later:
                self.enable_page_swipe()
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(self.page_scroll)
        else:
            self.root = QVBoxLayout(self)
        self.root.setContentsMargins(32, 20, 32, 20)
        self.root.setSpacing(spacing)
        self._unwatch_camera: Callable[[], None] = _nothing  # set by pages that watch the camera

    @property
    def language(self) -> str:
        """The language the page is shown in (the citizen's, or the technician's)."""
        raise NotImplementedError

    def t(self, text: Text | str | None) -> str:
        return tr(text, self.language)

    def enable_page_swipe(self) -> None:
        """Let a finger scroll the page (once; nothing for a page that does not scroll)."""
        if self.page_scroll is not None and not self.page_scroll.property("swipe"):
            enable_swipe(self.page_scroll)
            self.page_scroll.setProperty("swipe", True)

    def enter(self) -> None:
        """The page is about to be shown."""

    def leave(self) -> None:
        """Another page is about to be shown."""

    def retranslate_ui(self) -> None:
        """Set every text in the current language."""

    def before_restyle(self) -> list[Callable[[], Any]]:
        """The theme changes: lighten the restyle; return the steps that finish the job, one per turn."""
        return []
