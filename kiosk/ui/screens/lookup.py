"""Look up a dossier: show the receipt's QR to the camera or type the code -> status, appointment date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from kiosk.core.patterns import is_dossier_reference
from kiosk.core.session import State
from kiosk.ui.health import camera_gone
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.identify import PreviewLabel
from kiosk.ui.widgets import AdaptiveRow, button, finger_scrolled, label, line_edit, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

#: Said when the camera reads a QR that is not a receipt's (most often the citizen ID card).
NOT_A_RECEIPT_QR = {"vi": "Đây không phải mã QR của giấy tiếp nhận; vui lòng đưa mã QR ở đầu giấy tiếp nhận.",
                    "en": "This is not a receipt QR; please show the QR at the top of your receipt."}

#: Any failure of the look-up itself (no connection, a 5xx, a timeout): what failed and the ways on.
LOOKUP_FAILED = {"vi": "Chưa tra cứu được hồ sơ. Vui lòng thử lại hoặc hỏi cán bộ tại quầy.",
                 "en": "The look-up did not work. Please try again or ask at the counter."}


class LookupScreen(Screen):
    state = State.LOOKUP
    wants_keyboard = True
    title = {"vi": "Tra cứu hồ sơ", "en": "Look up a dossier"}
    spoken = ("prompt", "result", "error")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        # portrait: the camera preview above the code and the result
        row = AdaptiveRow(24)
        self.preview = PreviewLabel()
        row.addWidget(self.preview, 1)
        right = QVBoxLayout()
        self.prompt = label(role="subtitle")
        right.addWidget(self.prompt)
        entry = QHBoxLayout()
        self.code = line_edit(keyboard="numeric", name="lookup-code")
        entry.addWidget(self.code, 3)
        self.search_button = button("primary", self._on_search_clicked, name="lookup-search")
        entry.addWidget(self.search_button, 1)
        right.addLayout(entry)
        frame, inner = panel()
        self.result = label()
        self.result.setObjectName("lookup-result")
        self.result.setProperty("personal", True)
        self.error = label(role="error")
        inner.addWidget(self.result)
        inner.addWidget(self.error)
        inner.addStretch(1)
        right.addWidget(finger_scrolled(frame), 1)
        self.rate = button(None, lambda: self.navigator.go(State.RATING), name="lookup-rate")
        right.addWidget(self.rate)
        row.addLayout(right, 1)
        self.root.addLayout(row, 1)
        self.busy = False
        self.camera_gone = False  # no camera: the code is typed, no QR is asked for
        self.error_message: dict | None = None

    def default_field(self):
        return self.code

    def enter(self) -> None:
        self.camera_gone = camera_gone(self.devices.camera.status)
        self._unwatch_camera = self.devices.watch_camera(self._on_camera_decoded, self.preview.show_image,
                                                         self._on_camera_status)
        self.retranslate_ui()

    def _on_camera_status(self, code: str, _message: dict) -> None:
        self.camera_gone = camera_gone(code)
        self.retranslate_ui()

    def leave(self) -> None:
        self._unwatch_camera()
        self.preview.show_image(None)

    def _on_camera_decoded(self, text: str) -> None:
        code = text.strip()
        if self.busy or code == self.code.text():
            return
        if not is_dossier_reference(code):
            # An ID card's payload holds the citizen's number, name and address: it is never put in
            # the field, sent nor logged; the citizen is told what to show instead.
            if self.error_message is not NOT_A_RECEIPT_QR:
                self.error_message = NOT_A_RECEIPT_QR
                self.retranslate_ui()
            return
        self.code.setText(code)
        self._on_search_clicked()

    def _on_search_clicked(self) -> None:
        code = self.code.text().strip().upper()
        if not code:
            self.error_message = {"vi": "Vui lòng nhập mã hồ sơ in trên giấy tiếp nhận.",
                                  "en": "Please type the dossier code printed on your receipt."}
            self.retranslate_ui()
            return
        if not is_dossier_reference(code):
            from kiosk.app.faults import MalformedCode

            self.error_message = dict(MalformedCode.default_message)
            self.retranslate_ui()
            return
        # the keyboard goes: the result appears where it stood, not behind it
        self.code.clearFocus()
        self.busy = True
        self.error_message = None
        self.session.data.lookup_code = code
        self.session.data.lookup_result = None
        self.retranslate_ui()
        self.ctx.runners.backend.run(lambda: self.services.lookup(code), self._on_lookup_done,
                                        self._on_lookup_failed)

    def _on_lookup_done(self, result: dict | None) -> None:
        self.busy = False
        if self.session.state != State.LOOKUP:
            return
        if result is None:
            self.error_message = {"vi": "Không tìm thấy hồ sơ với mã này. Vui lòng kiểm tra lại mã.",
                                  "en": "No dossier has this code. Please check the code."}
        self.session.data.lookup_result = result
        self.ctx.events.sig_lookup_done.emit(result or {})
        self.retranslate_ui()
        self.announce()

    def _on_lookup_failed(self, error: BaseException) -> None:
        from kiosk.app.faults import MalformedCode

        self.busy = False
        # the client's own messages speak of an unsent dossier ("saved, will be sent again"): not this case
        self.error_message = dict(error.message) if isinstance(error, MalformedCode) else dict(LOOKUP_FAILED)
        self.ctx.events.sig_lookup_done.emit({})
        self.retranslate_ui()
        self.announce()

    def reset(self) -> None:
        self.code.setText("")
        self.result.setText("")
        self.error_message = None
        self.busy = False

    def retranslate_ui(self) -> None:
        if self.camera_gone:
            self.prompt.setText(self.t({"vi": "Nhập mã hồ sơ in trên giấy tiếp nhận:",
                                        "en": "Type the dossier code printed on your receipt:"}))
            self.preview.show_unavailable(self.t({"vi": "Không dùng được máy ảnh. Vui lòng nhập mã hồ sơ.",
                                                  "en": "The camera is not available. Please type the code."}))
        else:
            self.preview.unavailable = ""
            self.prompt.setText(self.t({"vi": "Đưa mã QR trên giấy tiếp nhận vào dưới camera, hoặc nhập mã hồ sơ:",
                                        "en": "Hold the QR code of your receipt under the camera, or type the "
                                              "dossier code:"}))
        self.code.setPlaceholderText(self.t({"vi": "Ví dụ: 00073-261124-0001", "en": "e.g. 00073-261124-0001"}))
        self.search_button.setText(self.t({"vi": "Tra cứu", "en": "Look up"}))
        self.rate.setText(self.t({"vi": "Đánh giá dịch vụ", "en": "Rate the service"}))
        self.error.setText(both(self.error_message) if self.error_message else "")
        result = self.session.data.lookup_result
        if self.busy:
            self.result.setText(self.t({"vi": "Đang tra cứu…", "en": "Looking up…"}))
        elif result:
            lines = [self.t({"vi": "Mã hồ sơ: ", "en": "Dossier code: "}) + str(result.get("code", ""))]
            if result.get("procedure_name"):
                lines.append(self.t({"vi": "Thủ tục: ", "en": "Procedure: "}) + self.t(result["procedure_name"]))
            lines.append(self.t({"vi": "Trạng thái: ", "en": "Status: "}) + self.t(result.get("status_text")))
            if result.get("appointment_date"):
                lines.append(self.t({"vi": "Ngày hẹn trả kết quả: ", "en": "Result due on: "})
                             + str(result["appointment_date"]))
            if result.get("note"):
                lines.append(self.t(result["note"]))
            self.result.setText("\n".join(lines))
        else:
            self.result.setText("")
