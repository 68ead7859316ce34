"""What every screen shares: its title, live retranslation, reset on wipe, and its ``ScreenContext``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kiosk.ui.i18n import Text
from kiosk.ui.page import Page

if TYPE_CHECKING:
    from kiosk.app.services import Services
    from kiosk.core.session import Session
    from kiosk.ui.context import ScreenContext


class Screen(Page):
    """A page of the stacked window. Subclasses build their widgets once and refill them on ``enter``."""

    title: Text = {"vi": "", "en": ""}
    state: str = ""
    scrolls = True  # every citizen screen fits any window: what does not fit scrolls (Page.scrolls)
    #: Screens with fields a citizen types into: their layout must still work with the keyboard docked below
    #: (the touch-target tests open it on them). It opens nothing: the keyboard follows the focus alone, as
    #: a keyboard shown with no field focused took keys that typed nowhere.
    wants_keyboard = False

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(f"screen-{self.state}")
        self.ctx = ctx
        self.navigator = ctx.navigator
        self.devices = ctx.devices

    # --- shortcuts ------------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        return self.ctx.session

    @property
    def services(self) -> Services:
        return self.ctx.app

    @property
    def language(self) -> str:
        return self.ctx.session.language

    # --- life cycle -----------------------------------------------------------------------------
    def handle_back(self) -> bool:
        """Go back inside the screen (a sub-page); False lets the window go to the previous screen."""
        return False

    def default_field(self) -> QWidget | None:
        """The field focused when the screen opens, which opens the keyboard in its layout (None: the
        keyboard stays closed until the citizen taps a field)."""
        return None

    def can_go_back(self) -> bool:
        """Whether the back button makes sense right now (not once a dossier is committed)."""
        return True

    def reset(self) -> None:
        """The session was wiped: forget everything personal."""
