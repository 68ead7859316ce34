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
    #: The widgets (attribute names), after the title, whose text the voice says when the screen opens or
    #: changes (ADA 707.5): what is spoken is what is shown, read off the visible widgets themselves.
    spoken: tuple[str, ...] = ()
    #: Of those, the ones holding a number or code, spelt out so each character is heard ("A không không một").
    spelt: tuple[str, ...] = ()

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

    # --- the voice ------------------------------------------------------------------------------
    def spoken_parts(self) -> list[str]:
        """The title (as the header shows it) and each visible ``spoken`` widget's text, in order."""
        parts = [self.t(self.title)]
        for name in self.spoken:
            widget = getattr(self, name, None)
            text = widget.text().strip() if widget is not None and widget.isVisibleTo(self) else ""
            if text and name in self.spelt:
                from kiosk.app.speech import spell_ticket

                text = spell_ticket(text, self.language)
            parts.append(text)
        return [p for p in parts if p]

    def spoken_text(self) -> str:
        """What the voice says of this screen: its parts as sentences."""
        return " ".join(p if p[-1] in ".?!:…" else p + "." for p in (p.strip() for p in self.spoken_parts()))

    def announce(self) -> None:
        """Say the screen again: what it shows changed (a ticket printed, a payment arrived, an error)."""
        voice = self.ctx.voice
        if voice is not None and self.isVisible():
            voice.say_screen(self)

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
