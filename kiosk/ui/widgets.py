"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, QSizeF
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

# PySide builds a class's Python enums when its name is imported: the classes only a field, a swipe, a paint or a
# style question needs (QLineEdit, QScroller, QAbstractItemView, QStyle, QPainter...) are imported where used, not
# before the home screen is shown. The same goes for the ``Qt`` namespace (~100 enums, ~15 ms, more than all the
# other classes the home screen uses together): what the home screen sets is set by name (set_qt_enum), and
# ``Qt`` is imported only by code that runs later.
if TYPE_CHECKING:
    from PySide6.QtWidgets import QAbstractScrollArea, QLineEdit, QScroller

#: Called on every button press (the session's idle clock). Not an application-wide event filter:
#: that would call into Python for every event Qt delivers, and under a busy worker thread each of
#: those calls waits for the GIL, which added up to visible stalls.
ACTIVITY_LISTENERS: list[Callable[[], None]] = []


def notify_activity() -> None:
    for listener in ACTIVITY_LISTENERS:
        listener()


def set_qt_enum(widget: QObject, name: str, key: str) -> None:
    """Set the Qt property ``name`` of enum type to its value called ``key`` (e.g. "focusPolicy", "NoFocus"),
    through Qt's meta-object, as a .ui file or a style sheet's ``qproperty-`` does. Not
    ``setFocusPolicy(Qt.FocusPolicy.NoFocus)``: the first use of any ``Qt.`` enum makes PySide build the whole
    ``Qt`` namespace, ~15 ms that the bare Qt window the start-up is measured against never pays, and the home
    screen (the labels and buttons made here) is built before the kiosk can first be touched."""
    if not widget.setProperty(name, key):  # no such property (a dynamic one was made), or no such key
        raise ValueError(f"{type(widget).__name__} has no enum property {name!r} with a value {key!r}")


