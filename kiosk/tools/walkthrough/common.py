"""What every scripted drive of the kiosk shares: touching widgets, typing on the on-screen keyboard,
waiting in the event loop, and the taps from the home screen to the card screen.

The citizen walkthrough, the maintenance walkthrough, the UI tests' driver (tests/ui/driver.py) and the
card-to-form benchmark all drive the real widgets; the key presses for a text and the way to a
procedure's card screen are planned here once, so the four cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QPointingDevice
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QScroller, QWidget

from kiosk.core.session import State
from kiosk.tools.probe import StallProbe
from kiosk.ui.keyboard import keys_for
from kiosk.ui.widgets import scroll_areas_of

#: The procedure the journeys file (a birth registration): the one every test citizen's card fits.
BIRTH = "dang-ky-khai-sinh"


class WalkthroughError(RuntimeError):
    pass


def wait_in_loop(ms: int) -> None:
    """Let the event loop run for ``ms``, as a kiosk's does between two touches. Not QTest.qWait: it sleeps
    up to 10 ms at a time between batches of events, and the stall probe counted the driver's sleep as the
    kiosk's stall (~10 ms on top of the screen change that followed)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop, loop.quit)  # with a context: without one PySide 6.11 leaks ~1.5 blocks a call
    loop.exec()


_TOUCHSCREEN: list[QPointingDevice] = []


def touchscreen() -> QPointingDevice:
    """The touchscreen the drivers touch with: registered once, as a kiosk has one (Qt keeps it)."""
    if not _TOUCHSCREEN:
        _TOUCHSCREEN.append(QTest.createTouchDevice())
    return _TOUCHSCREEN[0]


def scroll_into_view(widget: QWidget, timeout_s: float = 5.0) -> None:
    """Scroll every scroll area that holds ``widget`` (the innermost first) until it shows: a finger
    cannot touch what is scrolled off the screen. An area still gliding from a swipe is let come to rest
    first: a touch on a moving list only stops it, as a citizen's does."""
    parent = widget.parentWidget()
    while parent is not None:  # every swipeable area around it, lists included
        if isinstance(parent, QAbstractScrollArea) and QScroller.hasScroller(parent.viewport()):
            scroller = QScroller.scroller(parent.viewport())
            deadline = time.monotonic() + timeout_s
            while scroller.state() != QScroller.State.Inactive and time.monotonic() < deadline:
                wait_in_loop(10)
        parent = parent.parentWidget()
    for area in scroll_areas_of(widget):
        _scroll_to(area, widget, timeout_s)


