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
