"""Test print: a test ticket through the kiosk's own print queue, to prove a repair, with the paper state."""

from __future__ import annotations

from typing import Any

from kiosk.core import clock
from kiosk.ui.screens.maint_common import MaintPage, audit, tall
from kiosk.ui.widgets import button, label, panel


class TestPrintPage(MaintPage):
    name = "print"
    title = {"vi": "In thử", "en": "Test print"}

    def __init__(self, panel_: Any) -> None:
        super().__init__(panel_)
        frame, inner = panel()
        self.explain = label(role="subtitle")
        self.printer_line = label()
        self.printer_line.setObjectName("maint-print-printer")
        self.result = label()
        self.result.setObjectName("maint-print-result")
        for w in (self.explain, self.printer_line, self.result):
            inner.addWidget(w)
        self.root.addWidget(frame)
        self.root.addStretch(1)
        self.print_button = button("primary", self._on_print_clicked, name="maint-print-go")
        tall(self.print_button, 2 * self.window_.theme.touch_px)
        self.root.addWidget(self.print_button)
        self.state = "idle"  # idle | printing | printed | failed
        self._result: dict[str, str] | None = None
        self._printer: Any = None

    def enter(self) -> None:
        self.state, self._result = "idle", None
        self._check_printer()
        self.retranslate_ui()

    def _check_printer(self) -> None:
        printer = self.services.printer
        if printer is not None:
            self.run(printer.status, self._on_printer_status)

    def _on_printer_status(self, status: Any) -> None:
        self._printer = status
        self.retranslate_ui()

    def _on_print_clicked(self) -> None:
        if self.state == "printing":
            return
        self.state, self._result = "printing", None
        self.retranslate_ui()
        services, window = self.services, self.window_

        def render() -> Any:
            ticket = {"number": "T000", "area": {"vi": "IN THỬ", "en": "TEST PRINT"}, "priority": False,
                      "issued_at": clock.now(), "offline": True, "people_ahead": None}
            return services.render_ticket(ticket)

        self.run(render, lambda doc: window.print_document("test", doc.path, self._on_printed, doc.media),
                 lambda err: self._on_printed(False, {"vi": f"Không tạo được phiếu: {err}",
                                                      "en": f"The ticket could not be made: {err}"}))

    def _on_printed(self, ok: bool, message: dict | None) -> None:
        self.state = "printed" if ok else "failed"
        self._result = message
        audit(self, "test_print", ok=ok)
        self._check_printer()
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.explain.setText(self.bi({"vi": "In một phiếu thử qua máy in của kiosk để kiểm tra sau khi sửa.",
                                      "en": "Print a test ticket on the kiosk's printer to prove a repair."}))
        st = self._printer
        if st is not None:
            left = f" ({st.paper_left})" if st.paper_left is not None else ""
            self.printer_line.setText(self.bi({"vi": f"Máy in: {st.state}, giấy: {st.paper}{left}",
                                               "en": f"Printer: {st.state}, paper: {st.paper}{left}"})
                                      + ("\n" + self.bi(st.message) if st.message and not st.ok else ""))
        else:
            self.printer_line.setText("…")
        role = None
        if self.state == "printing":
            text = {"vi": "Đang in…", "en": "Printing…"}
        elif self.state == "printed":
            text, role = {"vi": "Đã in xong phiếu thử T000.", "en": "Test ticket T000 printed."}, "ok"
        elif self.state == "failed":
            reason = self._result or {}
            text = {"vi": f"In lỗi: {reason.get('vi', '')}", "en": f"Print failed: {reason.get('en', '')}"}
            role = "error"
        else:
            text = {"vi": "", "en": ""}
        self.result.setProperty("role", role)
        self.result.setText(self.bi(text) if text["vi"] else "")
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.print_button.setEnabled(self.state != "printing")
        self.print_button.setText(self.bi({"vi": "In phiếu thử", "en": "Print a test ticket"}))
