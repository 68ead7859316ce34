"""The e-form: pre-filled from the card, the rest typed on the on-screen keyboard, checked field by field.

One page per procedure is built when the window starts (not when the citizen arrives), so opening
a long form never stalls the screen; a wipe blanks the values instead of rebuilding widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QStackedWidget,
    QWidget,
)

from kiosk.core import forms
from kiosk.core.session import State
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import SwipeArea, button, enable_swipe, label, line_edit

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext



#: A choice longer than this (in either language) puts a field's choices one under another.
LONG_CHOICE_CHARS = 22

class BigCheckBox(QCheckBox):
    """A checkbox that toggles wherever it is touched, not only on its small square."""

    def hitButton(self, pos) -> bool:  # noqa: N802 (Qt override)
        return self.rect().contains(pos)


WARD_NOTE = {"vi": "Chọn ở bước tiếp theo", "en": "Chosen on the next step"}


class FieldRow:
    """The widgets of one form field: label, help, input, the message beside it."""

    def __init__(self, page: FormPage, field: forms.FieldDef, grid: QGridLayout, row: int) -> None:
        self.field = field
        self.page = page
        self.label = label(role="fieldlabel")
        self.help = label(role="muted")
        left = QWidget()
        from PySide6.QtWidgets import QVBoxLayout

        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(self.label)
        col.addWidget(self.help)
        self.error = label(role="error")
        self.error.setObjectName(f"error-{field.key}")
        self.input: QWidget
        self.group: QButtonGroup | None = None
        self.option_buttons: list[tuple[QWidget, dict]] = []
        if field.type == "select":
            box = QWidget()
            lay = QGridLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            columns = 2 if len(field.options) > 3 else max(1, len(field.options))
            # Long choices side by side in the narrow input column of a laptop's form cut their words: there
            # they go one under another (see place); a stacked form gives the input the page's width.
            self.choice_columns = columns
            self.choice_grid = lay
            self.long_choices = len(field.options) <= 3 and max(
                len(t) for option in field.options for t in option["label"].values()) > LONG_CHOICE_CHARS
            if self.long_choices:
                columns = 1
            self.group = QButtonGroup(box)
            self.group.setExclusive(True)
            for i, option in enumerate(field.options):
                b = button(None, self.page.on_changed, name=f"field-{field.key}-{option['value']}")
                b.setCheckable(True)
                self.group.addButton(b, i)
                lay.addWidget(b, i // columns, i % columns)
                self.option_buttons.append((b, option))
            self.input = box
        elif field.type == "checkbox":
            self.input = BigCheckBox()
            self.input.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.input.toggled.connect(lambda _=False: self.page.on_changed())
            self.input.toggled.connect(lambda _=False: self.retranslate(self.page.language or "vi", ""))
        elif field.type == "textarea":
            self.input = QPlainTextEdit()
            self.input.setProperty("keyboard", "text")
            self.input.setFixedHeight(page.theme_touch * 2)
            self.input.textChanged.connect(self.page.on_changed)
        elif field.type == "ward":
            self.input = label(role="muted")
            self.input.setProperty("personal", True)
        else:
            # its own layout: an address typed with Telex would come out mangled ("aa" -> "â")
            edit = line_edit(keyboard="email" if field.type == "email" else "numeric" if field.keyboard == "numeric"
                             or field.type in ("date", "id_number", "phone", "number") else "text",
                             capitalize=field.type == "text" and field.key.endswith("full_name"))
            if field.type == "date":
                edit.setMaxLength(10)
            elif field.type == "id_number":
                edit.setMaxLength(12)
            edit.textChanged.connect(self.page.on_changed)
            self.input = edit
        self.input.setObjectName(f"field-{field.key}")
        self.left = left
        self.place(grid, row, stacked=False)

    def place(self, grid: QGridLayout, row: int, stacked: bool) -> int:
        """Put the field in ``grid`` from ``row``: label, input and message side by side, or one above the
        other on a narrow page (portrait, large text), where three columns squeeze each to a few words.
        Returns the next free row."""
        parts = (self.left, self.input, self.error)
        for part in parts:
            grid.removeWidget(part)
        if self.group is not None and self.long_choices:
            columns = self.choice_columns if stacked else 1
            for i, (b, _option) in enumerate(self.option_buttons):
                self.choice_grid.removeWidget(b)
                self.choice_grid.addWidget(b, i // columns, i % columns)
        if stacked:
            for i, part in enumerate(parts):
                grid.addWidget(part, row + i, 0, 1, 3)
            return row + 3
        for column, part in enumerate(parts):
            grid.addWidget(part, row, column)
        return row + 1

    def value(self) -> str:
        w = self.input
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, QCheckBox):
            return "true" if w.isChecked() else ""
        if self.group is not None:
            checked = self.group.checkedId()
            return self.option_buttons[checked][1]["value"] if checked >= 0 else ""
        return self.page.ward_value

    def set_value(self, value: str) -> None:
        w = self.input
        if isinstance(w, QLineEdit):
            w.setText(value)  # also drops the undo history (privacy)
            w.setCursorPosition(0)  # show the start of a long pre-filled address
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        elif isinstance(w, QCheckBox):
            w.setChecked(value in ("true", "1", "yes", "on"))
        elif self.group is not None:
            self.group.setExclusive(False)
            for b, option in self.option_buttons:
                b.setChecked(option["value"] == value)
            self.group.setExclusive(True)

    def show_error(self, message: dict | None, language: str) -> None:
        from kiosk.ui.i18n import tr

        self.error.setText(tr(message, language) if message else "")
        for widget in [self.input] + [b for b, _ in self.option_buttons]:
            widget.setProperty("spoken_error", self.error.text())
        invalid = "true" if message else "false"
        if self.input.property("invalid") != invalid:
            self.input.setProperty("invalid", invalid)
            self.input.style().unpolish(self.input)
            self.input.style().polish(self.input)

    def retranslate(self, language: str, ward_text: str) -> None:
        from kiosk.ui.i18n import tr

        f = self.field
        self.label.setText(tr(f.label, language) + (" *" if f.required else ""))
        help_text = tr(f.help, language) if f.help else ""
        if f.type == "date":
            help_text = (help_text + " " if help_text else "") + tr({"vi": "(ngày/tháng/năm)", "en": "(DD/MM/YYYY)"},
                                                                     language)
        self.help.setText(help_text)
        self.help.setVisible(bool(help_text))
        for b, option in self.option_buttons:
            b.setText(tr(option["label"], language))
        if isinstance(self.input, QCheckBox):
            self.input.setText(tr({"vi": "✓ Đã đồng ý", "en": "✓ Agreed"} if self.input.isChecked()
                                  else {"vi": "Chạm để đồng ý", "en": "Touch to agree"}, language))
        if f.type == "ward":
            self.input.setText(ward_text)
        # what the voice says when one of these widgets gets the focus (kiosk.ui.voice.Voice.say_field)
        for widget in [self.input] + [b for b, _ in self.option_buttons]:
            widget.setProperty("spoken_label", self.label.text().removesuffix(" *"))  # the star is for the eye
            widget.setProperty("spoken_help", help_text)


class FormPage(SwipeArea):
    """The form of one procedure."""

    def __init__(self, screen: FormScreen, proc: forms.Procedure) -> None:
        super().__init__()
        self.screen = screen
        self.proc = proc
        self.theme_touch = screen.ctx.theme.touch_px
        self.ward_value = ""
        self.language = ""
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        enable_swipe(self)
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(12)
        grid.setColumnStretch(0, 4)
        grid.setColumnStretch(1, 7)
        grid.setColumnStretch(2, 3)
        self.rows: dict[str, FieldRow] = {}
        self.sections: list[tuple[QWidget, dict]] = []
        self._heading_before: list[tuple[QWidget, str]] = []  # a section's heading, the field it opens
        row = 0
        last_section = None
        for field in proc.fields:
            if field.section and field.section != last_section:
                heading = label(role="subtitle")
                grid.addWidget(heading, row, 0, 1, 3)
                self.sections.append((heading, field.section))
                self._heading_before.append((heading, field.key))
                last_section = field.section
                row += 1
            self.rows[field.key] = FieldRow(self, field, grid, row)
            row += 1
        grid.setRowStretch(row, 1)
        self.grid = grid
        self.stacked = False
        self._last_row = row
        self.setWidget(inner)
        self._errors: dict[str, dict] = {}
        #: Shown (so maybe holding personal data) since the last clear: a wipe clears only these pages,
        #: not all nine (~4 ms of the GUI thread on every return home).
        self.used = False

    #: Below this width (times the text scale) the label, field and message columns are stacked.
    STACK_BELOW_PX = 1200

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override)
        super().resizeEvent(event)
        self._fit_columns()

    def changeEvent(self, event) -> None:  # noqa: N802, ANN001 (Qt override): large text toggled
        super().changeEvent(event)
        if event.type() == event.Type.StyleChange:
            self._fit_columns()

    def _fit_columns(self) -> None:
        stacked = self.viewport().width() < self.STACK_BELOW_PX * self.screen.ctx.theme.scale
        if stacked != self.stacked:
            self.arrange(stacked)

    def arrange(self, stacked: bool) -> None:
        """Lay the fields out in columns or stacked; the section headings span the page either way."""
        self.stacked = stacked
        grid = self.grid
        grid.setRowStretch(self._last_row, 0)
        headings = {field_key: heading for heading, field_key in self._heading_before}
        row = 0
        for key, field_row in self.rows.items():
            if key in headings:
                grid.removeWidget(headings[key])
                grid.addWidget(headings[key], row, 0, 1, 3)
                row += 1
            row = field_row.place(grid, row, stacked)
        grid.setRowStretch(row, 1)
        self._last_row = row

    def on_changed(self) -> None:
        self.screen.session.touch()
        # a corrected field loses its message as soon as it is valid, and the count above the button follows
        fixed = False
        for key in list(self._errors):
            row = self.rows[key]
            if forms.validate_field(row.field, row.value()) is None:
                del self._errors[key]
                row.show_error(None, self.language)
                fixed = True
        if fixed:
            self.screen.show_error_count(len(self._errors))

    def values(self) -> dict[str, str]:
        return {key: row.value() for key, row in self.rows.items()}

    def set_values(self, values: dict[str, str]) -> None:
        for key, row in self.rows.items():
            row.input.blockSignals(True)  # a pre-fill is not 28 edits to re-check
            try:
                row.set_value(values.get(key, ""))
            finally:
                row.input.blockSignals(False)
            if isinstance(row.input, QCheckBox):
                row.retranslate(self.language or "vi", "")

    def validate(self, skip_types: tuple[str, ...] = ("ward",)) -> dict[str, dict]:
        values = self.values()
        errors = {k: v for k, v in forms.validate_form(self.proc, values).items()
                  if self.proc.field(k).type not in skip_types}
        self._errors = errors
        for key, row in self.rows.items():
            row.show_error(errors.get(key), self.language)
        if errors:
            first = self.rows[next(iter(errors))]
            self.ensureWidgetVisible(first.input, 50, 120)
        return errors

    def clear(self) -> None:
        if not self.used:
            return
        self.used = False
        self.set_values({})
        self.ward_value = ""
        self._errors = {}
        for row in self.rows.values():
            row.show_error(None, self.language or "vi")
        self.verticalScrollBar().setValue(0)

    def clear_errors(self) -> None:
        for key in list(self._errors):
            self.rows[key].show_error(None, self.language or "vi")
        self._errors = {}

    def retranslate(self, language: str, ward_text: str) -> None:
        self.language = language
        for heading, text in self.sections:
            heading.setText(text.get(language) or text.get("vi", ""))
        for key, row in self.rows.items():
            row.retranslate(language, ward_text)
            row.show_error(self._errors.get(key), language)


class FormScreen(Screen):
    state = State.FORM
    wants_keyboard = True
    title = {"vi": "Tờ khai", "en": "The form"}
    spoken = ("intro", "summary")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.intro = label(role="muted")
        self.root.addWidget(self.intro)
        self.pages = QStackedWidget()
        self.root.addWidget(self.pages, 1)
        #: One page per procedure (~110 widgets each), built by the warm-up in short steps (page_steps), or
        #: on demand. A text-size or contrast switch drops the pages not on screen and rebuilds them in the
        #: background: restyling all nine froze the screen ~200 ms.
        self.forms: dict[str, FormPage] = {}
        row = QHBoxLayout()
        self.summary = label(role="error")
        self.summary.setObjectName("form-summary")
        row.addWidget(self.summary, 2)
        self.next_button = button("primary", self._on_next_clicked, name="form-next")
        row.addWidget(self.next_button, 1)
        self.root.addLayout(row)
        self.filled_for: str | None = None

    def page_for(self, procedure_id: str) -> FormPage:
        """The procedure's form page, built now if the warm-up or a rebuild has not got to it yet."""
        page = self.forms.get(procedure_id)
        if page is None:
            page = self.forms[procedure_id] = FormPage(self, self.services.procedure(procedure_id))
            self.pages.addWidget(page)
        return page

    def page_steps(self, procedure_id: str) -> list[Callable[[], None]]:
        """Build, translate and paint a page offscreen: three steps of 10-30 ms, one per turn of the event
        loop, instead of one ~60 ms freeze when the form first opens."""

        def translate() -> None:
            page = self.page_for(procedure_id)
            if page.language != self.language:
                page.retranslate(self.language, self.t(WARD_NOTE))

        return [lambda: self.page_for(procedure_id), translate,
                lambda: self.navigator.paint_offscreen(self.page_for(procedure_id))]

    def before_restyle(self) -> list[Callable[[], None]]:
        """Delete the pages not on screen, to be rebuilt in the new style one step per turn: restyling
        all nine (~970 widgets) froze the screen ~200 ms, deleting them takes ~12 ms."""
        current = self.pages.currentWidget() if self.isVisible() else None
        dropped = [pid for pid, page in self.forms.items() if page is not current]
        for pid in dropped:
            page = self.forms.pop(pid)
            self.pages.removeWidget(page)
            shiboken6.delete(page)  # now, not deleteLater: a restyle would still walk its widgets
        return [step for pid in dropped for step in self.page_steps(pid)]

    @property
    def page(self) -> FormPage | None:
        procedure_id = self.session.data.procedure_id
        return self.page_for(procedure_id) if procedure_id else None

    def enter(self) -> None:
        page = self.page
        if page is None:
            return
        page.used = True
        self.pages.setCurrentWidget(page)
        data = self.session.data
        key = f"{data.procedure_id}:{'card' if data.identity is not None else 'typed'}"
        if self.filled_for != key:  # first visit in this session (or after another card): pre-fill
            values = forms.defaults(page.proc)
            if data.form:
                values.update(data.form)
            if data.identity is not None:
                values.update(forms.autofill(page.proc, data.identity))
            page.clear_errors()
            page.set_values(values)
            page.verticalScrollBar().setValue(0)
            self.filled_for = key
        self.summary.setText("")
        self.retranslate_ui()

    def leave(self) -> None:
        page = self.page
        if page is not None and self.session.data.procedure_id:
            self.session.data.form = page.values()

    def _on_next_clicked(self) -> None:
        page = self.page
        if page is None:
            return
        errors = page.validate()
        if errors:
            self.show_error_count(len(errors))
            self.announce()  # how many fields to fix
            return
        self.session.data.form = page.values()
        # a paperless dossier: the documents that may be photographed come next, when the kiosk can
        proc = self.services.procedure(self.session.data.procedure_id)
        wanted = self.services.settings.documents["enabled"] and proc.electronic_documents
        self.navigator.go(State.DOCUMENTS if wanted else State.WARD)

    def show_error_count(self, count: int) -> None:
        """The summary above "Continue": how many fields still need correcting, kept current as they are fixed."""
        if count == 0:
            self.summary.setText("")  # nothing left to correct: no red line left behind
            return
        self.summary.setText(both({
            "vi": f"Còn {count} mục cần sửa (chữ đỏ ở ô đó).",
            "en": f"{count} field(s) need correcting (red text at the field)."}))

    def reset(self) -> None:
        for page in self.forms.values():
            page.clear()
        self.filled_for = None
        self.summary.setText("")

    def retranslate_ui(self) -> None:
        self.intro.setText(self.t({"vi": "Các ô có dấu * là bắt buộc. Chạm vào một ô để nhập bằng bàn phím "
                                         "trên màn hình; thông tin từ thẻ căn cước đã được điền sẵn.",
                                   "en": "Fields marked * are required. Touch a field to type on the on-screen "
                                         "keyboard; details from your ID card are already filled in."}))
        self.next_button.setText(self.t({"vi": "Tiếp tục →", "en": "Continue →"}))
        page = self.page
        if page is not None and page.language != self.language:  # a long form: only when it changed
            page.retranslate(self.language, self.t(WARD_NOTE))
