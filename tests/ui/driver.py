"""Drive the kiosk like a citizen in tests: touch buttons (touch taps), type on the on-screen keyboard.

The taps, the key presses and the way to a card screen are the walkthrough's (kiosk/tools/walkthrough/
common.py); waiting goes through qtbot, so a test fails with pytest-qt's timeout rather than a screenshot."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtWidgets import QWidget

from kiosk.core.session import State
from kiosk.tools.walkthrough.common import BIRTH, tap, to_card_screen, type_keys


class Driver:
    def __init__(self, window: Any, qtbot: Any) -> None:
        self.window = window
        self.qtbot = qtbot

    def find(self, name: str) -> Any:
        found = self.window.findChildren(QWidget, name)
        visible = [w for w in found if w.isVisible()]
        assert visible or found, f"no widget {name!r}"
        return (visible or found)[0]

    def click(self, target: str | QWidget) -> None:
        widget = self.find(target) if isinstance(target, str) else target
        self.qtbot.waitUntil(lambda: widget.isVisible() and widget.isEnabled(), timeout=5000)
        tap(widget)  # a finger's touch at its centre, as the walkthrough's; returns once it was delivered

    def key(self, name: str) -> None:
        self.click(self.window.keyboard.key_button(name))

    def type_into(self, name: str, text: str) -> None:
        field = self.find(name)
        self.click(field)
        self.qtbot.waitUntil(lambda: field.hasFocus())
        type_keys(self.window.keyboard, text, self.key)

    def on(self, state: State, timeout: int = 15000) -> None:
        """Wait for ``state``'s screen. Waiting for the done screen passes the payment screen the way most
        citizens in these tests would: "pay at the counter" (tests of the payment itself stop on it); waiting
        for the ward screen passes the documents screen bringing every document on paper (tests of
        photographing documents stop on it)."""
        if state == State.WARD:
            self.qtbot.waitUntil(lambda: self.window.session.state in (State.DOCUMENTS, State.WARD),
                                 timeout=timeout)
            while self.window.session.state == State.DOCUMENTS:
                screen = self.window.screens[State.DOCUMENTS]
                before = (screen.cursor, self.window.session.state)
                self.click("documents-paper")
                self.qtbot.waitUntil(lambda b=before, s=screen: (s.cursor, self.window.session.state) != b)
        if state == State.DONE:
            self.qtbot.waitUntil(lambda: self.window.session.state in (State.PAYMENT, State.DONE), timeout=timeout)
            if self.window.session.state == State.PAYMENT:
                self.click("payment-counter")
        self.qtbot.waitUntil(lambda: self.window.session.state == state
                             and self.window.stack.currentWidget() is self.window.screens[state], timeout=timeout)

    def take_number(self, area_id: str = "ho-tich", priority: str = "none") -> Any:
        """Home -> a number for ``area_id`` with ``priority``; returns the number screen (printing under way)."""
        self.click("tile-number")
        self.on(State.NUMBER)
        screen = self.window.screens[State.NUMBER]
        self.click(next(b for b, area in screen.area_buttons if area["id"] == area_id))
        self.click(f"priority-{priority}")
        return screen

    def texts(self) -> list[str]:
        """Every text the widget tree holds (labels, fields, buttons, list items, text views)."""
        from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QListWidget, QPlainTextEdit, QTextEdit

        out = []
        for w in self.window.findChildren(QWidget):
            if isinstance(w, (QLabel, QLineEdit, QAbstractButton)):
                out.append(w.text())
                if isinstance(w, QLineEdit):
                    out.append(w.placeholderText())
            elif isinstance(w, (QPlainTextEdit, QTextEdit)):
                out.append(w.toPlainText())
            elif isinstance(w, QListWidget):
                out.extend(w.item(i).text() for i in range(w.count()))
        return out

    def fill_birth_form(self) -> None:
        """The birth registration's fields a card does not fill."""
        self.click("field-relationship-father")
        self.type_into("field-phone", "0912345678")
        self.type_into("field-child_full_name", "Nguyễn Minh Thư")
        self.type_into("field-child_date_of_birth", (date.today() - timedelta(days=5)).strftime("%d/%m/%Y"))
        self.click("field-child_sex-female")
        self.type_into("field-child_place_of_birth", "Bệnh viện Phụ sản Hà Nội")
        self.type_into("field-child_hometown", "Hà Nội")
        self.type_into("field-mother_full_name", "Trần Thị Mẫu")
        self.type_into("field-mother_date_of_birth", "02/11/2001")
        self.type_into("field-mother_address", "Số 5 phố Tràng Thi, Hà Nội")
        self.click("field-declaration_true")

    def to_form(self, card: str) -> None:
        """Start a birth registration and show ``card`` to the simulated camera: the form, filled from it."""
        self.start_dossier()
        self.window.services.sim_camera.present_card(card)
        self.on(State.FORM)
        self.window.services.sim_camera.remove_card()

    def birth_dossier_to_ward(self, card: str) -> None:
        """Start a birth registration, show ``card`` to the simulated camera, fill the rest: the ward screen."""
        self.to_form(card)
        self.fill_birth_form()
        self.click("form-next")
        self.on(State.WARD)

    def birth_dossier_to_review(self, card: str) -> None:
        self.birth_dossier_to_ward(card)
        self.click("ward-next")
        self.on(State.REVIEW)

    def start_dossier(self, procedure_id: str = BIRTH) -> None:
        to_card_screen(self.click, self.on, procedure_id)
