"""Test print: a test ticket through the kiosk's own print queue, to prove a repair, with the paper state;
a warning when the paper is near its end; the last tickets and receipts that failed to print, each with a
reprint (of the kept PDF, while its reprint window lasts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from kiosk.core import clock
from kiosk.ui.maintenance.common import MaintPage, tall
from kiosk.ui.maintenance.pin import audit
from kiosk.ui.widgets import button, clear_layout, enable_swipe, label, panel


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
        self.paper_warning = label(role="error")
        self.paper_warning.setObjectName("maint-print-paper-warning")
        self.paper_warning.hide()
        for w in (self.explain, self.printer_line, self.paper_warning, self.result):
            inner.addWidget(w)
        self.root.addWidget(frame)
        self.failed_heading = label(role="subtitle")
        self.root.addWidget(self.failed_heading)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # the list takes what the rest leaves (it scrolls), never room from the printer's state above it
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        enable_swipe(scroll)
        holder = QWidget()
        self.failed_rows = QVBoxLayout(holder)
        self.failed_rows.setContentsMargins(0, 0, 0, 0)
        self.failed_rows.setSpacing(8)
        scroll.setWidget(holder)
        self.root.addWidget(scroll, 1)
        self.reprint_results: dict[Path, tuple[bool, str]] = {}  # path -> (printed, reference)
        self._rows_for: Any = None  # what the rows show now: rebuilt only when that changes
        self.print_button = button("primary", self._on_print_clicked, name="maint-print-go")
        tall(self.print_button, 2 * self.ctx.theme.touch_px)
        self.root.addWidget(self.print_button)
        self.state = "idle"  # idle | printing | printed | failed
        self._result: dict[str, str] | None = None
        self._printer: Any = None

    def enter(self) -> None:
        self.state, self._result = "idle", None
        self.reprint_results = {}
        self._rows_for = None
        self._unwatch_printer = self.ctx.devices.watch_printer()  # reprints enable once the printer is ready
        self.ctx.devices.sig_printer_status.connect(self._on_printer_status)
        self._check_printer()
        self.retranslate_ui()

    def leave(self) -> None:
        getattr(self, "_unwatch_printer", lambda: None)()
        try:
            self.ctx.devices.sig_printer_status.disconnect(self._on_printer_status)
        except (RuntimeError, TypeError):
            pass

    # --- failed prints -------------------------------------------------------------------------------
    def _on_reprint_clicked(self, item: Any) -> None:
        if not item.still_kept:  # its reprint window ended meanwhile
            self.retranslate_ui()
            return

        def printed(ok: bool, _message: dict | None) -> None:
            self.reprint_results[item.path] = (ok, item.reference)
            audit(self.ctx, "reprint", kind=item.kind, ok=ok)
            self._check_printer()
            self.retranslate_ui()

        self.reprint_results.pop(item.path, None)
        self.ctx.devices.print_document(item.kind, item.path, printed, item.media)

    def _fill_failed_rows(self) -> None:
        from kiosk.core.logs import mask_personal
        from kiosk.ui.printing import KIND_NAMES

        status = self._printer
        ready = status is not None and status.ok
        items = list(self.ctx.devices.failed_prints)
        shown = (self.language, ready, [(i.path, i.still_kept) for i in items], dict(self.reprint_results))
        if shown == self._rows_for:
            return
        self._rows_for = shown
        clear_layout(self.failed_rows)
        self.failed_heading.setText(self.bi(
            {"vi": "Phiếu in lỗi gần đây", "en": "Recent failed prints"} if items else
            {"vi": "Không có phiếu nào in lỗi.", "en": "No failed prints."}))
        for i, item in enumerate(items):
            row = QHBoxLayout()
            when = f"{item.failed_at:%d/%m %H:%M:%S}"
            text = label(f"{self.bi(KIND_NAMES.get(item.kind, {'vi': item.kind}))} · {when} · "
                         f"{mask_personal(item.reference)}")
            text.setObjectName(f"maint-failed-{i}")
            row.addWidget(text, 3)
            again = button(None, lambda it=item: self._on_reprint_clicked(it), name=f"maint-reprint-{i}")
            again.setText(self.bi({"vi": "In lại", "en": "Reprint"}) if item.still_kept else
                          self.bi({"vi": "Đã xoá bản in", "en": "File deleted"}))
            again.setEnabled(ready and item.still_kept)
            row.addWidget(again, 1)
            box = QWidget()
            box.setLayout(row)
            self.failed_rows.addWidget(box)
        for ok, reference in self.reprint_results.values():
            if ok:
                done = label(self.bi({"vi": "Đã in lại: ", "en": "Reprinted: "}) + mask_personal(reference),
                             role="ok")
                self.failed_rows.addWidget(done)
        self.failed_rows.addStretch(1)

    def _check_printer(self) -> None:
        printer = self.services.printer
        if printer is not None:
            self.run(printer.status, self._on_printer_status)

    def _on_printer_status(self, status: Any) -> None:
        self._printer = status
        if self.isVisible():
            self.retranslate_ui()

    def _on_print_clicked(self) -> None:
        if self.state == "printing":
            return
        self.state, self._result = "printing", None
        self.retranslate_ui()
        services, devices = self.services, self.ctx.devices

        def render() -> Any:
            ticket = {"number": "T000", "area": {"vi": "IN THỬ", "en": "TEST PRINT"}, "priority": False,
                      "issued_at": clock.now(), "offline": True, "people_ahead": None}
            return services.render_ticket(ticket)

        self.run(render, lambda doc: devices.print_document("test", doc.path, self._on_printed, doc.media),
                 lambda err: self._on_printed(False, {"vi": f"Không tạo được phiếu: {err}",
                                                      "en": f"The ticket could not be made: {err}"}))

    def _on_printed(self, ok: bool, message: dict | None) -> None:
        self.state = "printed" if ok else "failed"
        self._result = message
        audit(self.ctx, "test_print", ok=ok)
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
        low = st is not None and st.ok and st.paper == "low"
        self.paper_warning.setVisible(low)
        if low:
            left = {"vi": f" (còn khoảng {st.paper_left} phiếu)", "en": f" (about {st.paper_left} slips left)"} \
                if st.paper_left is not None else {"vi": "", "en": ""}
            self.paper_warning.setText(self.bi({
                "vi": f"Cảnh báo: máy in sắp hết giấy{left['vi']}. Hãy chuẩn bị cuộn giấy mới (khổ 80 mm).",
                "en": f"Warning: the printer is running low on paper{left['en']}. Have a new 80 mm roll ready."}))
        self._fill_failed_rows()
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
        self.result.setVisible(bool(text["vi"]))
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.print_button.setEnabled(self.state != "printing")
        self.print_button.setText(self.bi({"vi": "In phiếu thử", "en": "Print a test ticket"}))
