"""Touch first (issue 19): a finger's swipe scrolls the form, the procedure list and the ward list, even when
it starts on a button, and presses nothing; a finger's tap still presses what it touches.

The touches are a touchscreen's (QTest.touchEvent on the window, a registered touch device): Qt makes the
mouse events the widgets and the swipe gesture see from them, as it does on the kiosk's panel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QScroller,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.samples import sample_payload
from kiosk.core.session import State
from kiosk.tools.walkthrough.common import touchscreen
from kiosk.ui.widgets import enable_swipe, finger_scrolled

#: A swipe: the finger goes this far up in this many steps, a frame apart (a finger takes ~0.2 s).
SWIPE_PX = 360
SWIPE_STEPS = 12
FRAME_MS = 16


def _at(window: QWidget, widget: QWidget, point: QPoint | None = None) -> QPoint:
    return widget.mapTo(window, point if point is not None else widget.rect().center())


def swipe_up(qtbot, window: QWidget, start: QPoint) -> None:
    """A finger put down at ``start`` (window coordinates), drawn up SWIPE_PX, lifted: the content below
    comes up, as a citizen reads on."""
    device = touchscreen()
    QTest.touchEvent(window, device, False).press(0, start).commit()
    point = start
    for step in range(1, SWIPE_STEPS + 1):
        qtbot.wait(FRAME_MS)
        point = start - QPoint(0, SWIPE_PX * step // SWIPE_STEPS)
        QTest.touchEvent(window, device, False).move(0, point).commit()
    QTest.touchEvent(window, device, False).release(0, point).commit()


def touch_tap(window: QWidget, at: QPoint) -> None:
    device = touchscreen()
    QTest.touchEvent(window, device, False).press(0, at).commit()
    QTest.touchEvent(window, device, False).release(0, at).commit()


def _shown_ward_other_than(ward_list, code: str):
    """A ward in the middle of the list's view whose code is not ``code``."""
    row = ward_list.row(ward_list.itemAt(ward_list.viewport().rect().center()))
    item = ward_list.item(row)
    return item if item.data(Qt.ItemDataRole.UserRole) != code else ward_list.item(row + 1)


@contextmanager
def _presses(button: QAbstractButton) -> Iterator[list[str]]:
    """What ``button`` went through meanwhile: "pressed" (it went down under the finger), "clicked"."""
    seen: list[str] = []
    notes = [button.pressed.connect(lambda: seen.append("pressed")),
             button.clicked.connect(lambda _checked=False: seen.append("clicked"))]
    try:
        yield seen
    finally:
        for note in notes:  # the screens outlive the test
            button.disconnect(note)


def settled(qtbot, area: QAbstractScrollArea) -> None:
    """The fling glides to a stop (and a later tap in this area is a tap, not a touch that stops it)."""
    qtbot.waitUntil(lambda: QScroller.scroller(area.viewport()).state() == QScroller.State.Inactive, timeout=8000)


def test_a_swipe_that_starts_on_a_form_choice_scrolls_the_form_and_chooses_nothing(driver, kiosk, qtbot):
    driver.to_form(sample_payload(0))
    page = kiosk.screens[State.FORM].page
    bar = page.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > SWIPE_PX)  # the birth form is taller than the screen
    father = driver.find("field-relationship-father")
    assert father.isCheckable() and not father.isChecked()
    before = bar.value()
    with _presses(father) as touched:
        swipe_up(qtbot, kiosk, _at(kiosk, father))
        qtbot.waitUntil(lambda: bar.value() > before)
        settled(qtbot, page)
    assert touched == [] and not father.isChecked() and not father.isDown()
    assert not page.values().get("relationship")


def test_a_swipe_that_starts_on_a_procedure_scrolls_the_list_and_opens_nothing(driver, kiosk, qtbot):
    kiosk.setFixedSize(1366, 768)  # a laptop's screen: the catalogue is taller than the list's room
    try:
        driver.click("tile-procedure")
        driver.on(State.PROCEDURE)
        screen = kiosk.screens[State.PROCEDURE]
        bar = screen.scroll.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 0)
        driver.click("procedure-area-0")  # a chip touched just before: what follows is still a swipe
        first = next(b for b, _proc in screen.procedure_buttons if b.isVisible())
        before = bar.value()
        page = getattr(screen, "page_scroll", None)  # the screen's own scrolling, around the list
        page_before = page.verticalScrollBar().value() if page is not None else 0
        with _presses(first) as touched:
            swipe_up(qtbot, kiosk, _at(kiosk, first))
            qtbot.waitUntil(lambda: bar.value() > before)
            settled(qtbot, screen.scroll)
        assert touched == [] and not first.isDown()
        assert page is None or page.verticalScrollBar().value() == page_before  # the list took the swipe
        assert kiosk.session.state == State.PROCEDURE and not kiosk.session.data.procedure_id
    finally:
        kiosk.setFixedSize(1920, 1080)
        qtbot.waitUntil(lambda: kiosk.width() == 1920)


