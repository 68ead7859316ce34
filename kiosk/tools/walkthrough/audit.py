"""The layout audit: what a person would see as wrong on the kiosk window as it is now (issue 19, item 4).

It looks only at Qt widgets (never at a screen's internals), the visible ones of the window's parts: the
header, the current screen (the stack shows only that one) and the on-screen keyboard when it is open; a
visible overlay is walked too. Five kinds of finding, each rule kept simple so a finding is something
one would point at on the screen:

``clipped``
    A text that does not fit its widget. A button (push button, check box, radio button): its text's
    width (``QFontMetrics.size``, several lines included) plus its icon is wider, or its text taller, than
    the room the style leaves for it inside border and padding (``SE_PushButtonContents`` and friends).
    A label without word wrap: its ``sizeHint()`` (the whole text, margins and indent included) is wider or
    taller than the label. A label with word wrap: ``heightForWidth(width)`` is taller than the label,
    unless the label is inside a scroll area (the area's content grows; the label is not cut), or a piece of
    it that no line may break inside (``QTextBoundaryFinder``, e.g. a dossier code) is wider. Labels
    without text (images) are skipped; the kiosk elides no label, so there is no elision to allow for
    (a FitLabel, property "fits", draws smaller instead). A FitButton (a keyboard key) draws its label down
    to the share of its font its "fits" property gives: it is clipped only if it does not fit even then.
``overlap``
    Two visible interactive widgets (buttons, check boxes, line and text edits, combo and spin boxes), neither
    inside the other, whose visible rectangles (clipped to their ancestors, so a row scrolled out of a
    scroll area does not count) share at least ``OVERLAP_MIN_PX`` pixels each way. A part of the window
    outside its layout (the idle overlay, which dims the screen under it) is compared only with itself.
``off_window``
    A visible interactive widget not entirely inside the window. A widget inside a scroll area can be
    scrolled into view, so it is not checked itself; its outermost scroll area is checked instead (content
    running off the window's edge takes its scroll bar with it).
``behind_keyboard``
    While the keyboard is open, the focused field's rectangle (as laid out, not clipped by a scroll area)
    meets the keyboard's: the citizen types into a field they cannot see.
``small_target``
    A visible button narrower or lower than 15 mm at the theme's DPI (``15 / 25.4 * dpi`` px).

:func:`audit_window` returns ``{kind: count, "findings": [...]}``: counts for all five kinds and at
most ``MAX_FINDINGS`` findings, each ``{kind, widget, text, detail}`` (``widget``: the object name, else the
class; ``text``: its first 40 characters). :class:`LayoutAudit` collects one per screenshot for
journey.json's ``layout_audit``.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6 import QtGui
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTextBoundaryFinder
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QTextEdit,
    QWidget,
)

KINDS = ("clipped", "overlap", "off_window", "behind_keyboard", "small_target")
MAX_FINDINGS = 20
#: Two rectangles must share this much each way to overlap: a border's pixel of rounding is not an overlap.
OVERLAP_MIN_PX = 2
#: The smallest target a finger can hit reliably (DESIGN.md; kiosk.ui.theme.MIN_TOUCH_MM).
MIN_TARGET_MM = 15.0
INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit)


def _global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def _visible_rect(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` its ancestors up to ``top`` let through (a scroll area's viewport cuts it)."""
    rect = _global_rect(widget)
    parent = widget.parentWidget()
    while parent is not None and rect.isValid():
        rect = rect.intersected(_global_rect(parent))
        if parent is top:
            break
        parent = parent.parentWidget()
    return rect


def _scroll_areas(widget: QWidget, top: QWidget) -> list[QAbstractScrollArea]:
    """The scroll areas ``widget`` is inside (in their viewport, not their scroll bars), innermost first."""
    found: list[QAbstractScrollArea] = []
    child, parent = widget, widget.parentWidget()
    while parent is not None and child is not top:
        if isinstance(parent, QAbstractScrollArea) and child is parent.viewport():
            found.append(parent)
        child, parent = parent, parent.parentWidget()
    return found


