"""The on-screen keyboard: Vietnamese Telex and direct tone keys, shift, backspace, a numeric pad.

It is a widget inside the window (a kiosk has no OS keyboard). Its keys never take focus, so
they type into whichever field has it; the field's ``keyboard`` property ("text" or "numeric")
picks the layout, and ``capitalize`` ("words") capitalises the first letter of each word, which
is what names and addresses need.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.telex import apply_key, apply_tone_key

TEXT_ROWS = [
    list("qwertyuiop") + ["backspace"],
    list("asdfghjkl") + ["đ", "enter"],
    ["shift"] + list("zxcvbnm") + [",", ".", "-"],
    ["tone-s", "tone-f", "tone-r", "tone-x", "tone-j", "ă", "â", "ê", "ô", "ơ", "ư"],
    ["numeric", "space", "telex", "hide"],
]
NUMERIC_ROWS = [
    ["1", "2", "3", "backspace"],
    ["4", "5", "6", "/"],
    ["7", "8", "9", "enter"],
    ["text", "0", "-", "hide"],
]
#: Direct tone keys carry the tone's name: a lone combining mark is hard to read on a touchscreen.
TONE_LABELS = {"tone-s": "sắc ´", "tone-f": "huyền `", "tone-r": "hỏi ?", "tone-x": "ngã ~", "tone-j": "nặng ."}
SPECIAL_LABELS = {
    "backspace": {"vi": "⌫ Xoá", "en": "⌫ Delete"},
    "enter": {"vi": "↵ Tiếp", "en": "↵ Next"},
    "shift": {"vi": "⇧ Hoa", "en": "⇧ Shift"},
    "space": {"vi": "Dấu cách", "en": "Space"},
    "numeric": {"vi": "123", "en": "123"},
    "text": {"vi": "ABC", "en": "ABC"},
    "telex": {"vi": "Telex: bật", "en": "Telex: on"},
    "telex-off": {"vi": "Telex: tắt", "en": "Telex: off"},
    "hide": {"vi": "Ẩn bàn phím", "en": "Hide keyboard"},
}
SPAN = {"space": 5, "numeric": 2, "telex": 2, "hide": 2, "shift": 1}


class OnScreenKeyboard(QWidget):
    sig_key_pressed = Signal(str)
    """A key was pressed (its name): the session counts it as activity."""
    sig_hide_requested = Signal()
    """The citizen tapped "hide keyboard"."""
    sig_enter_pressed = Signal()
    """The citizen tapped "next": the window moves focus to the next field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyboard")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.language = "vi"
        self.shift = False
        self.telex = True
        self.buttons: dict[str, QPushButton] = {}
        self._pages = QStackedWidget(self)
        self._text_page = self._build(TEXT_ROWS, "text")
        self._numeric_page = self._build(NUMERIC_ROWS, "num")
        self._pages.addWidget(self._text_page)
        self._pages.addWidget(self._numeric_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._pages)
        self.retranslate_ui(self.language)

    def _build(self, rows: list[list[str]], prefix: str) -> QWidget:
        page = QWidget(self)
        grid = QGridLayout(page)
        grid.setSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        for r, row in enumerate(rows):
            col = 0
            for name in row:
                button = QPushButton(page)
                button.setProperty("role", "key")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAutoRepeat(name == "backspace")
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
                button.setObjectName(f"key-{prefix}-{name}")
                button.clicked.connect(lambda _=False, n=name: self._on_key_clicked(n))
                span = SPAN.get(name, 1) if prefix == "text" else 1
                grid.addWidget(button, r, col, 1, span)
                col += span
                self.buttons[f"{prefix}:{name}"] = button
        return page

    # --- public ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """"text" or "numeric"."""
        self._pages.setCurrentWidget(self._numeric_page if mode == "numeric" else self._text_page)

    @property
    def mode(self) -> str:
        return "numeric" if self._pages.currentWidget() is self._numeric_page else "text"

    def key_button(self, name: str) -> QPushButton:
        """The button that types ``name`` in the current layout (for the walkthrough and tests)."""
        prefix = "num" if self.mode == "numeric" else "text"
        return self.buttons[f"{prefix}:{name}"]

    def retranslate_ui(self, language: str) -> None:
        self.language = language
        for key, button in self.buttons.items():
            name = key.split(":", 1)[1]
            if name == "telex":
                button.setText(SPECIAL_LABELS["telex" if self.telex else "telex-off"][language])
            elif name in SPECIAL_LABELS:
                button.setText(SPECIAL_LABELS[name][language])
            elif name in TONE_LABELS:
                button.setText(TONE_LABELS[name])
            elif len(name) == 1 and name.isalpha():
                button.setText(name.upper() if self.shift else name)
            else:
                button.setText(name)
        self.buttons["text:shift"].setCheckable(True)
        self.buttons["text:shift"].setChecked(self.shift)

    # --- typing ---------------------------------------------------------------------------------
    @staticmethod
    def target() -> QWidget | None:
        widget = QApplication.focusWidget()
        if isinstance(widget, (QLineEdit, QPlainTextEdit)) and not widget.isReadOnly():
            return widget
        return None

    def _on_key_clicked(self, name: str) -> None:
        self.sig_key_pressed.emit(name)
        if name in ("numeric", "text"):
            self.set_mode("numeric" if name == "numeric" else "text")
            return
        if name == "shift":
            self.shift = not self.shift
            self.retranslate_ui(self.language)
            return
        if name == "telex":
            self.telex = not self.telex
            self.retranslate_ui(self.language)
            return
        if name == "hide":
            self.sig_hide_requested.emit()
            return
        if name == "enter":
            self.sig_enter_pressed.emit()
            return
        field = self.target()
        if field is None:
            return
        if name == "backspace":
            self._backspace(field)
        elif name == "space":
            self._insert(field, " ")
        elif name.startswith("tone-"):
            word, start = self._word_before_cursor(field)
            self._replace_word(field, start, len(word), apply_tone_key(word, name[-1]))
        else:
            self._type(field, name)
        self._auto_shift(field)

    def _type(self, field: QWidget, key: str) -> None:
        char = key.upper() if self.shift and key.isalpha() else key
        if self.shift:
            self.shift = False
            self.retranslate_ui(self.language)
        if self.telex and char.isalpha() and field.property("keyboard") != "numeric":
            word, start = self._word_before_cursor(field)
            self._replace_word(field, start, len(word), apply_key(word, char))
        else:
            self._insert(field, char)

    def _auto_shift(self, field: QWidget) -> None:
        if field.property("capitalize") != "words":
            return
        text, pos = self._text_and_pos(field)
        want = pos == 0 or text[pos - 1] == " "
        if want != self.shift:
            self.shift = want
            self.retranslate_ui(self.language)

    def prepare_for(self, field: QWidget | None) -> None:
        """A field got focus: show its layout and capitalise where a name starts."""
        if field is None:
            return
        self.set_mode("numeric" if field.property("keyboard") == "numeric" else "text")
        if field.property("capitalize") == "words":
            self._auto_shift(field)
        elif self.shift:
            self.shift = False
            self.retranslate_ui(self.language)

    @staticmethod
    def _text_and_pos(field: QWidget) -> tuple[str, int]:
        if isinstance(field, QLineEdit):
            return field.text(), field.cursorPosition()
        cursor = field.textCursor()  # type: ignore[attr-defined]
        return field.toPlainText(), cursor.position()  # type: ignore[attr-defined]

    def _word_before_cursor(self, field: QWidget) -> tuple[str, int]:
        text, pos = self._text_and_pos(field)
        start = pos
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        return text[start:pos], start

    @staticmethod
    def _replace_word(field: QWidget, start: int, length: int, new: str) -> None:
        if isinstance(field, QLineEdit):
            field.setSelection(start, length)
            field.insert(new)
            if field.text()[start:start + len(new)] != new:  # refused by maxLength or a validator
                field.setCursorPosition(start + length)
            return
        cursor = field.textCursor()  # type: ignore[attr-defined]
        cursor.setPosition(start)
        cursor.setPosition(start + length, cursor.MoveMode.KeepAnchor)
        cursor.insertText(new)
        field.setTextCursor(cursor)  # type: ignore[attr-defined]

    @staticmethod
    def _insert(field: QWidget, text: str) -> None:
        if isinstance(field, QLineEdit):
            field.insert(text)
        else:
            field.insertPlainText(text)  # type: ignore[attr-defined]

    @staticmethod
    def _backspace(field: QWidget) -> None:
        if isinstance(field, QLineEdit):
            field.backspace()
        else:
            field.textCursor().deletePreviousChar()  # type: ignore[attr-defined]


def keys_for(text: str) -> list[str]:
    """The key presses that type ``text`` with Telex on this keyboard (for the walkthrough).

    Vietnamese letters are spelt out the Telex way ("ễ" -> "e", "e", "x" after the word)."""
    from kiosk.core.telex import split_vowel

    tone_key = {"s": "s", "f": "f", "r": "r", "x": "x", "j": "j"}
    shape = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
    presses: list[str] = []
    for word in text.split(" "):
        tone = ""
        for ch in word:
            parts = split_vowel(ch)
            base = ch
            if parts:
                base, t = parts
                tone = t or tone
            upper = base.isupper()
            spelled = shape.get(base.lower(), base.lower())
            for i, letter in enumerate(spelled):
                presses.append(("shift:" if upper and i == 0 else "") + letter)
        if tone:
            presses.append(tone_key[tone])
        presses.append("space")
    return presses[:-1]
