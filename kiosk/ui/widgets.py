"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

#: Called on every button press (the session's idle clock). Not an application-wide event filter:
#: that would call into Python for every event Qt delivers, and under a busy worker thread each of
#: those calls waits for the GIL, which added up to visible stalls.
ACTIVITY_LISTENERS: list[Callable[[], None]] = []


def notify_activity() -> None:
    for listener in ACTIVITY_LISTENERS:
        listener()


def label(text: str = "", role: str | None = None, wrap: bool = True, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return widget


def button(role: str | None = None, slot: Callable[[], None] | None = None, name: str = "",
           parent: QWidget | None = None, wrap: bool = False) -> QPushButton:
    widget = WrapButton(parent) if wrap else QPushButton(parent)
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps focus for the on-screen keyboard
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    widget.pressed.connect(notify_activity)
    if slot is not None:
        widget.clicked.connect(lambda _=False: slot())
    return widget


class WrapButton(QPushButton):
    """A push button whose text takes as many lines as its width needs (QPushButton never wraps): a form's
    choice like "Người đang nuôi dưỡng trẻ" is cut on a portrait screen otherwise. ``full_text()`` is the
    text as set; ``text()`` carries the line breaks shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        self._full = text
        self._rewrap()

    def full_text(self) -> str:
        return self._full

    def _room(self) -> int:
        from PySide6.QtWidgets import QStyle, QStyleOptionButton

        option = QStyleOptionButton()
        option.initFrom(self)
        return self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self).width()

    def _rewrap(self) -> None:
        metrics = self.fontMetrics()
        room = self._room() - 2
        lines: list[str] = []
        for word in self._full.split(" "):
            if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        wrapped = "\n".join(lines)
        if wrapped != super().text():
            super().setText(wrapped)
            self.updateGeometry()

    def minimumSizeHint(self):  # noqa: N802 (Qt override): its longest word, not its whole text
        hint = super().minimumSizeHint()
        words = self._full.split(" ") or [""]
        longest = max(self.fontMetrics().horizontalAdvance(w) for w in words)
        extra = self.sizeHint().width() - self.fontMetrics().size(Qt.TextFlag.TextShowMnemonic,
                                                                   super().text()).width()
        hint.setWidth(max(self.minimumWidth(), longest + max(0, extra)))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        super().resizeEvent(event)
        self._rewrap()

    def changeEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override): a new font or style sheet
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self._rewrap()


def panel(parent: QWidget | None = None) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setProperty("role", "panel")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(24, 18, 24, 18)
    layout.setSpacing(10)
    return frame, layout


def line_edit(keyboard: str = "text", capitalize: bool = False, name: str = "",
              parent: QWidget | None = None) -> QLineEdit:
    widget = QLineEdit(parent)
    widget.setProperty("keyboard", keyboard)
    if capitalize:
        widget.setProperty("capitalize", "words")
    if name:
        widget.setObjectName(name)
    widget.textEdited.connect(lambda _text: notify_activity())
    return widget


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget of a layout, wiping text fields first (personal data)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            wipe_widget_tree(widget)
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())


def wipe_widget_tree(root: QWidget) -> None:
    """Blank every text a widget tree holds (setText also drops the undo history)."""
    for edit in [root, *root.findChildren(QWidget)]:
        if isinstance(edit, QLineEdit):
            edit.setText("")
        elif isinstance(edit, QPlainTextEdit):
            edit.setPlainText("")
        elif isinstance(edit, QLabel) and edit.property("personal"):
            edit.setText("")


def finger_scrolled(content: QWidget) -> QScrollArea:
    """``content`` in a frameless, vertical-only scroll area that a finger drags as a wheel turns it: for
    pages taller than a 1366x768 or portrait screen leaves them."""
    scroll = QScrollArea()
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    QScroller.grabGesture(scroll.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    return scroll


def grid(parent: QWidget | None = None, columns: int = 2) -> QGridLayout:
    layout = QGridLayout(parent)
    layout.setSpacing(16)
    for c in range(columns):
        layout.setColumnStretch(c, 1)
    return layout