def _name(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def _text(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return text if isinstance(text, str) else ""


def _button_room(button: QAbstractButton) -> tuple[QRect, int]:
    """The rectangle the style leaves for a button's text and icon, and the icon's width with its gap."""
    option = QStyleOptionButton()
    option.initFrom(button)
    option.text = button.text()
    option.icon = button.icon()
    option.iconSize = button.iconSize()
    element = QStyle.SubElement.SE_PushButtonContents
    if isinstance(button, QCheckBox):
        element = QStyle.SubElement.SE_CheckBoxContents
    elif isinstance(button, QRadioButton):
        element = QStyle.SubElement.SE_RadioButtonContents
    room = button.style().subElementRect(element, option, button)
    icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
    return room, icon


def _longest_unbreakable(widget: QLabel, text: str) -> int:
    """The width of the widest piece of ``text`` that a line cannot be broken inside (Unicode line
    breaking, as Qt's word wrap does): a dossier code like 00073-261203-0002 is one such piece."""
    if widget.textFormat() == Qt.TextFormat.RichText or QtGui.Qt.mightBeRichText(text):
        return 0
    metrics = widget.fontMetrics()
    widest = 0
    for line in text.split("\n"):
        finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Line, line)
        start = 0
        while (end := finder.toNextBoundary()) != -1:
            widest = max(widest, metrics.horizontalAdvance(line[start:end].rstrip()))
            start = end
    return widest


def _clipped(widget: QWidget) -> str | None:
    """Why ``widget``'s text does not fit it, or None."""
    text = _text(widget)
    if not text.strip():
        return None
    if isinstance(widget, (QPushButton, QCheckBox, QRadioButton)):
        room, icon = _button_room(widget)
        need = widget.fontMetrics().size(Qt.TextFlag.TextShowMnemonic, text)
        shrink = widget.property("fits")  # a FitButton draws its label down to this share of its font size
        if isinstance(shrink, float) and 0 < shrink < 1:
            need = QSize(int(need.width() * shrink), int(need.height() * shrink))
        if need.width() + icon > room.width() + 1:
            return f"text {need.width() + icon} px wide in {room.width()} px"
        if need.height() > room.height() + 1:
            return f"text {need.height()} px tall in {room.height()} px"
        return None
    if isinstance(widget, QLabel):
        if widget.property("fits"):
            return None  # a FitLabel draws its one line smaller rather than cutting it
        if widget.wordWrap():
            word = _longest_unbreakable(widget, text)
            if word > widget.contentsRect().width() + 1:
                return f"unbreakable text {word} px wide in {widget.contentsRect().width()} px"
            if _scroll_areas(widget, widget.window()):
                return None
            need_h = widget.heightForWidth(widget.width())
            if need_h > widget.height() + 1:
                return f"wrapped text {need_h} px tall in {widget.height()} px"
            return None
        need = widget.sizeHint()
        if need.width() > widget.width() + 1:
            return f"text {need.width()} px wide in {widget.width()} px (no wrap)"
        if need.height() > widget.height() + 1:
            return f"text {need.height()} px tall in {widget.height()} px"
    return None


def _finding(kind: str, widget: QWidget, detail: str) -> dict[str, str]:
    return {"kind": kind, "widget": _name(widget), "text": _text(widget)[:40], "detail": detail}


def _parts(window: QWidget) -> list[QWidget]:
    """The window's visible parts (header, screen stack, keyboard, overlay): its direct children."""
    return [w for w in window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if w.isVisible()]


def _visible_widgets(window: QWidget) -> list[tuple[QWidget, QWidget]]:
    """Each visible widget with the part it is in."""
    widgets: list[tuple[QWidget, QWidget]] = []
    for part in _parts(window):
        widgets.append((part, part))
        # isVisible() is False under a hidden ancestor: the stack's other screens drop out here
        widgets += [(w, part) for w in part.findChildren(QWidget) if w.isVisible()]
    return widgets


def _floating(part: QWidget, window: QWidget) -> bool:
    """A part outside the window's layout (the idle overlay): drawn over the rest on purpose, like a dialog.
    A window without a layout places every part by hand: none floats."""
    layout = window.layout()
    return layout is not None and layout.indexOf(part) < 0


def audit_window(window: QWidget, dpi: float | None = None, keyboard: QWidget | None = None) -> dict[str, Any]:
    """The layout findings on ``window`` now. ``dpi`` defaults to ``window.ctx.theme.dpi`` (else 96);
    ``keyboard`` to the window's on-screen keyboard if it has one built."""
    if dpi is None:
        theme = getattr(getattr(window, "ctx", None), "theme", None)
        dpi = float(getattr(theme, "dpi", 96.0) or 96.0)
    if keyboard is None:
        keyboard = getattr(window, "_keyboard", None)  # the property would build one on a screen without fields
    min_px = MIN_TARGET_MM / 25.4 * dpi
    findings: list[dict[str, str]] = []
    counts = dict.fromkeys(KINDS, 0)

    def add(kind: str, widget: QWidget, detail: str) -> None:
        counts[kind] += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(_finding(kind, widget, detail))

    in_parts = _visible_widgets(window)
    widgets = [w for w, _part in in_parts]
    part_of = {id(w): part for w, part in in_parts}
    floating = {id(part) for part in _parts(window) if _floating(part, window)}
    window_rect = _global_rect(window)
    interactive = [w for w in widgets if isinstance(w, INTERACTIVE)]

    for widget in widgets:
        if isinstance(widget, (QLabel, QAbstractButton)) and (why := _clipped(widget)):
            add("clipped", widget, why)

    visible = [(w, _visible_rect(w, window)) for w in interactive]
    visible = [(w, r) for w, r in visible if r.isValid() and not r.isEmpty()]
    for i, (a, ra) in enumerate(visible):
        for b, rb in visible[i + 1:]:
            shared = ra.intersected(rb)
            if shared.width() < OVERLAP_MIN_PX or shared.height() < OVERLAP_MIN_PX:
                continue
            if a.isAncestorOf(b) or b.isAncestorOf(a):
                continue
            part_a, part_b = part_of[id(a)], part_of[id(b)]
            if part_a is not part_b and (id(part_a) in floating or id(part_b) in floating):
                continue  # the overlay's button over the screen it dims is not two buttons in each other's way
            add("overlap", a, f"overlaps {_name(b)} ({_text(b)[:20]!r}) by {shared.width()}x{shared.height()} px")

    checked: set[int] = set()
    for widget in interactive:
        areas = _scroll_areas(widget, window)
        target = areas[-1] if areas else widget
        if id(target) in checked:
            continue
        checked.add(id(target))
        rect = _global_rect(target)
        if not window_rect.contains(rect):
            add("off_window", target, f"{rect.x() - window_rect.x()},{rect.y() - window_rect.y()} "
                                      f"{rect.width()}x{rect.height()} outside the window's "
                                      f"{window_rect.width()}x{window_rect.height()}")

    focused = QApplication.focusWidget()
    if keyboard is not None and keyboard.isVisible() and focused is not None and window.isAncestorOf(focused) \
            and not keyboard.isAncestorOf(focused) and focused is not keyboard:
        field, board = _global_rect(focused), _global_rect(keyboard)
        if field.intersects(board):
            top, bottom, board_top = (v - window_rect.y() for v in (field.y(), field.bottom(), board.y()))
            add("behind_keyboard", focused, f"focused field at y {top}..{bottom}, keyboard from y {board_top}")

    for widget in interactive:
        if isinstance(widget, QAbstractButton) and (widget.width() < min_px or widget.height() < min_px):
            add("small_target", widget, f"{widget.width()}x{widget.height()} px, under {min_px:.0f} px "
                                        f"(15 mm at {dpi:g} dpi)")
    return {**counts, "findings": findings}


class LayoutAudit:
    """The audits of one walkthrough, one per screen state (``record``), as journey.json's ``layout_audit``."""

    def __init__(self, screen: str, large_text: bool, lang: str) -> None:
        self.screen = screen
        self.large_text = large_text
        self.lang = lang
        self.by_screen: dict[str, dict[str, Any]] = {}
        self._first: dict[str, str] = {}  # state -> the name it was first audited under
        self.passes: dict[str, int] = {}

    def record(self, name: str, window: QWidget) -> dict[str, Any]:
        """Audit the state ``name`` ("NN-screen" or "NN+keyboard-field"), once: a later round passing the same
        state again is only counted in ``passes`` (a 1,000-journey soak must not grow with its own records)."""
        state = re.sub(r"^\d+[-+]", "", name)
        if state in self._first:
            self.passes[state] += 1
            return self.by_screen[self._first[state]]
        self._first[state] = name
        self.passes[state] = 1
        self.by_screen[name] = audit_window(window)
        return self.by_screen[name]

    def totals(self) -> dict[str, int]:
        """Each kind summed over the states audited (a header button clipped on five screens counts five)."""
        return {kind: sum(entry[kind] for entry in self.by_screen.values()) for kind in KINDS}

    def result(self) -> dict[str, Any]:
        return {"screen": self.screen, "large_text": self.large_text, "lang": self.lang,
                "totals": self.totals(), "by_screen": self.by_screen}


__all__ = ["KINDS", "MAX_FINDINGS", "LayoutAudit", "audit_window"]