def test_a_swipe_on_the_ward_list_scrolls_it_and_chooses_no_ward(driver, kiosk, qtbot):
    driver.birth_dossier_to_ward(sample_payload(0))  # its last tap just before the swipe: no double tap
    ward_list = driver.find("ward-list")
    bar = ward_list.verticalScrollBar()
    qtbot.waitUntil(lambda: ward_list.count() > 0 and bar.maximum() > SWIPE_PX)
    chosen = kiosk.session.data.ward_code
    other = _shown_ward_other_than(ward_list, chosen)  # the swipe starts on a ward that is not chosen
    before = bar.value()
    touched: list[str] = []
    notes = [ward_list.itemPressed.connect(lambda _item: touched.append("pressed")),
             ward_list.itemClicked.connect(lambda _item: touched.append("clicked"))]
    try:
        swipe_up(qtbot, kiosk, _at(kiosk, ward_list.viewport(), ward_list.visualItemRect(other).center()))
        qtbot.waitUntil(lambda: bar.value() > before)
        settled(qtbot, ward_list)
    finally:
        for note in notes:
            ward_list.disconnect(note)
    assert touched == []  # not even pressed (highlighted) under the finger
    assert kiosk.session.data.ward_code == chosen


def test_a_touch_tap_on_a_procedure_opens_it(driver, kiosk, qtbot):
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    screen = kiosk.screens[State.PROCEDURE]
    button, proc = next((b, p) for b, p in screen.procedure_buttons if b.isVisible())
    viewport = screen.scroll.viewport()
    assert viewport.rect().contains(button.mapTo(viewport, button.rect().center()))  # on screen: a new session
    touch_tap(kiosk, _at(kiosk, button))
    driver.on(State.DETAILS)
    assert kiosk.session.data.procedure_id == proc.id


def test_a_touch_tap_on_a_ward_in_the_list_chooses_it(driver, kiosk, qtbot):
    driver.birth_dossier_to_ward(sample_payload(0))
    ward_list = driver.find("ward-list")
    qtbot.waitUntil(lambda: ward_list.count() > 2)
    item = _shown_ward_other_than(ward_list, kiosk.session.data.ward_code)
    code = item.data(Qt.ItemDataRole.UserRole)
    touch_tap(kiosk, _at(kiosk, ward_list.viewport(), ward_list.visualItemRect(item).center()))
    qtbot.waitUntil(lambda: kiosk.session.data.ward_code == code)


def _standalone(qtbot, *widgets: QWidget) -> QWidget:
    window = QWidget()
    layout = QVBoxLayout(window)
    for widget in widgets:
        layout.addWidget(widget)
    qtbot.addWidget(window)
    window.resize(600, 600)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_swipe_on_a_list_inside_a_scrolling_page_moves_the_list_not_the_page(qtbot):
    wards = QListWidget()
    wards.addItems([f"Phường {i}" for i in range(200)])
    wards.setMinimumHeight(300)
    enable_swipe(wards)
    body = QWidget()
    column = QVBoxLayout(body)
    column.addWidget(wards)
    below = QLabel("…")
    below.setMinimumHeight(500)  # the page is taller than its window: it scrolls too
    column.addWidget(below)
    page = finger_scrolled(body)
    window = _standalone(qtbot, page)
    assert page.verticalScrollBar().maximum() > 0
    swipe_up(qtbot, window, _at(window, wards.viewport()))
    qtbot.waitUntil(lambda: wards.verticalScrollBar().value() > 0)
    settled(qtbot, wards)
    assert page.verticalScrollBar().value() == 0
    swipe_up(qtbot, window, _at(window, below))  # off the list, the page moves
    qtbot.waitUntil(lambda: page.verticalScrollBar().value() > 0)
    settled(qtbot, page)


def test_a_swipe_on_a_text_view_moves_it_by_the_lines_dragged_not_a_line_a_pixel(qtbot):
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setPlainText("\n".join(f"dòng {i}" for i in range(500)))
    enable_swipe(view)
    window = _standalone(qtbot, view)
    bar = view.verticalScrollBar()
    device = touchscreen()
    start = _at(window, view.viewport())
    QTest.touchEvent(window, device, False).press(0, start).commit()
    for step in range(1, SWIPE_STEPS + 1):  # dragged and held: no fling
        qtbot.wait(FRAME_MS)
        QTest.touchEvent(window, device, False).move(0, start - QPoint(0, SWIPE_PX * step // SWIPE_STEPS)).commit()
    qtbot.waitUntil(lambda: bar.value() > 0)
    lines = SWIPE_PX / view.fontMetrics().lineSpacing()
    assert bar.value() <= lines + 1  # about the lines under the finger's travel (it was SWIPE_PX lines)
    QTest.touchEvent(window, device, False).release(0, start - QPoint(0, SWIPE_PX)).commit()
    settled(qtbot, view)
