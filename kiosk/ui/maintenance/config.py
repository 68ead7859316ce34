"""Configuration: the settings a technician changes on site, typed on the on-screen keyboard.

The file is validated by ``kiosk.core.config`` before it is written (atomically, by ``save_config``);
a refusal names the key and the reason and leaves the file untouched. Changes apply at the next start.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QGridLayout, QHBoxLayout, QLineEdit, QWidget

from kiosk.app.maintenance import config_file, save_changes
from kiosk.ui.i18n import both
from kiosk.ui.keyboard import OnScreenKeyboard
from kiosk.ui.maintenance.common import MaintPage
from kiosk.ui.maintenance.pin import audit
from kiosk.ui.widgets import button, label, line_edit

#: (dotted key, label, keyboard) — what a technician may change from the screen.
FIELDS = [
    ("kiosk.id", {"vi": "Mã kiosk", "en": "Kiosk id"}, "text"),
    ("kiosk.ward_code", {"vi": "Mã phường/xã (5 số)", "en": "Ward code (5 digits)"}, "numeric"),
    ("backend.url", {"vi": "Địa chỉ máy chủ tỉnh", "en": "Backend URL"}, "text"),
    ("kiosk.idle_timeout_s", {"vi": "Chờ không thao tác (giây)", "en": "Idle timeout (s)"}, "numeric"),
    ("camera.index", {"vi": "Số camera", "en": "Camera index"}, "numeric"),
    ("printer.queue", {"vi": "Hàng đợi máy in (CUPS)", "en": "Printer queue (CUPS)"}, "text"),
]
LANGUAGE_KEY = "kiosk.language"
SYMBOLS = ["https://", "http://", ":", "/", "_", "."]


class ConfigPage(MaintPage):
    name = "config"
    title = {"vi": "Cấu hình", "en": "Configuration"}

    def __init__(self, panel_: Any) -> None:
        super().__init__(panel_)
        self.root.setSpacing(8)
        self.path_label = label(role="muted")
        self.root.addWidget(self.path_label)
        # label | field | label | field, labels on two lines (Vietnamese, English): the keyboard needs the room
        form = QGridLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        self.labels: dict[str, Any] = {}
        self.fields: dict[str, QLineEdit] = {}
        for i, (key, _text, kb) in enumerate(FIELDS):
            name = label(role="fieldlabel")
            name.setStyleSheet("font-size: 21px;")
            field = line_edit(kb, name=f"maint-config-{key}")
            form.addWidget(name, i // 2, 2 * (i % 2))
            form.addWidget(field, i // 2, 2 * (i % 2) + 1)
            self.labels[key], self.fields[key] = name, field
        row = len(FIELDS) // 2
        self.labels[LANGUAGE_KEY] = label(role="fieldlabel")
        self.labels[LANGUAGE_KEY].setStyleSheet("font-size: 21px;")
        form.addWidget(self.labels[LANGUAGE_KEY], row, 0)
        lang_row = QHBoxLayout()
        self.language_buttons = {}
        for code, text in (("vi", "Tiếng Việt"), ("en", "English")):
            b = button(None, lambda c=code: self._on_language_clicked(c), name=f"maint-config-language-{code}")
            b.setCheckable(True)
            b.setText(text)
            lang_row.addWidget(b)
            self.language_buttons[code] = b
        form.addLayout(lang_row, row, 1)
        actions = QHBoxLayout()
        self.save_button = button("primary", self._on_save_clicked, name="maint-config-save")
        self.revert_button = button(None, self.load, name="maint-config-revert")
        actions.addWidget(self.revert_button, 2)
        actions.addWidget(self.save_button, 3)
        form.addLayout(actions, row, 2, 1, 2)
        self.root.addLayout(form)
        self.message = label()
        self.message.setObjectName("maint-config-message")
        self.message.setMinimumHeight(56)
        self.root.addWidget(self.message)
        symbols = QHBoxLayout()
        for sym in SYMBOLS:
            b = button("key", lambda s=sym: self._insert(s), name=f"maint-symbol-{sym}")
            b.setText(sym)
            symbols.addWidget(b)
        self.root.addLayout(symbols)
        self.keyboard = OnScreenKeyboard()
        self.keyboard.setObjectName("maint-keyboard")
        self.keyboard.telex = False  # ids, URLs and queue names: no Vietnamese tone marks
        self.keyboard.setFixedHeight(5 * (self.ctx.theme.touch_px + 12) + 4 * 6 + 16 + 4)
        self.keyboard.sig_hide_requested.connect(self._on_keyboard_hide_requested)
        self.keyboard.sig_enter_pressed.connect(self._on_keyboard_enter_pressed)
        self.root.addWidget(self.keyboard)
        self.values: dict[str, dict[str, Any]] = {}
        self.language_value = "vi"
        self.saved: dict[str, tuple[Any, Any]] | None = None
        self.refusal: Any = None
        self.busy = False
        self._message: dict[str, str] | None = None

    # --- life cycle -------------------------------------------------------------------------------
    def enter(self) -> None:
        QApplication.instance().focusChanged.connect(self._on_app_focus_changed)
        self.load()

    def leave(self) -> None:
        try:
            QApplication.instance().focusChanged.disconnect(self._on_app_focus_changed)
        except (RuntimeError, TypeError):
            pass
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()

    def load(self) -> None:
        path = config_file(self.services)
        self._message = None
        self.refusal = None
        from kiosk.core.config import load_file_values

        self.run(lambda: load_file_values(path), self._on_loaded, self._on_load_failed)

    def _on_loaded(self, values: dict[str, dict[str, Any]]) -> None:
        self.values = values
        for key, field in self.fields.items():
            section, name = key.split(".", 1)
            field.setText(str(values[section][name]))
            field.setProperty("invalid", False)
        self.language_value = values["kiosk"]["language"]
        self.retranslate_ui()

    def _on_load_failed(self, err: BaseException) -> None:
        self._message = {"vi": f"Không đọc được tệp cấu hình: {err}", "en": f"Cannot read the configuration: {err}"}
        self.retranslate_ui()

    # --- editing ----------------------------------------------------------------------------------
    def _on_app_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(new, QLineEdit) and self.isAncestorOf(new):
            self.keyboard.prepare_for(new)

    def _insert(self, text: str) -> None:
        field = QApplication.focusWidget()
        if isinstance(field, QLineEdit) and self.isAncestorOf(field):
            field.insert(text)

    def _on_keyboard_hide_requested(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.clearFocus()

    def _on_keyboard_enter_pressed(self) -> None:
        fields = list(self.fields.values())
        focused = QApplication.focusWidget()
        if focused in fields and fields.index(focused) + 1 < len(fields):
            fields[fields.index(focused) + 1].setFocus()
        else:
            self._on_keyboard_hide_requested()

    def _on_language_clicked(self, code: str) -> None:
        self.language_value = code
        self.retranslate_ui()

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: field.text().strip() for key, field in self.fields.items()}
        out[LANGUAGE_KEY] = self.language_value
        return out

    def _on_save_clicked(self) -> None:
        if self.busy:
            return
        self.busy = True
        path = config_file(self.services)
        changes = self.changes()
        self.run(lambda: save_changes(path, changes), self._on_saved, self._on_save_refused)

    def _on_saved(self, changed: dict[str, tuple[Any, Any]]) -> None:
        self.busy = False
        self.saved = changed
        self.refusal = None
        for field in self.fields.values():
            field.setProperty("invalid", False)
            field.style().polish(field)
        # the backend token is never on this page; the values are safe in the audit trail
        audit(self.ctx, "config_changed", keys=sorted(changed), values={k: str(v[1]) for k, v in changed.items()})
        if changed:
            shown = ", ".join(f"{k} = {v[1]}" for k, v in changed.items())
            self._message = {"vi": f"Đã lưu ({shown}). Khởi động lại ứng dụng để áp dụng.",
                             "en": f"Saved ({shown}). Restart the app to apply it."}
        else:
            self._message = {"vi": "Không có thay đổi nào.", "en": "Nothing was changed."}
        self.retranslate_ui()

    def _on_save_refused(self, err: BaseException) -> None:
        from kiosk.core.config import ConfigError

        self.busy = False
        self.saved = None
        if isinstance(err, ConfigError):
            self.refusal = err
            self._message = {"vi": f"Chưa lưu — «{err.key}» không hợp lệ: {err.reason}",
                             "en": f"Not saved — {err.key}: {err.reason}"}
            field = self.fields.get(err.key)
            if field is not None:
                field.setProperty("invalid", True)
                field.style().polish(field)
        else:
            self._message = {"vi": f"Không ghi được tệp cấu hình: {err}",
                             "en": f"Cannot write the configuration: {err}"}
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.path_label.setText(self.bi({"vi": "Tệp", "en": "File"}) + f": {config_file(self.services)}")
        for key, text, _kb in FIELDS:
            self.labels[key].setText(both(text, self.language))
        self.labels[LANGUAGE_KEY].setText(both({"vi": "Ngôn ngữ mặc định", "en": "Default language"}, self.language,
                                             "\n"))
        for code, b in self.language_buttons.items():
            b.setChecked(code == self.language_value)
        self.message.setProperty("role", "error" if self.refusal else ("ok" if self.saved else None))
        self.message.setText(both(self._message, self.language) if self._message else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.save_button.setText(self.bi({"vi": "Kiểm tra, lưu", "en": "Check, save"}))
        self.revert_button.setText(self.bi({"vi": "Hoàn tác", "en": "Revert"}))
        self.keyboard.retranslate_ui(self.language)
