"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
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
           parent: QWidget | None = None, wrap: bool | None = None) -> QPushButton:
    """A touch button. Its words go onto more lines when its room is narrower than its text (portrait,
    large text, English) unless ``wrap`` is False; header buttons shorten their labels instead
    (``KioskWindow.fit_header``) and keyboard keys are one symbol, so they do not wrap by default."""
    if wrap is None:
        wrap = role not in ("header", "key")
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
        # The least height it keeps; a wrapped text raises its minimum above it, because a row of
        # buttons (QBoxLayout) caps its height at its Fixed neighbours' and would cut the lines.
        self.floor_height = 0
        self._raised = False

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        self._full = text
        self._rewrap()

    def full_text(self) -> str:
        return self._full

    def set_floor_height(self, height: int) -> None:
        self.floor_height = height
        self._rewrap()

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
        # Only a height this button set itself is touched: the style sheet's min-height stays.
        need = super().sizeHint().height() if len(lines) > 1 else 0
        want = max(self.floor_height, need)
        if want or self._raised:
            self._raised = bool(want)
            if want != self.minimumHeight():
                self.setMinimumHeight(want)

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


class AdaptiveRow(QBoxLayout):
    """Two parts side by side in a landscape area, one above the other in a portrait one.

    Decided from the rectangle the layout is given, not from a fixed screen size, so it follows the
    window, the docked keyboard and the text size. ``portrait_first`` says which part goes on top
    when stacked (index into the parts as added): the guide video goes above the procedure's text.
    """

    def __init__(self, spacing: int = 24, portrait_first: int = 0) -> None:
        super().__init__(QBoxLayout.Direction.LeftToRight)
        self.setSpacing(spacing)
        self.portrait_first = portrait_first

    @property
    def stacked(self) -> bool:
        return self.direction() in (QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.BottomToTop)

    def setGeometry(self, rect) -> None:  # noqa: N802 (Qt override)
        if rect.width() < rect.height():
            wanted = (QBoxLayout.Direction.TopToBottom if self.portrait_first == 0
                      else QBoxLayout.Direction.BottomToTop)
        else:
            wanted = QBoxLayout.Direction.LeftToRight
        if self.direction() != wanted:
            # changing direction invalidates the layout; Qt lays it out again with the new direction
            self.setDirection(wanted)
        super().setGeometry(rect)


class ReflowGrid(QLayout):
    """Equal cells in as many columns as the widest cell's text allows (at most ``max_columns``), row after
    row: the service-area chips and the home tiles take one row on a landscape screen and two or three on
    a portrait one or with large text, instead of cutting their words."""

    def __init__(self, max_columns: int, spacing: int = 12, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_columns = max_columns
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)
        self._items: list = []

    # --- QLayout's item bookkeeping -----------------------------------------------------------------
    def addItem(self, item) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802 (Qt override)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802 (Qt override)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # --- geometry -------------------------------------------------------------------------------------
    def _shown(self) -> list:
        return [item for item in self._items if not item.isEmpty()]

    def columns_for(self, width: int) -> int:
        shown = self._shown()
        if not shown:
            return 1
        cell = max(item.sizeHint().width() for item in shown)
        fits = (width + self.spacing()) // (cell + self.spacing())
        return max(1, min(self.max_columns, len(shown), fits))

    def _rows(self, width: int) -> tuple[int, list[list]]:
        shown = self._shown()
        columns = self.columns_for(width)
        return columns, [shown[i:i + columns] for i in range(0, len(shown), columns)]

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        _columns, rows = self._rows(width)
        heights = [max(item.sizeHint().height() for item in row) for row in rows]
        return sum(heights) + self.spacing() * max(0, len(rows) - 1)

    def sizeHint(self):  # noqa: N802 (Qt override)
        from PySide6.QtCore import QSize

        shown = self._shown()
        if not shown:
            return QSize(0, 0)
        columns = min(self.max_columns, len(shown))
        cell = max(item.sizeHint().width() for item in shown)
        width = columns * cell + self.spacing() * (columns - 1)
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self):  # noqa: N802 (Qt override)
        from PySide6.QtCore import QSize

        shown = self._shown()
        if not shown:
            return QSize(0, 0)
        width = max(item.minimumSize().width() for item in shown)
        return QSize(width, self.heightForWidth(width))

    def setGeometry(self, rect) -> None:  # noqa: N802 (Qt override)
        from PySide6.QtCore import QRect

        super().setGeometry(rect)
        columns, rows = self._rows(rect.width())
        cell = (rect.width() - self.spacing() * (columns - 1)) // columns
        y = rect.y()
        for row in rows:
            height = max(item.sizeHint().height() for item in row)
            for c, item in enumerate(row):
                item.setGeometry(QRect(rect.x() + c * (cell + self.spacing()), y, cell, height))
            y += height + self.spacing()


class FitLabel(QLabel):
    """One line of large text (a dossier code, a queue number) drawn smaller when its room is narrower:
    "00073-261203-0002" has no place to break and is wider than a portrait screen in large text.
    The ``fits`` property tells the layout audit that this label shrinks instead of clipping."""

    def __init__(self, role: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if role:
            self.setProperty("role", role)
        self.setProperty("fits", True)
        self.setWordWrap(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def minimumSizeHint(self):  # noqa: N802 (Qt override): it can shrink to a third of its width
        hint = super().minimumSizeHint()
        hint.setWidth(hint.width() // 3)
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        from PySide6.QtGui import QPainter

        room = self.contentsRect()
        need = self.fontMetrics().horizontalAdvance(self.text())
        if need <= room.width() or not self.text():
            super().paintEvent(event)
            return
        font = self.font()
        size = font.pixelSize() if font.pixelSize() > 0 else round(font.pointSizeF() * self.logicalDpiY() / 72)
        font.setPixelSize(max(8, int(size * room.width() / need)))
        painter = QPainter(self)
        painter.setFont(font)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(room, int(self.alignment()), self.text())
        painter.end()
