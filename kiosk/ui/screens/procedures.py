"""Choose a procedure: by area, by searching (with or without diacritics), or by scanning its QR."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.core.session import State
from kiosk.core.wards import fold
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import ReflowGrid, SwipeArea, button, enable_swipe, label, line_edit

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class ProcedureScreen(Screen):
    state = State.PROCEDURE
    title = {"vi": "Chọn thủ tục", "en": "Choose a procedure"}
    spoken = ("prompt",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.prompt = label(role="subtitle")
        self.root.addWidget(self.prompt)
        row = QHBoxLayout()
        self.search = line_edit(name="procedure-search")
        self.search.textChanged.connect(self._on_search_changed)
        row.addWidget(self.search, 3)
        self.clear_button = button(None, lambda: self.search.setText(""), name="procedure-search-clear")
        row.addWidget(self.clear_button, 1)
        self.root.addLayout(row)

        self.areas = [{"id": "", "vi": "Tất cả", "en": "All"}] + self.services.service_areas()
        # one row of chips in landscape, two or three in portrait or with large text
        chips = ReflowGrid(max_columns=len(self.areas))
        self.area_buttons = []
        for i, area in enumerate(self.areas):
            b = button(None, lambda a=area: self._on_area_chosen(a), name=f"procedure-area-{i}")
            b.setCheckable(True)
            self.area_buttons.append((b, area))
            chips.addWidget(b)
        self.root.addLayout(chips)
        self.area = self.areas[0]

        self.scroll = SwipeArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        enable_swipe(self.scroll)  # a swipe that starts on a procedure scrolls the list, never opens it
        inner = QWidget()
        self.list_layout = QVBoxLayout(inner)
        self.list_layout.setSpacing(14)
        self.procedure_buttons = []
        for proc in self.services.catalogue:
            b = button("choice", lambda p=proc: self._on_procedure_chosen(p), name=f"procedure-{proc.id}")
            self.procedure_buttons.append((b, proc))
            self.list_layout.addWidget(b)
        self.empty = label(role="muted")
        self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        self.scroll.setWidget(inner)
        self.root.addWidget(self.scroll, 1)
        self.scan_hint = label(role="muted")
        self.root.addWidget(self.scan_hint)

    def enter(self) -> None:
        self._show_scan_hint(self.devices.camera.status)
        self._unwatch_camera = self.devices.watch_camera(self._on_camera_decoded, on_status=self._on_camera_status)
        self._filter()

    def _on_camera_status(self, code: str, _message: dict) -> None:
        self._show_scan_hint(code)

    def _show_scan_hint(self, camera_status: str) -> None:
        from kiosk.ui.health import camera_gone

        # no camera, no invitation to show a QR code; it comes back with the camera
        self.scan_hint.setVisible(not camera_gone(camera_status))

    def leave(self) -> None:
        self._unwatch_camera()

    def _on_camera_decoded(self, text: str) -> None:
        proc = self.services.procedure_for_qr(text)
        if proc is not None:
            self._on_procedure_chosen(proc)

    def _on_area_chosen(self, area: dict) -> None:
        self.area = area
        self._filter()

    def _on_search_changed(self, _text: str) -> None:
        self._filter()

    def _filter(self) -> None:
        query = fold(self.search.text().strip())
        shown = 0
        for b, proc in self.procedure_buttons:
            in_area = not self.area["id"] or self.services.area_key(proc.area) == self.area["id"]
            haystack = fold(" ".join([proc.name.get("vi", ""), proc.name.get("en", ""), proc.code,
                                      proc.area.get("vi", ""), proc.area.get("en", "")]))
            visible = in_area and all(word in haystack for word in query.split())
            b.setVisible(visible)
            shown += visible
        for b, area in self.area_buttons:
            b.setChecked(area is self.area)
        self.empty.setVisible(shown == 0)

    def _on_procedure_chosen(self, proc) -> None:
        if self.session.state != State.PROCEDURE:
            return
        self.session.data.procedure_id = proc.id
        self.navigator.go(State.DETAILS)

    def reset(self) -> None:
        self.search.setText("")
        self.area = self.areas[0]
        self._filter()
        self.scroll.verticalScrollBar().setValue(0)  # the next citizen starts at the top, not where one swiped

    def retranslate_ui(self) -> None:
        self.prompt.setText(self.t({"vi": "Chọn thủ tục bạn muốn làm, hoặc gõ vài chữ để tìm (có dấu hay "
                                          "không dấu đều được):",
                                    "en": "Choose the procedure you need, or type a few letters to search "
                                          "(with or without diacritics):"}))
        self.search.setPlaceholderText(self.t({"vi": "Tìm thủ tục, ví dụ: khai sinh", "en": "Search, e.g. birth"}))
        self.clear_button.setText(self.t({"vi": "Xoá tìm kiếm", "en": "Clear"}))
        for b, area in self.area_buttons:
            b.setText(self.t(area))
        for b, proc in self.procedure_buttons:
            b.setText(self.t(proc.name))
        self.empty.setText(self.t({"vi": "Không tìm thấy thủ tục nào. Hãy thử từ khác hoặc hỏi cán bộ.",
                                   "en": "No procedure found. Try another word or ask an officer."}))
        self.scan_hint.setText(self.t({"vi": "Có mã QR của thủ tục? Đưa mã QR vào dưới camera để mở ngay.",
                                       "en": "Have a procedure's QR code? Hold it under the camera to open it."}))
