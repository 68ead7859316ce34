"""The competent ward: the kiosk's own by default, suggested from the card address, searchable.

"Non-boundary" filing: a citizen may file here for any ward of the kiosk's province; the dossier is
routed to the ward chosen on this screen. A card address in another province is only information: that
province's wards are not this kiosk's to file to (DESIGN.md section 8), so it is never offered as a choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout

from kiosk.core import forms, wards
from kiosk.core.session import State
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, enable_swipe, label, line_edit, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class WardScreen(Screen):
    state = State.WARD
    title = {"vi": "Nơi giải quyết hồ sơ", "en": "Where your dossier is handled"}
    spoken = ("chosen_caption", "chosen", "explain", "error")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        row = QHBoxLayout()
        row.setSpacing(24)
        left = QVBoxLayout()
        frame, inner = panel()
        self.chosen_caption = label(role="muted")
        self.chosen = label(role="subtitle")
        self.chosen.setObjectName("ward-chosen")
        self.explain = label()
        for w in (self.chosen_caption, self.chosen, self.explain):
            inner.addWidget(w)
        left.addWidget(frame)
        self.suggestion = button(None, self._on_suggestion_clicked, name="ward-suggestion")
        self.suggestion.setVisible(False)
        left.addWidget(self.suggestion)
        self.suggest_status = label(role="muted")
        left.addWidget(self.suggest_status)
        self.other_province = label(role="muted")
        self.other_province.setObjectName("ward-other-province")
        self.other_province.setVisible(False)
        left.addWidget(self.other_province)
        self.kiosk_ward = button(None, self._on_kiosk_ward_clicked, name="ward-kiosk")
        left.addWidget(self.kiosk_ward)
        left.addStretch(1)
        self.error = label(role="error")
        left.addWidget(self.error)
        self.next_button = button("primary", self._on_next_clicked, name="ward-next")
        left.addWidget(self.next_button)
        row.addLayout(left, 1)

        right = QVBoxLayout()
        self.search = line_edit(name="ward-search")
        self.search.textChanged.connect(self._on_search_changed)
        right.addWidget(self.search)
        self.list = QListWidget()
        self.list.setObjectName("ward-list")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.itemClicked.connect(self._on_list_clicked)
        enable_swipe(self.list)  # a province's ~100 wards: swiped through, a swipe chooses none of them
        # a long name ("Phường Văn Miếu - Quốc Tử Giám") takes a second line in a narrow column, not a cut
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right.addWidget(self.list, 1)
        row.addLayout(right, 1)
        self.root.addLayout(row, 1)
        self.suggested: wards.WardInfo | None = None
        self._suggest_for: str | None = None
        self._suggest_pending = False

    def _province(self) -> str:
        ward = wards.ward_by_code(self.services.ward_code)
        return ward.province_code if ward else ""

    def _province_name(self) -> str:
        return wards.provinces().get(self._province(), "")

    def _in_province(self, ward: wards.WardInfo | None) -> bool:
        return ward is not None and ward.province_code == self._province()

    def enter(self) -> None:
        data = self.session.data
        if not data.ward_code or not self._in_province(wards.ward_by_code(data.ward_code)):
            data.ward_code = self.services.ward_code
        address = self._address()
        if address and address != self._suggest_for:
            self._suggest_for = address
            self.suggested = None
            self._suggest_pending = True
            self.ctx.runners.wards.run(lambda: self.services.suggest_ward(address), self._on_suggest_done,
                                          lambda err: self._on_suggest_done(None))
        self._fill_list()
        self.retranslate_ui()

    def _address(self) -> str:
        data = self.session.data
        if data.identity is not None and data.identity.address:
            return data.identity.address
        for key, value in data.form.items():
            if key.endswith("address") and value:
                return value
        return ""

    def _on_suggest_done(self, ward: wards.WardInfo | None) -> None:
        if self.session.state != State.WARD and self.session.data.identity is None and not self.session.data.form:
            return  # the session ended meanwhile
        self.suggested = ward
        self._suggest_pending = False
        self.retranslate_ui()

    def _on_suggestion_clicked(self) -> None:
        if self._in_province(self.suggested):
            self._choose(self.suggested.code)

    def _on_kiosk_ward_clicked(self) -> None:
        self._choose(self.services.ward_code)

    def _on_list_clicked(self, item: QListWidgetItem) -> None:
        self._choose(item.data(Qt.ItemDataRole.UserRole))

    def _choose(self, code: str) -> None:
        if not self._in_province(wards.ward_by_code(code)):
            return  # the backend would refuse it: never let it reach the dossier
        self.session.data.ward_code = code
        self.session.touch()
        self.error.setText("")
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == code:
                self.list.setCurrentRow(row)
                break
        else:
            self.list.clearSelection()
        self.retranslate_ui()

    def _on_search_changed(self, _text: str) -> None:
        self._fill_list()

    def _fill_list(self) -> None:
        query = self.search.text().strip()
        found = wards.search_wards(query, self._province(), limit=200) if query else \
            wards.wards_in_province(self._province())
        self.list.clear()
        chosen = self.session.data.ward_code or self.services.ward_code
        for w in found:
            item = QListWidgetItem(w.name)
            item.setData(Qt.ItemDataRole.UserRole, w.code)
            self.list.addItem(item)
            if w.code == chosen:
                self.list.setCurrentItem(item)

    def _on_next_clicked(self) -> None:
        data = self.session.data
        proc = self.services.procedure(data.procedure_id)
        if not self._in_province(wards.ward_by_code(data.ward_code or "")):
            data.ward_code = self.services.ward_code
        for f in proc.fields:
            if f.type == "ward":
                data.form[f.key] = data.ward_code or ""
                problem = forms.validate_field(f, data.form[f.key])
                if problem:
                    self.error.setText(both(problem))
                    return
        self.navigator.go(State.REVIEW)

    def reset(self) -> None:
        self.suggested = None
        self._suggest_for = None
        self._suggest_pending = False
        self.search.setText("")
        self.suggest_status.setText("")
        self.other_province.setText("")
        self.other_province.setVisible(False)
        self.list.clear()

    def retranslate_ui(self) -> None:
        code = self.session.data.ward_code or self.services.ward_code
        ward = wards.ward_by_code(code)
        self.chosen_caption.setText(self.t({"vi": "Hồ sơ sẽ được chuyển đến:", "en": "Your dossier goes to:"}))
        self.chosen.setText(ward.full_name if ward else code)
        self.explain.setText(self.t({
            "vi": f"Bạn có thể nộp hồ sơ tại đây cho bất kỳ phường, xã nào thuộc {self._province_name()} "
                  "(phi địa giới). Chọn nơi cư trú của bạn nếu khác.",
            "en": f"You can file here for any ward or commune of {self._province_name()} (non-boundary "
                  "filing). Choose where you live if it is elsewhere."}))
        self.kiosk_ward.setText(self.t({"vi": "Phường đặt kiosk: ", "en": "This kiosk's ward: "})
                                + self.services.ward_display_short)
        elsewhere = self.suggested if self.suggested is not None and not self._in_province(self.suggested) \
            else None
        self.other_province.setVisible(elsewhere is not None)
        self.other_province.setText("" if elsewhere is None else self.t({
            "vi": f"Địa chỉ thường trú trên thẻ của bạn thuộc {elsewhere.province_name}, một tỉnh, thành phố "
                  "khác: vui lòng nộp hồ sơ tại đó hoặc tại các điểm tiếp nhận của tỉnh, thành phố đó.",
            "en": f"Your registered address is in another province ({elsewhere.province_name}): please "
                  "file there or at its service points."}))
        if self.suggested is not None and elsewhere is None:
            self.suggestion.setText(self.t({"vi": "Theo địa chỉ trên thẻ: ", "en": "From your card's address: "})
                                    + self.suggested.full_name)
            self.suggestion.setVisible(True)
            self.suggest_status.setText("")
        else:
            self.suggestion.setVisible(False)
            self.suggest_status.setText(self.t({"vi": "Đang tìm phường theo địa chỉ trên thẻ…",
                                                "en": "Looking up the ward of your card's address…"})
                                        if self._suggest_pending else "")
        self.search.setPlaceholderText(self.t({"vi": "Tìm phường, xã (có dấu hoặc không dấu)",
                                               "en": "Search a ward (with or without diacritics)"}))
        self.next_button.setText(self.t({"vi": "Tiếp tục →", "en": "Continue →"}))