def _scroll_to(area: QScrollArea, widget: QWidget, timeout_s: float) -> None:
    """``area`` scrolled until the centre of ``widget`` is in its viewport. Right after a resize the area's
    range may not have caught up with its content yet (its layout runs a turn later, a busy machine later
    still): it is asked again, turn after turn, until the widget shows or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        area.ensureWidgetVisible(widget, 10, 10)
        centre = widget.mapTo(area.viewport(), widget.rect().center())
        if area.viewport().rect().contains(centre) or time.monotonic() > deadline:
            return
        wait_in_loop(10)


class _ReleaseSeen(QObject):
    """Notes when a mouse release (the one Qt makes from the finger's lift) reaches the touched widget."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.MouseButtonRelease:
            self.seen = True
        return False


def tap(widget: QWidget, timeout_s: float = 3.0) -> None:
    """Touch ``widget`` with a finger: a touch press and release at its centre, sent to its window as the
    touchscreen sends them, so the widget gets them only if it is on screen and on top there, and a
    finger-scrolled area (``kiosk.ui.widgets.enable_swipe``) treats them as it treats a citizen's.

    Such an area holds the press back until it knows the touch is no swipe; the lift sends it on with the
    release. Returns once the release reached the widget (the tap's effects, like a click, have run);
    raises WalkthroughError if something else lies over the widget or the release never arrives."""
    # A finger touches what the screen shows once it is still: the layouts still pending run (a resize, a
    # page re-arranging its columns can move the widget a turn later, later still on a busy machine), the
    # widget is scrolled into view, and this is repeated until the widget is under its own centre.
    window = widget.window()
    deadline = time.monotonic() + timeout_s
    while True:
        QApplication.processEvents()
        scroll_into_view(widget)
        QApplication.processEvents()
        point = widget.mapTo(window, widget.rect().center())
        under = window.childAt(point)
        if under is not None and (under is widget or widget.isAncestorOf(under)):
            break
        if time.monotonic() > deadline:
            raise WalkthroughError(f"cannot touch {widget.objectName() or type(widget).__name__}: "
                                   f"{under.objectName() or type(under).__name__ if under else 'nothing'} is there")
        wait_in_loop(10)
    seen = _ReleaseSeen()
    under.installEventFilter(seen)
    try:
        device = touchscreen()
        # Press and lift are queued together and delivered in one pass of the event loop: a status arriving
        # in between (a notice that pushes the layout down) cannot slide the widget from under the finger
        # while a swipeable area still holds the press back (the area replays it where the widget was).
        QTest.touchEvent(window, device, False).press(0, point).commit(False)
        QTest.touchEvent(window, device, False).release(0, point).commit(False)
        QApplication.processEvents()
        deadline = time.monotonic() + timeout_s
        while not seen.seen:
            if time.monotonic() > deadline:
                raise WalkthroughError(f"the touch on {widget.objectName() or type(widget).__name__} "
                                       "was not delivered")
            wait_in_loop(5)
    finally:
        try:
            under.removeEventFilter(seen)
        except RuntimeError:  # the tap closed what it touched
            pass


def presses_for(text: str) -> list[str]:
    """The on-screen keyboard's keys for ``text``, in order: Telex letters for each word ("shift:x" for a
    capital), "space" between words, digits and punctuation as their own keys."""
    presses: list[str] = []
    for i, chunk in enumerate(text.split(" ")):
        if i:
            presses.append("space")
        word = ""
        for ch in chunk:
            if ch.isalpha():
                word += ch
                continue
            if word:
                presses += keys_for(word)
                word = ""
            presses.append(ch)
        if word:
            presses += keys_for(word)
    return presses


def type_keys(keyboard: Any, text: str, press: Callable[[str], None]) -> None:
    """Type ``text`` on ``keyboard`` by pressing its keys with ``press(key name)``: switch to the digits
    and back, and shift for a capital, as a citizen would. A field that opened the numeric keyboard
    (a phone number, a date) gets its characters as they are."""
    if keyboard.mode == "numeric":
        for ch in text:
            press(ch)
        return
    for planned in presses_for(text):
        if planned.isdigit():
            if not keyboard.has_key(planned):  # the e-mail layout has its digits on the letters' page
                press("numeric")
            press(planned)
            continue
        if keyboard.mode == "numeric":
            press("text")
        upper = planned.startswith("shift:")
        key = planned.removeprefix("shift:")
        if key.isalpha() and len(key) == 1 and upper != keyboard.shift:
            press("shift")
        press(key)
    if keyboard.mode == "numeric":
        press("text")


def to_card_screen(click: Callable[[str], None], on_screen: Callable[[State], None],
                   procedure_id: str = BIRTH) -> None:
    """From the home screen to ``procedure_id``'s card screen: the procedure tile, the procedure, start,
    agree to the consent. ``click`` touches a widget by name; ``on_screen`` waits for a screen."""
    click("tile-procedure")
    on_screen(State.PROCEDURE)
    click(f"procedure-{procedure_id}")
    on_screen(State.DETAILS)
    click("details-start")
    on_screen(State.CONSENT)
    click("consent-agree")
    on_screen(State.IDENTIFY)


class ScreenDriver:
    """Touches and types on a kiosk window through its real widgets (touch taps, :func:`tap`; never calls
    around the UI), saving screenshots as ``screens/NN-<name>.png`` under ``out_dir``."""

    def __init__(self, window: Any, out_dir: Path, fast: bool = False, probe: StallProbe | None = None) -> None:
        self.window = window
        self.out = Path(out_dir)
        self.screens_dir = self.out / "screens"
        self.screens_dir.mkdir(parents=True, exist_ok=True)
        self.fast = fast
        self.probe = probe or StallProbe()
        self.shot = 0
        self.action = ""
        self.probe.context = lambda: f"{self.window.session.state.value}: {self.action}"
        #: a kiosk.tools.walkthrough.audit.LayoutAudit to run at every screenshot and open keyboard, or None
        self.layout_audit: Any = None

    def wait_until(self, condition: Any, what: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise WalkthroughError(f"timed out waiting for {what} (on screen {self.window.session.state})")
            wait_in_loop(10)

    def settle(self, ms: int = 30) -> None:
        wait_in_loop(ms)

    def find(self, name: str, cls: type = QWidget) -> Any:
        """The visible widget called ``name`` (several forms may have a field of the same name)."""
        found = self.window.findChildren(cls, name)
        widget = next((w for w in found if w.isVisible()), found[0] if found else None)
        if widget is None:
            raise WalkthroughError(f"no widget named {name!r} on screen {self.window.session.state}")
        return widget

    def click(self, target: str | QWidget) -> None:
        widget = self.find(target) if isinstance(target, str) else target
        self.wait_until(lambda: widget.isVisible() and widget.isEnabled(),
                        f"{widget.objectName() or widget} to be clickable", 10)
        self.action = f"after clicking {widget.objectName() or type(widget).__name__}"
        tap(widget)
        self.settle(5)

    def press_key(self, name: str) -> None:
        self.click(self.window.keyboard.key_button(name))

    def type_into(self, field_name: str, text: str) -> None:
        """Touch a field, then type ``text`` on the on-screen keyboard (Telex for Vietnamese letters)."""
        field = self.find(field_name)
        self.click(field)
        self.wait_until(lambda: field.hasFocus() and self.window.keyboard.isVisible(), f"focus on {field_name}")
        if self.layout_audit is not None:  # the keyboard open on this field: the state no screenshot shows
            self.probe.pause()
            try:
                self.layout_audit.record(f"{self.shot:02d}+keyboard-{field_name}", self.window)
            finally:
                self.probe.resume()
        type_keys(self.window.keyboard, text, self.press_key)

    def screenshot(self, name: str) -> Path:
        """Save the window as it is, and audit its layout if asked (``layout_audit``); the probe pauses
        meanwhile (saving a PNG and the audit are the walkthrough's work, not the kiosk's)."""
        self.probe.pause()
        try:
            self.shot += 1
            path = self.screens_dir / f"{self.shot:02d}-{name}.png"
            self.window.grab().save(str(path))
            if self.layout_audit is not None:
                self.layout_audit.record(path.stem, self.window)
        finally:
            self.probe.resume()
        return path

    def on_screen(self, state: State, timeout_s: float = 20.0) -> None:
        self.wait_until(lambda: self.window.session.state == state
                        and self.window.stack.currentWidget() is self.window.screens[state], f"screen {state}",
                        timeout_s)
        self.settle(20)

    def start_dossier(self, procedure_id: str = BIRTH) -> None:
        """From the home screen to ``procedure_id``'s card screen (:func:`to_card_screen`)."""
        to_card_screen(self.click, self.on_screen, procedure_id)


__all__ = ["BIRTH", "ScreenDriver", "WalkthroughError", "presses_for", "scroll_into_view", "tap",
           "to_card_screen", "touchscreen", "type_keys", "wait_in_loop"]