def label(text: str = "", role: str | None = None, wrap: bool = True, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    set_qt_enum(widget, "textInteractionFlags", "NoTextInteraction")
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
    set_qt_enum(widget, "focusPolicy", "NoFocus")  # the field keeps focus for the on-screen keyboard
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    widget.pressed.connect(notify_activity)
    if slot is not None:
        widget.clicked.connect(lambda _=False: slot())
    return widget


#: Qt::TextShowMnemonic, the flag QPushButton measures its text with (QFontMetrics.size takes the flags as an
#: int; the named ``Qt.TextFlag`` would build the ``Qt`` namespace's enums while the home screen is laid out).
TEXT_SHOW_MNEMONIC = 0x0800


#: Pixels a wrapping button keeps free beside its longest line (see WrapButton.minimumSizeHint).
FRAME_SLACK = 6


class WrapButton(QPushButton):
    """A push button whose text takes as many lines as its width needs (QPushButton never wraps): a form's
    choice like "Người đang nuôi dưỡng trẻ" is cut on a portrait screen otherwise. ``full_text()`` is the
    text as set; ``text()`` carries the line breaks shown (none until a layout first places the button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        # The least height it keeps; a wrapped text raises its minimum above it, because a row of
        # buttons (QBoxLayout) caps its height at its Fixed neighbours' and would cut the lines.
        self.floor_height = 0
        self._raised = False
        self._placed = False  # resized once: it has a width of its own to wrap to (see _rewrap)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        self._full = text
        self._rewrap()

    def full_text(self) -> str:
        return self._full

    def set_floor_height(self, height: int) -> None:
        self.floor_height = height
        self._rewrap()

    def _room(self) -> int:
        # The width inside border and padding: the button's width less what its size hint adds around its
        # text. (Asking the style for SE_PushButtonContents builds PySide's QStyle enums, ~10 ms before the
        # home screen shows; a hint held up by min-width only overstates the padding of a one-word text.)
        shown = super().text()
        metrics = self.fontMetrics()
        text_width = max((metrics.horizontalAdvance(line) for line in shown.split("\n")), default=0)
        return self.width() - max(0, super().sizeHint().width() - text_width)

    def _lines(self) -> list[str]:
        metrics = self.fontMetrics()
        room = self._room() - FRAME_SLACK
        lines: list[str] = []
        for word in self._full.split(" "):
            if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return lines

    def _rewrap(self) -> None:
        # Until a layout first places it (its first resize, which comes before it is shown or painted offscreen)
        # a button has no width to wrap to: its whole text waits on one line. Measuring against the style sheet
        # is slow, and before the window is first shown each button's font, style and text change some ten
        # times (~9 ms before the home screen, all of it thrown away).
        lines = self._lines() if self._placed else [self._full]
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
        extra = self.sizeHint().width() - self.fontMetrics().size(TEXT_SHOW_MNEMONIC, super().text()).width()
        # + FRAME_SLACK: the style's contents rectangle is a few pixels inside what the size hint's padding says
        # (an English choice's longest word, "Vietnamese", was cut by 4 px at 1366x768 with the keyboard open)
        hint.setWidth(max(self.minimumWidth(), longest + max(0, extra) + FRAME_SLACK))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        super().resizeEvent(event)
        self._placed = True
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
    from PySide6.QtWidgets import QLineEdit

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
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

    for edit in [root, *root.findChildren(QWidget)]:
        if isinstance(edit, QLineEdit):
            edit.setText("")
        elif isinstance(edit, QPlainTextEdit):
            edit.setPlainText("")
        elif isinstance(edit, QLabel) and edit.property("personal"):
            edit.setText("")


class SwipeArea(QScrollArea):
    """A scroll area inside a screen (a list, the e-form, a result) that asks for little height: a screen
    that scrolls itself (Page.scrolls) adds up its parts' size hints to know how tall it must be, and a
    QScrollArea's hint (up to 24 lines of text) made the whole screen scroll, the form's "Continue" below the
    fold with the keyboard open, to show an area that scrolls anyway. It takes the room its stretch gives."""

    HINT_HEIGHT_PX = 240

    def sizeHint(self):  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        hint.setHeight(min(hint.height(), self.HINT_HEIGHT_PX))
        return hint


def finger_scrolled(content: QWidget, area: type[QScrollArea] = SwipeArea, swipe: bool = True) -> QScrollArea:
    """``content`` in a frameless, vertical-only scroll area that a finger drags as a wheel turns it: for
    pages taller than a 1366x768 or portrait screen leaves them. ``area``: a screen's own page scroll is a
    plain QScrollArea (its hint is the whole page); ``swipe`` False leaves :func:`enable_swipe` to the caller."""
    scroll = area()
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    set_qt_enum(scroll, "horizontalScrollBarPolicy", "ScrollBarAlwaysOff")
    scroll.setWidget(content)
    if swipe:
        enable_swipe(scroll)
    return scroll


def scroll_areas_of(widget: QWidget) -> list[QScrollArea]:
    """The QScrollAreas whose content holds ``widget``, the innermost first: a form's page scrolls inside a
    screen that may scroll too. (By class name: no QScrollArea enums before the home screen is shown.)"""
    areas = []
    parent = widget.parentWidget()
    while parent is not None:
        if parent.inherits("QScrollArea") and parent.widget() is not None and parent.widget().isAncestorOf(widget):
            areas.append(parent)
        parent = parent.parentWidget()
    return areas


#: How far a finger travels before a touch becomes a swipe (metres, as QScrollerProperties counts): a tap
#: wobbles a millimetre or two, an elderly citizen's a little more; past this the buttons under it stay up.
SWIPE_START_M = 0.004
#: How long a touch in a swipeable area waits before it presses what is under it (seconds): a swipe that
#: starts on a button moves past SWIPE_START_M well within it, so the button never goes down; a tap is
#: released sooner and is replayed at once as a press and a release, so taps do not wait for it.
SWIPE_PRESS_DELAY_S = 0.2


def enable_swipe(area: QAbstractScrollArea) -> QScroller:
    """Make ``area`` scroll under a dragged finger, with a fling that glides to a stop: the one way a
    citizen's scrolling list, page or text is made swipeable (DESIGN.md section 11: kinetic touch
    scrolling everywhere).

    The left-mouse-button gesture serves fingers too: a touchscreen's touches reach the widgets as mouse
    events Qt makes from them (none of the kiosk's widgets takes touch events), and a technician's mouse
    drags the same way. The content stops at its ends instead of overshooting (the bounce reads as a
    fault on a kiosk), and a touch presses nothing until it is known not to be a swipe."""
    from PySide6.QtWidgets import QAbstractItemView, QScroller, QScrollerProperties

    viewport = area.viewport()
    if isinstance(area, QAbstractItemView):
        # per item, a 60 px drag would move the list by 60 rows: the content follows the finger per pixel
        area.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        area.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    # answers the scroller's questions where Qt's own answers are wrong for a kiosk (nested areas, lines)
    viewport.installEventFilter(_SwipeArea(area))
    QScroller.grabGesture(viewport, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    scroller = QScroller.scroller(viewport)
    props = scroller.scrollerProperties()
    metric = QScrollerProperties.ScrollMetric
    off = QScrollerProperties.OvershootPolicy.OvershootAlwaysOff
    props.setScrollMetric(metric.VerticalOvershootPolicy, off)
    props.setScrollMetric(metric.HorizontalOvershootPolicy, off)
    props.setScrollMetric(metric.DragStartDistance, SWIPE_START_M)
    props.setScrollMetric(metric.MousePressEventDelay, SWIPE_PRESS_DELAY_S)
    scroller.setScrollerProperties(props)
    _no_double_taps()
    return scroller


def _no_double_taps() -> None:
    """Qt turns a touch that comes within the double-click interval of the last one into a double click,
    wherever on the screen it lands, and a double click cancels the swipe gesture: a citizen who touched a
    chip and swiped the list at once saw the list stand still. Nothing on the kiosk answers a double
    click, so there is none (process-wide; set here because swiping is what needs it)."""
    from PySide6.QtGui import QGuiApplication

    hints = QGuiApplication.styleHints()
    if hints is not None and hints.mouseDoubleClickInterval() != 0:
        hints.setMouseDoubleClickInterval(0)


class _SwipeArea(QObject):
    """What the scroller asks a swipeable area's viewport before it moves it (QScrollPrepareEvent) and then
    tells it (QScrollEvent), answered where Qt's own answer is wrong for a kiosk:

    - areas inside areas (a screen's page scrolls, and so does its form or list): the innermost one that
      can scroll takes a swipe that starts on it, the page around it stays put (both moved otherwise);
    - a QPlainTextEdit's scroll bar counts lines, and the scroller moves it one step per pixel (a 100 px
      swipe went 100 lines down): the scroller is told pixels, the scroll bar gets lines."""

    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__(area)
        from PySide6.QtWidgets import QPlainTextEdit

        self.area = area
        self.lines = isinstance(area, QPlainTextEdit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.ScrollPrepare:
            if self._inner_area_scrolls_at(event.startPos().toPoint()):
                event.ignore()  # not prepared: this scroller stays inactive for this touch
                return True
            if self.lines:
                self._prepare_in_lines(event)
                return True
        elif kind == QEvent.Type.Scroll and self.lines:
            line = self._line()
            pos = event.contentPos()
            across, bar = self.area.horizontalScrollBar(), self.area.verticalScrollBar()
            across.setValue(across.minimum() + round(pos.x()))
            bar.setValue(bar.minimum() + round(pos.y() / line))
            return True
        return False

    def _inner_area_scrolls_at(self, point) -> bool:  # noqa: ANN001 (a QPoint in the viewport)
        from PySide6.QtWidgets import QAbstractScrollArea, QScroller

        viewport = self.area.viewport()
        widget = viewport.childAt(point)
        while widget is not None and widget is not viewport:
            holder = widget.parentWidget()
            if isinstance(holder, QAbstractScrollArea) and holder.viewport() is widget \
                    and QScroller.hasScroller(widget):
                bars = (holder.verticalScrollBar(), holder.horizontalScrollBar())
                if any(bar.maximum() > bar.minimum() for bar in bars):
                    return True
            widget = holder
        return False

    def _line(self) -> int:
        return max(1, self.area.fontMetrics().lineSpacing())

    def _prepare_in_lines(self, event: QEvent) -> None:
        line = self._line()
        bar, across = self.area.verticalScrollBar(), self.area.horizontalScrollBar()
        event.setViewportSize(QSizeF(self.area.viewport().size()))
        event.setContentPosRange(QRectF(0, 0, across.maximum() - across.minimum(),
                                        (bar.maximum() - bar.minimum()) * line))
        event.setContentPos(QPointF(across.value() - across.minimum(), (bar.value() - bar.minimum()) * line))
        event.accept()


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
        # The window's shape when the row is in one: the row's own rectangle, in a page that scrolls, gets
        # taller when the row stacks and wider when it does not, and a rectangle near square flipped the
        # direction back and forth inside one layout pass until the stack overflowed (a crash at 1366x768,
        # large text, on the details screen with a long fee text).
        parent = self.parentWidget()
        shape = parent.window().rect() if parent is not None and parent.window().isVisible() else rect
        if shape.width() < shape.height():
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
        shown = self._shown()
        if not shown:
            return QSize(0, 0)
        columns = min(self.max_columns, len(shown))
        cell = max(item.sizeHint().width() for item in shown)
        width = columns * cell + self.spacing() * (columns - 1)
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self):  # noqa: N802 (Qt override)
        shown = self._shown()
        if not shown:
            return QSize(0, 0)
        width = max(item.minimumSize().width() for item in shown)
        return QSize(width, self.heightForWidth(width))

    def setGeometry(self, rect) -> None:  # noqa: N802 (Qt override)
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
        set_qt_enum(self, "textInteractionFlags", "NoTextInteraction")

    def minimumSizeHint(self):  # noqa: N802 (Qt override): it can shrink to a third of its width
        hint = super().minimumSizeHint()
        hint.setWidth(hint.width() // 3)
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        room = self.contentsRect()
        need = self.fontMetrics().horizontalAdvance(self.text())
        if need <= room.width() or not self.text():
            super().paintEvent(event)
            return
        font = self.font()
        size = font.pixelSize() if font.pixelSize() > 0 else round(font.pointSizeF() * self.logicalDpiY() / 72)
        font.setPixelSize(max(8, int(size * room.width() / need)))
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        painter.setFont(font)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(room, int(self.alignment()), self.text())
        painter.end()


class FitButton(QPushButton):
    """A key of the on-screen keyboard: one short label ("⌫ Xoá", "Ẩn bàn phím") drawn smaller when the key
    is narrower than its text (a portrait screen with large text has eleven keys in 1,080 px), never below
    ``MIN_SCALE`` of its font. The ``fits`` property tells the layout audit so, which then checks the label
    at that smallest size."""

    MIN_SCALE = 0.55

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("fits", self.MIN_SCALE)

    def minimumSizeHint(self):  # noqa: N802 (Qt override): the label may shrink, so may the key
        hint = super().minimumSizeHint()
        hint.setWidth(max(self.minimumWidth(), int(hint.width() * self.MIN_SCALE)))
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QPainter, QPixmap
        from PySide6.QtWidgets import QStyle, QStyleOptionButton, QStylePainter

        option = QStyleOptionButton()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        text = option.text
        need = self.fontMetrics().horizontalAdvance(text) + 4
        if need <= room.width() or not text:
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option.text = ""  # the bevel as the style draws it
        painter.drawControl(QStyle.ControlElement.CE_PushButtonBevel, option)
        # The label as the style draws it (its font, and its colour for this state: a checked Shift is light
        # on dark) on a strip as wide as the text needs, then drawn into the key's room at the scale that fits.
        # The style takes its font from the style sheet, not from the painter, so it cannot be asked smaller.
        ratio = self.devicePixelRatioF()
        strip = QPixmap(int(need * ratio), int(room.height() * ratio))
        strip.setDevicePixelRatio(ratio)
        strip.fill(Qt.GlobalColor.transparent)
        label = QStyleOptionButton(option)
        label.text = text
        label.rect = QRect(0, 0, need, room.height())
        strip_painter = QStylePainter(strip, self)
        strip_painter.drawControl(QStyle.ControlElement.CE_PushButtonLabel, label)
        strip_painter.end()
        scale = max(self.MIN_SCALE, room.width() / need)
        width, height = int(need * scale), int(room.height() * scale)
        target = QRect(room.x() + (room.width() - width) // 2, room.y() + (room.height() - height) // 2,
                       width, height)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, strip)
