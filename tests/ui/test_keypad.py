"""A citizen who cannot use the touchscreen, with a USB keypad (issue 21, ADA 707.6): the arrows move a ring
through the controls in reading order, each one spoken, Enter activates it, Clear goes back, 5 says it again."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest

from kiosk.core.session import State


def _key(kiosk, key: Qt.Key) -> None:
    QTest.keyClick(kiosk, key)  # to the window, as a USB keypad's key with no field focused


def _ring_to(kiosk, qtbot, name: str, limit: int = 80) -> None:
    """Press Down until the ring is on the control called ``name`` (as a keypad user would, listening)."""
    nav = kiosk.keypad
    for _ in range(limit):
        if nav.current is not None and nav.current.objectName() == name:
            return
        _key(kiosk, Qt.Key.Key_Down)
    raise AssertionError(f"the ring never reached {name!r}; it went through "
                         f"{[w.objectName() for w in nav.controls()]}")


def test_a_number_taken_with_the_keypad_alone(driver, kiosk, qtbot):
    nav = kiosk.keypad
    said: list[str] = []
    kiosk.ctx.voice.speaker.sig_spoken.connect(said.append)
    try:
        _ring_to(kiosk, qtbot, "tile-number")
        ring = nav.ring
        target = QRect(nav.current.mapTo(kiosk, QPoint(0, 0)), nav.current.size())
        assert ring.isVisible() and ring.geometry().contains(target)  # the ring around the tile
        qtbot.waitUntil(lambda: any(nav.current.text() in t for t in said), timeout=10000)  # the control spoken
        _key(kiosk, Qt.Key.Key_Enter)
        driver.on(State.NUMBER)
        assert nav.current is None and not ring.isVisible()  # a new screen: the ring starts over
        # the first area button in reading order, then no priority
        _key(kiosk, Qt.Key.Key_Down)
        while nav.current is not None and nav.current.objectName().startswith("header-"):
            _key(kiosk, Qt.Key.Key_Down)
        area = nav.current
        assert area in [b for b, _ in kiosk.screens[State.NUMBER].area_buttons]
        _key(kiosk, Qt.Key.Key_Return)
        _ring_to(kiosk, qtbot, "priority-none")
        _key(kiosk, Qt.Key.Key_Enter)
        screen = kiosk.screens[State.NUMBER]
        qtbot.waitUntil(lambda: screen.print_state == "printed", timeout=30000)
        said.clear()
        _key(kiosk, Qt.Key.Key_5)  # the keypad's tactile 5: say it again
        qtbot.waitUntil(lambda: bool(said), timeout=10000)
        assert "Lấy số thứ tự" in said[-1]
        _ring_to(kiosk, qtbot, "ticket-done")
        _key(kiosk, Qt.Key.Key_Enter)
        driver.on(State.HOME)
    finally:
        kiosk.ctx.voice.speaker.sig_spoken.disconnect(said.append)


def test_clear_goes_back_and_the_ring_reaches_the_header(driver, kiosk, qtbot):
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    names = [w.objectName() for w in kiosk.keypad.controls()]
    assert names.index("header-language") < names.index(next(n for n in names if n.startswith("procedure-")))
    _key(kiosk, Qt.Key.Key_Clear)
    driver.on(State.HOME)


def test_the_ring_on_a_filled_field_says_its_value_but_keeps_it_out_of_the_transcript(driver, kiosk, qtbot):
    from kiosk.core.samples import TEST_CITIZENS, sample_payload

    driver.to_form(sample_payload(0))  # the declarant's name filled from the card
    said: list[str] = []

    def heard(_screen: str, text: str) -> None:
        said.append(text)

    kiosk.ctx.voice.sig_said.connect(heard)
    try:
        name = driver.find("field-declarant_full_name")
        assert name.text() == TEST_CITIZENS[0]["full_name"]
        kiosk.keypad.show_ring(name)
        qtbot.waitUntil(lambda: any(name.property("spoken_label") in text for text in said), timeout=10000)
        assert not any(TEST_CITIZENS[0]["full_name"] in text for text in said)
    finally:
        kiosk.ctx.voice.sig_said.disconnect(heard)
