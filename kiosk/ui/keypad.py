"""Keys for those who cannot use the touchscreen (issue 21, ADA 707.6): a USB numeric keypad or arrow keys.

Down/Right (keypad 2/6) move a thick, high-contrast ring to the next control of the screen in reading order
(top to bottom, then left to right), Up/Left (8/4) to the one before; Enter activates it (a field takes the
typing); Clear, Back, Backspace or the keypad's "/" goes back; 5 says the screen again; + and - set the volume.
Each control the ring reaches is spoken. Inside a text field the keys keep their editing meaning (the field
takes them) except Up/Down and Enter, which leave it for the next control. Escape stays the kiosk's: it does
nothing (no way out of the shell without the maintenance PIN).

The ring is a frame drawn over the control, not Qt's keyboard focus: the kiosk's buttons take no focus, so a
touch never steals it from the field the on-screen keyboard types into. The navigator watches the window's
own key events (the ones no field took), so it needs nothing from the screens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)

from kiosk.ui.widgets import scroll_areas_of

if TYPE_CHECKING:
    from kiosk.ui.voice import Voice

RING_PX = 8
#: the ring's colour: amber on both the light and the high-contrast theme (>= 3:1 against either)
RING_STYLE = f"QFrame {{ border: {RING_PX}px solid #FFB000; border-radius: 8px; background: transparent; }}"
_CONTROLS = (QAbstractButton, QLineEdit, QPlainTextEdit, QListWidget)


class KeypadNavigator(QObject):
    def __init__(self, window: Any, voice: Voice | None) -> None:
        super().__init__(window)
        self.window = window
        self.voice = voice
        self.current: QWidget | None = None
        self.ring = QFrame(window)
        self.ring.setObjectName("keypad-ring")
        self.ring.setStyleSheet(RING_STYLE)
        from PySide6.QtCore import Qt

        self.ring.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # a touch goes through it
        self.ring.hide()
        window.installEventFilter(self)
        window.sig_screen_changed.connect(self._on_window_screen_changed)

    # --- what the keys do -------------------------------------------------------------------------
    def controls(self) -> list[QWidget]:
        """The controls a key can reach now, in reading order: the header, the screen, the keyboard."""
        window = self.window
        found = [w for w in window.findChildren(QWidget) if isinstance(w, _CONTROLS) and w.isVisible()
                 and w.isEnabled() and w is not self.ring and _on_screen(w, window)]

        def reading_order(w: QWidget) -> tuple[int, int, int, int]:
            # One line: within 24 px of each other. What a scroll area holds is read in its own order, where the
            # area stands: a control scrolled out of sight sits, in window terms, under the buttons below the
            # area (or among the docked keyboard's keys), and the ring passed it by (a form's last checkbox at
            # 1366x768 with the keyboard open was never reached).
            # Lines are told apart by the controls' middles: a row's choices of two and three lines are centred.
            middle = QPoint(0, w.height() // 2)
            areas = scroll_areas_of(w)  # the innermost
            area = areas[0] if areas else None
            if area is None:
                at = w.mapTo(window, middle)
                return at.y() // 24, at.x(), 0, 0
            corner = area.mapTo(window, QPoint(0, 0))
            inside = w.mapTo(area.widget(), middle)
            return corner.y() // 24, corner.x(), 1 + inside.y() // 24, inside.x()

        return sorted(found, key=reading_order)

    def move(self, step: int) -> None:
        controls = self.controls()
        if not controls:
            return
        index = controls.index(self.current) if self.current in controls else (-1 if step > 0 else 0)
        self.show_ring(controls[(index + step) % len(controls)])

    def show_ring(self, widget: QWidget) -> None:
        self.current = widget
        self.window._scroll_into_view(widget)  # noqa: SLF001 (the window's one way to bring a widget in view)
        top_left = widget.mapTo(self.window, QPoint(0, 0))
        self.ring.setGeometry(QRect(top_left, widget.size()).adjusted(-RING_PX, -RING_PX, RING_PX, RING_PX))
        self.ring.show()
        self.ring.raise_()
        if self.voice is not None:
            if isinstance(widget, (QLineEdit, QPlainTextEdit)) and widget.property("spoken_label"):
                self.voice.say_field(widget)  # its value is heard, never written to the transcript
            else:
                self.voice.say(_spoken(widget))

    def activate(self) -> None:
        widget = self.current
        if widget is None or not widget.isVisible() or not widget.isEnabled():
            self.move(1)
            return
        if isinstance(widget, QAbstractButton):
            widget.click()
        else:
            widget.setFocus()  # a field: the keypad or the on-screen keyboard types into it

    def hide_ring(self) -> None:
        self.current = None
        self.ring.hide()

    # --- the window's key events ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is not self.window or event.type() != QEvent.Type.KeyPress:
            return False
        from PySide6.QtCore import Qt

        key, text = event.key(), event.text()  # type: ignore[attr-defined]
        # the keypad's digits with Num Lock on, its arrows with Num Lock off, or a keyboard's arrows and Tab
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Tab) or text in ("2", "6"):
            self.move(1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Left, Qt.Key.Key_Backtab) or text in ("8", "4"):
            self.move(-1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Select):
            typing = self.window.focusWidget()
            if isinstance(typing, (QLineEdit, QPlainTextEdit)) and self.current in (None, typing):
                self.current = typing  # Enter in the field being typed into: on to the control after it
                self.move(1)
            else:
                self.activate()  # a button is pressed; a field the ring is on takes the typing
        elif key in (Qt.Key.Key_Clear, Qt.Key.Key_Back, Qt.Key.Key_Backspace) or text == "/":
            self.hide_ring()
            self.window.back()
        elif text == "5":
            if self.voice is not None:
                self.voice.repeat()
        elif text in ("+", "-"):
            if self.voice is not None:
                (self.voice.speaker.volume_up if text == "+" else self.voice.speaker.volume_down)()
        else:
            return False
        return True  # the key was the navigator's: the window does nothing more with it

    def _on_window_screen_changed(self, _state: str) -> None:
        self.hide_ring()  # a new screen: the next key starts from its first control


def _on_screen(widget: QWidget, window: QWidget) -> bool:
    """Visible inside the window and not scrolled out of its scroll area (the keypad scrolls it back in)."""
    return widget.window() is window and widget.isVisibleTo(window)


def _spoken(widget: QWidget) -> str:
    """What a control says when the ring reaches it: a field its label and value, a button its words."""
    label = str(widget.property("spoken_label") or "")
    text = widget.text() if hasattr(widget, "text") else ""
    return " ".join(p for p in (label, text) if p).strip() or widget.objectName()


def attach_keypad(window: Any) -> KeypadNavigator:
    window.keypad = KeypadNavigator(window, window.ctx.voice)
    return window.keypad
