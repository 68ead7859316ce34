"""What a citizen screen and a maintenance page share: a title, live retranslation, enter/leave, a camera
watch to undo, and the layout margins. One base class, so both kinds of page behave alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.ui.i18n import Text, tr


def _nothing() -> None:
    pass


class Page(QWidget):
    """A page of a stack: subclasses build their widgets once and refill them on ``enter``."""

    title: Text = {"vi": "", "en": ""}
    #: The page's content scrolls under a finger when it is taller than the room it gets (a 1366x768 laptop,
    #: large text, the keyboard docked below) instead of being squeezed until its texts are cut and its
    #: buttons overlap. While it fits, the content fills the page exactly as without it.
    scrolls = False

    def __init__(self, object_name: str, spacing: int = 18) -> None:
        super().__init__()
        self.setObjectName(object_name)
        if self.scrolls:
            from kiosk.ui.widgets import finger_scrolled

            body = QWidget()
            body.setObjectName(f"{object_name}-body")
            self.root = QVBoxLayout(body)
            self.page_scroll = finger_scrolled(body)
            self.page_scroll.setObjectName(f"{object_name}-scroll")
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

    def enter(self) -> None:
        """The page is about to be shown."""

    def leave(self) -> None:
        """Another page is about to be shown."""

    def retranslate_ui(self) -> None:
        """Set every text in the current language."""

    def before_restyle(self) -> list[Callable[[], Any]]:
        """The theme changes: lighten the restyle; return the steps that finish the job, one per turn."""
        return []
