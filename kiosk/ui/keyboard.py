"""The on-screen keyboard: Vietnamese Telex and direct tone keys, shift, backspace, a numeric pad, and an
e-mail layout.

It is a widget inside the window (a kiosk has no OS keyboard). Its keys never take focus, so
they type into whichever field has it; the field's ``keyboard`` property ("text", "numeric" or
"email") picks the layout each time the field gets focus, and ``capitalize`` ("words") capitalises
the first letter of each word, which is what names and addresses need.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
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
from kiosk.ui.widgets import FitButton

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
#: An address is typed as it is: no Telex (it would turn "aa" into "â" and "s" into a tone), no tone keys,
#: the digits and the characters an address has on the letters' page.
EMAIL_ROWS = [
    list("1234567890") + ["backspace"],
    list("qwertyuiop") + ["@"],
    list("asdfghjkl") + ["_", "enter"],
    ["shift"] + list("zxcvbnm") + [".", "-"],
    ["at-gmail", ".vn", ".com", "hide"],
]
#: Direct tone keys carry the tone's name: a lone combining mark is hard to read on a touchscreen.
TONE_LABELS = {"tone-s": "sắc ´", "tone-f": "huyền `", "tone-r": "hỏi ?", "tone-x": "ngã ~", "tone-j": "nặng ."}
SPECIAL_LABELS = {
    # "Del", as printed on keyboards: "Delete" did not fit an eleventh of a portrait screen in large text
    "backspace": {"vi": "⌫ Xoá", "en": "⌫ Del"},
    "enter": {"vi": "↵ Tiếp", "en": "↵ Next"},
    "shift": {"vi": "⇧ Hoa", "en": "⇧ Shift"},
    "space": {"vi": "Dấu cách", "en": "Space"},
    "numeric": {"vi": "123", "en": "123"},
    "text": {"vi": "ABC", "en": "ABC"},
    "telex": {"vi": "Telex: bật", "en": "Telex: on"},
    "telex-off": {"vi": "Telex: tắt", "en": "Telex: off"},
    "hide": {"vi": "Ẩn bàn phím", "en": "Hide keyboard"},
}
#: Keys that type more than their name says: what they insert, which is also their label.
TYPES = {"at-gmail": "@gmail.com"}
#: How many columns a key takes, per layout ("text", "num", "mail").
SPANS = {
    "text": {"space": 5, "numeric": 2, "telex": 2, "hide": 2, "shift": 1},
    "num": {},
    "mail": {"at-gmail": 4, ".vn": 2, ".com": 2, "hide": 3},
}
#: The layouts, by the ``keyboard`` property of a field, and the prefix of their keys' names.
PREFIX = {"text": "text", "numeric": "num", "email": "mail"}


#: The rows of the tallest layout, and the room between and around the keys (px).
ROWS = 5
KEY_SPACING = 6
MARGIN = 8
#: A key's padding and border above and below its label (the theme: 2 px padding, a 3 px border that is
#: 4 px on a checked shift key), so a label keeps its full height on a key of the least height.
KEY_CHROME_PX = 12
#: The theme's font size for keys before large-text scaling (``QPushButton[role="key"]`` in kiosk/ui/theme.py).
KEY_FONT_BASE_PX = 30


def keyboard_height(touch_px: int, key_font_px: int) -> int:
    """The keyboard's height: five rows of keys, each a touch target tall (15 mm) and never lower than its
    label needs, with the spacing and margins. No taller: at 1366x768 every pixel it takes is one the screen
    above loses (it is docked there, never over the focused field)."""
    font = QFont("Noto Sans")
    font.setPixelSize(key_font_px)
    font.setBold(True)
    key = max(touch_px, QFontMetrics(font).height() + KEY_CHROME_PX)
    return ROWS * key + (ROWS - 1) * KEY_SPACING + 2 * MARGIN


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
        self._email_page = self._build(EMAIL_ROWS, "mail")
        self._page_of = {"text": self._text_page, "numeric": self._numeric_page, "email": self._email_page}
        for page in self._page_of.values():
            self._pages.addWidget(page)
        # The theme's least button height (a touch target *inside* padding and border) would make each key
        # 10-12 px taller than a touch target; the keyboard's fixed height (keyboard_height) sizes them.
        self._pages.setStyleSheet('QPushButton[role="key"] { min-height: 0px; }')
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addWidget(self._pages)
        self.retranslate_ui(self.language)

    def _build(self, rows: list[list[str]], prefix: str) -> QWidget:
        page = QWidget(self)
        grid = QGridLayout(page)
        grid.setSpacing(KEY_SPACING)
        grid.setContentsMargins(0, 0, 0, 0)
        for r, row in enumerate(rows):
            col = 0
            for name in row:
                button = FitButton(page)  # a long label on a narrow key is drawn smaller, never cut
                button.setProperty("role", "key")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAutoRepeat(name == "backspace")
                # every column as wide as the next (a long label must not widen its column): the label is
                # drawn smaller instead, and the theme's least width keeps each key a touch target
                button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
                button.setObjectName(f"key-{prefix}-{name}")
                button.clicked.connect(lambda _=False, n=name: self._on_key_clicked(n))
                span = SPANS[prefix].get(name, 1)
                grid.addWidget(button, r, col, 1, span)
                col += span
                self.buttons[f"{prefix}:{name}"] = button
        for column in range(grid.columnCount()):
            grid.setColumnStretch(column, 1)
        return page

    # --- public ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """"text", "numeric" or "email" (anything else: text)."""
        self._pages.setCurrentWidget(self._page_of.get(mode, self._text_page))

    @property
    def mode(self) -> str:
        current = self._pages.currentWidget()
        return next(mode for mode, page in self._page_of.items() if page is current)

    def key_button(self, name: str) -> QPushButton:
        """The button that types ``name`` in the current layout (for the walkthrough and tests)."""
        return self.buttons[f"{PREFIX[self.mode]}:{name}"]

    def has_key(self, name: str) -> bool:
        """Whether the current layout has a key ``name`` (the e-mail layout has its digits on it)."""
        return f"{PREFIX[self.mode]}:{name}" in self.buttons

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
            elif name in TYPES:
                button.setText(TYPES[name])
            elif len(name) == 1 and name.isalpha():
                button.setText(name.upper() if self.shift else name)
            else:
                button.setText(name)
        for shift in ("text:shift", "mail:shift"):
            self.buttons[shift].setCheckable(True)
            self.buttons[shift].setChecked(self.shift)

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
            field = self.target()
            # Shift is one-shot. At a word start of a name it is already on (auto-capital): a citizen who taps
            # it to get the capital they expect must not turn the capital off.
            self._set_shift(True if field is not None and self._capital_due(field) else not self.shift)
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
            self._type(field, TYPES.get(name, name))
        self._auto_shift(field)

    def _type(self, field: QWidget, key: str) -> None:
        # a name's word starts with a capital whatever the shift key was left at
        upper = self.shift or self._capital_due(field)
        char = key.upper() if upper and key.isalpha() else key
        self._set_shift(False)
        if self._telex_applies(field) and char.isalpha():
            word, start = self._word_before_cursor(field)
            self._replace_word(field, start, len(word), apply_key(word, char))
        else:
            self._insert(field, char)

    def _telex_applies(self, field: QWidget) -> bool:
        """Telex composes Vietnamese in text fields only: it would mangle a number or an e-mail address."""
        return self.telex and field.property("keyboard") in (None, "", "text") and self.mode == "text"

    def _set_shift(self, on: bool) -> None:
        if on != self.shift:
            self.shift = on
            self.retranslate_ui(self.language)

    @classmethod
    def _capital_due(cls, field: QWidget) -> bool:
        """The cursor is at a word start of a field that capitalises words (a name, an address)."""
        if field.property("capitalize") != "words":
            return False
        text, pos = cls._text_and_pos(field)
        return pos == 0 or text[pos - 1].isspace()

    def _auto_shift(self, field: QWidget) -> None:
        if field.property("capitalize") == "words":
            self._set_shift(self._capital_due(field))

    def prepare_for(self, field: QWidget | None) -> None:
        """A field got focus: show its own layout (never the last one used) and capitalise where a name
        starts; a shift left on from another field is dropped."""
        if field is None:
            return
        self.set_mode(layout_of(field))
        self._set_shift(self._capital_due(field))

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


def layout_of(field: QWidget) -> str:
    """The layout a field asks for with its ``keyboard`` property: "text", "numeric" or "email"."""
    mode = field.property("keyboard")
    return mode if mode in PREFIX else "text"


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
