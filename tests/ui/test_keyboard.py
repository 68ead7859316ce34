"""The on-screen keyboard types Vietnamese into the focused field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from kiosk.ui.keyboard import OnScreenKeyboard


@pytest.fixture
def pad(qtbot):
    host = QWidget()
    layout = QVBoxLayout(host)
    field = QLineEdit()
    numeric = QLineEdit()
    numeric.setProperty("keyboard", "numeric")
    keyboard = OnScreenKeyboard()
    for w in (field, numeric, keyboard):
        layout.addWidget(w)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    yield field, numeric, keyboard
    host.close()  # kept alive until here: the fields belong to it


def _press(qtbot, keyboard, *names):
    for name in names:
        qtbot.mouseClick(keyboard.key_button(name), Qt.MouseButton.LeftButton)


def test_telex_keys_compose_vietnamese_in_the_focused_field(qtbot, pad):
    field, _, keyboard = pad
    _press(qtbot, keyboard, "shift", *"nguyeenx", "space", *"ddaay")
    assert field.text() == "Nguyễn đây"
    assert field.hasFocus()  # the keys never steal the focus


def test_direct_tone_and_mark_keys(qtbot, pad):
    field, _, keyboard = pad
    _press(qtbot, keyboard, "t", "ư", "tone-r")
    assert field.text() == "tử"
    _press(qtbot, keyboard, "tone-r")  # pressed again: the tone goes
    assert field.text() == "tư"


def test_backspace_and_telex_off(qtbot, pad):
    field, _, keyboard = pad
    _press(qtbot, keyboard, "a", "s", "backspace")
    assert field.text() == ""
    _press(qtbot, keyboard, "telex", "a", "s")
    assert field.text() == "as"


def test_numeric_pad_for_dates(qtbot, pad):
    _, numeric, keyboard = pad
    numeric.setFocus()
    qtbot.waitUntil(numeric.hasFocus)
    keyboard.prepare_for(numeric)
    assert keyboard.mode == "numeric"
    _press(qtbot, keyboard, "0", "2", "/", "1", "1", "/", "2", "0", "0", "1")
    assert numeric.text() == "02/11/2001"


# --- the keyboard in the kiosk window (issue 19: docked, never covering, the field's own layout) ------------

SIZES = [(1080, 1920), (1366, 768)]


@pytest.fixture
def name_pad(qtbot):
    host = QWidget()
    layout = QVBoxLayout(host)
    name = QLineEdit()
    name.setProperty("keyboard", "text")
    name.setProperty("capitalize", "words")
    keyboard = OnScreenKeyboard()
    layout.addWidget(name)
    layout.addWidget(keyboard)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    name.setFocus()
    qtbot.waitUntil(name.hasFocus)
    keyboard.prepare_for(name)
    yield name, keyboard
    host.close()


def test_shift_at_a_capitalised_word_start_keeps_the_capital(qtbot, name_pad):
    name, keyboard = name_pad
    assert keyboard.shift  # a name starts with a capital
    # a citizen taps shift to get the capital they expect: it must not turn the capital off
    _press(qtbot, keyboard, "shift", *"nguyeenx", "space", "shift", *"vawn", "space", *"an")
    assert name.text() == "Nguyễn Văn An"
    assert keyboard.key_button("a").text() == "a"  # the one-shot is spent inside a word


def test_shift_inside_a_name_word_is_one_shot(qtbot, name_pad):
    name, keyboard = name_pad
    _press(qtbot, keyboard, *"mc", "shift", *"ka")
    assert name.text() == "McKa"


def _on_form(driver, kiosk):
    from kiosk.core.samples import sample_payload

    driver.to_form(sample_payload(0))


def _keyboard_shown(kiosk) -> bool:
    return kiosk._keyboard is not None and kiosk._keyboard.isVisible()


def test_no_keyboard_on_the_form_until_a_field_is_tapped(driver, kiosk, qtbot):
    _on_form(driver, kiosk)
    assert not _keyboard_shown(kiosk)  # no field has focus: keys would type nowhere
    phone = driver.find("field-phone")
    driver.click(phone)
    qtbot.waitUntil(lambda: phone.hasFocus() and _keyboard_shown(kiosk))
    assert kiosk.keyboard.mode == "numeric"
    driver.key("hide")
    qtbot.waitUntil(lambda: not _keyboard_shown(kiosk))
    assert not phone.hasFocus()


def test_no_keyboard_over_the_rating_answers_until_the_comment_is_tapped(driver, kiosk, qtbot):
    from kiosk.core.session import State

    driver.click("tile-rating")
    driver.on(State.RATING)
    comment = driver.find("rating-comment")
    assert not _keyboard_shown(kiosk) and not comment.hasFocus()
    driver.click(comment)
    qtbot.waitUntil(lambda: comment.hasFocus() and _keyboard_shown(kiosk))
    assert kiosk.keyboard.mode == "text"
    driver.click("header-home")  # leaving the screen takes the keyboard with the focus
    driver.on(State.HOME)
    assert not _keyboard_shown(kiosk)


def test_the_look_up_code_opens_the_number_pad(driver, kiosk, qtbot):
    from kiosk.core.session import State

    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    qtbot.waitUntil(lambda: driver.find("lookup-code").hasFocus() and _keyboard_shown(kiosk))
    assert kiosk.keyboard.mode == "numeric"


def test_each_field_opens_its_own_layout(driver, kiosk, qtbot):
    _on_form(driver, kiosk)
    driver.type_into("field-phone", "0912345678")
    assert kiosk.keyboard.mode == "numeric"
    name = driver.find("field-child_full_name")
    driver.click(name)
    qtbot.waitUntil(name.hasFocus)
    assert kiosk.keyboard.mode == "text"  # a name after a phone number: letters, not the number pad
    driver.key("numeric")  # the citizen switches to digits on a text field, then moves on
    place = driver.find("field-child_place_of_birth")
    driver.click(place)
    qtbot.waitUntil(place.hasFocus)
    assert kiosk.keyboard.mode == "text"  # never the layout the last field was left in
    date = driver.find("field-child_date_of_birth")
    driver.click(date)
    qtbot.waitUntil(date.hasFocus)
    assert kiosk.keyboard.mode == "numeric"


def test_the_email_layout_types_an_address_as_it_is(driver, kiosk, qtbot):
    _on_form(driver, kiosk)
    email = driver.find("field-email")
    driver.click(email)
    qtbot.waitUntil(lambda: email.hasFocus() and _keyboard_shown(kiosk))
    assert kiosk.keyboard.mode == "email"
    for key in ("@", ".", "-", "_", "0", "9"):
        assert kiosk.keyboard.key_button(key).isVisible(), key
    assert not kiosk.keyboard.has_key("tone-s") and not kiosk.keyboard.has_key("telex")
    driver.type_into("field-email", "a.b@x.vn")
    assert email.text() == "a.b@x.vn"
    email.setText("")
    # letters Telex would turn into "â", "đ" and a tone stay letters in an address
    driver.type_into("field-email", "ddaa.ss_2@x.vn")
    assert email.text() == "ddaa.ss_2@x.vn"


def _inside(inner, outer) -> bool:
    from PySide6.QtCore import QPoint, QRect

    a = QRect(inner.mapToGlobal(QPoint(0, 0)), inner.size())
    b = QRect(outer.mapToGlobal(QPoint(0, 0)), outer.size())
    return b.contains(a)


def _on_screen(field, kiosk) -> bool:
    """All of it in view: in the viewport of every scroll area it is in, and inside the screen stack."""
    from PySide6.QtWidgets import QScrollArea

    parent = field.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and not _inside(field, parent.viewport()):
            return False
        parent = parent.parentWidget()
    return _inside(field, kiosk.stack)


def _in_view(field, kiosk) -> bool:
    """On screen and above the docked keyboard."""
    return _on_screen(field, kiosk) and _above(field, kiosk.keyboard)


def _above(field, keyboard) -> bool:
    from PySide6.QtCore import QPoint

    return field.mapToGlobal(QPoint(0, field.height())).y() <= keyboard.mapToGlobal(QPoint(0, 0)).y()


@pytest.mark.parametrize("size", SIZES, ids=["portrait", "laptop"])
def test_the_tapped_field_is_scrolled_above_the_docked_keyboard(kiosk, driver, qtbot, resize, size):
    _on_form(driver, kiosk)
    resize(*size)  # on the form already: the way there is the screen-size tests' to check
    screen = kiosk.stack.currentWidget()
    qtbot.waitUntil(lambda: screen.height() == kiosk.stack.height())  # laid out for the size
    # the lowest field on screen before the keyboard opens: the keyboard takes the room it is in
    fields = [f for f in screen.findChildren(QLineEdit) if f.isVisible() and _on_screen(f, kiosk)]
    field = max(fields, key=lambda f: f.mapTo(kiosk, f.rect().topLeft()).y())
    driver.click(field)
    qtbot.waitUntil(lambda: field.hasFocus() and _keyboard_shown(kiosk))
    qtbot.waitUntil(lambda: _in_view(field, kiosk))
    assert _inside(kiosk.keyboard, kiosk)  # docked inside the window, below the screen
    # the next fields, reached with the keyboard's "next", come into view too
    for _ in range(3):
        driver.key("enter")
        focused = kiosk.focusWidget()
        qtbot.waitUntil(lambda f=focused: _in_view(f, kiosk))


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["portrait", "laptop"])
def test_the_rating_comment_stays_above_the_keyboard(sized, driver, qtbot):
    from kiosk.core.session import State

    kiosk = sized
    driver.click("tile-rating")
    driver.on(State.RATING)
    comment = driver.find("rating-comment")
    driver.click(comment)
    qtbot.waitUntil(lambda: comment.hasFocus() and _keyboard_shown(kiosk))
    qtbot.waitUntil(lambda: _in_view(comment, kiosk))


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["portrait", "laptop"])
@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large"])
def test_every_key_fits_a_finger_and_its_label(sized, driver, qtbot, large_text):
    from kiosk.core.session import State
    from kiosk.tools.walkthrough.audit import audit_window
    from kiosk.ui.theme import Theme

    kiosk = sized
    kiosk.apply_theme(Theme(dpi=kiosk.theme.dpi, large_text=large_text))
    try:
        driver.click("tile-lookup")
        driver.on(State.LOOKUP)
        qtbot.waitUntil(lambda: _keyboard_shown(kiosk))
        keyboard = kiosk.keyboard
        qtbot.waitUntil(lambda: keyboard.styleSheet() == kiosk.theme.stylesheet())
        assert _inside(keyboard, kiosk)  # all of it in the window: the bottom row too
        for mode in ("text", "numeric", "email"):
            keyboard.set_mode(mode)
            qtbot.waitUntil(lambda: keyboard.key_button("backspace").isVisible())
            # the keyboard audited on its own: its keys are all it holds
            result = audit_window(keyboard, dpi=kiosk.theme.dpi)
            assert (mode, result["clipped"], result["small_target"], result["overlap"]) == (mode, 0, 0, 0), \
                result["findings"]
    finally:
        kiosk.apply_theme(Theme(dpi=kiosk.theme.dpi))
