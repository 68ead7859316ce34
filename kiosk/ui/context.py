"""What a screen (or a maintenance page) may use, handed to it by the window: the ``ScreenContext``.

A screen never imports the window and never emits its signals (import-linter holds it: pyproject.toml).
It asks the navigator to move, the app layer (``kiosk.app.services.Services``) for the work, the devices
to print or watch the camera, a runner to do it off the GUI thread, and tells the outside what happened
through ``JourneyEvents``. To change one journey, read its screen and this file, not the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from kiosk.ui.bridges.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.app.services import Services
    from kiosk.core.session import Session, State
    from kiosk.ui.bridges.devices import Devices
    from kiosk.ui.health import KioskHealth
    from kiosk.ui.theme import Theme
    from kiosk.ui.voice import Voice


class Navigator(Protocol):
    """Moving between screens, and what the shell around them does for a screen (the window is one)."""

    def go(self, state: State) -> None: ...
    def back(self) -> None: ...
    def go_home(self) -> None: ...
    def refresh_header(self) -> None: ...
    def screen(self, state: State) -> QWidget: ...
    def paint_offscreen(self, widget: QWidget) -> None: ...
    def hide_keyboard(self) -> None: ...
    def style_part(self, part: QWidget) -> QWidget: ...
    def quit(self, status: int) -> None: ...


class Filing(Protocol):
    """The dossier being filed, as the submitting and done screens see it (kiosk.ui.submission.Submission,
    which drives those screens: typed here so that the screens need not import it)."""

    receipt_path: str | None
    receipt_printed: bool
    print_message: dict | None
    payment_message: dict | None  # why the fee waits for the counter, when the kiosk knows

    def start(self) -> None: ...
    def retry(self) -> None: ...


class JourneyEvents(QObject):
    """What a journey tells the outside (tests, the walkthrough, the demo panel, the form's keyboard help)."""

    sig_ticket_issued = Signal(dict)
    """A queue ticket was issued and rendered (number, path, offline...)."""
    sig_lookup_done = Signal(dict)
    """A look-up ended (the result, or {} when nothing was found)."""
    sig_feedback_sent = Signal(bool)
    """A rating was delivered (True) or could not be (False)."""


class Runners:
    """The worker threads a screen runs slow work on (kiosk.ui.bridges.tasks.TaskRunner). Plain classes here,
    not dataclasses: building a dataclass costs ~0.7 ms at import, before the home screen."""

    def __init__(self, *, backend: TaskRunner, chores: TaskRunner, disk: TaskRunner, wards: TaskRunner) -> None:
        self.backend = backend  # a citizen's requests: tickets, look-ups
        self.chores = chores  # the kiosk's own: heartbeat, ratings already thanked for
        self.disk = disk  # the outbox, rendering, the PIN store
        self.wards = wards  # the ward suggestion

    def all(self) -> tuple[TaskRunner, ...]:
        return self.backend, self.chores, self.disk, self.wards


class ScreenContext:
    def __init__(self, *, session: Session, app: Services, navigator: Navigator, devices: Devices, runners: Runners,
                 events: JourneyEvents, theme: Theme, host: QWidget, health: KioskHealth,
                 submission: Callable[[], Filing], autoplay_video: bool = True, thanks_ms: int = 5000,
                 log: logging.Logger | None = None) -> None:
        self.session = session
        self.app = app
        self.navigator = navigator
        self.devices = devices
        self.runners = runners
        self.events = events
        #: the current look; the window sets a new one when the text size or contrast changes
        self.theme = theme
        #: the window, as the widget overlays (PIN pad, maintenance panel) cover
        self.host = host
        self.health = health
        self._submission = submission
        self.autoplay_video = autoplay_video
        self.thanks_ms = thanks_ms
        self.log = log or logging.getLogger("kiosk.ui")
        #: the kiosk's voice (kiosk.ui.voice.Voice), set by the window once built; None: the kiosk is silent
        self.voice: Voice | None = None

    @property
    def submission(self) -> Filing:
        """The dossier being filed (built on first use)."""
        return self._submission()
