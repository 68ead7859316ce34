"""What every screen shares: its title, live retranslation, reset on wipe, and the window's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.ui.widgets import Text, tr

if TYPE_CHECKING:
    from kiosk.ui.window import KioskWindow


def _nothing() -> None:
    pass


class Screen(QWidget):
    """A page of the stacked window. Subclasses build their widgets once and refill them on ``enter``."""

    title: Text = {"vi": "", "en": ""}
    state: str = ""
    #: Screens with fields show the keyboard as they open, so focusing a field never relayouts the window.
    wants_keyboard = False

    def __init__(self, window: KioskWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setObjectName(f"screen-{self.state}")
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(32, 20, 32, 20)
        self.root.setSpacing(18)
        self._unwatch_camera: Callable[[], None] = _nothing  # set by screens that watch the camera

    # --- shortcuts ------------------------------------------------------------------------------
    @property
    def session(self) -> Any:
        return self.window_.session

    @property
    def services(self) -> Any:
        return self.window_.services

    @property
    def language(self) -> str:
        return self.window_.session.language

    def t(self, text: Text | str | None) -> str:
        return tr(text, self.language)

    # --- life cycle -----------------------------------------------------------------------------
    def enter(self) -> None:
        """The screen is about to be shown (forward or back)."""

    def leave(self) -> None:
        """Another screen is about to be shown."""

    def handle_back(self) -> bool:
        """Go back inside the screen (a sub-page); False lets the window go to the previous screen."""
        return False

    def default_field(self) -> QWidget | None:
        """The field the keyboard types into when the screen opens (None: wait for a touch)."""
        return None

    def can_go_back(self) -> bool:
        """Whether the back button makes sense right now (not once a dossier is committed)."""
        return True

    def reset(self) -> None:
        """The session was wiped: forget everything personal."""

    def retranslate_ui(self) -> None:
        """Set every text in the current language."""

    def before_restyle(self) -> list[Callable[[], Any]]:
        """The theme changes: lighten the restyle; return the steps that finish the job, one per turn."""
        return []
