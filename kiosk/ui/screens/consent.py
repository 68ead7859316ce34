"""Consent to the use of personal data, asked before the card is read (DESIGN.md section 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout

from kiosk.core import clock
from kiosk.core.session import State
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

CONSENT_TEXT_VERSION = "2025-07"
CONSENT_TEXT = {
    "vi": "Để nộp hồ sơ, kiosk cần đọc thông tin trên thẻ căn cước của bạn (họ tên, số định danh, ngày sinh, "
          "giới tính, nơi cư trú) và các thông tin bạn khai trong tờ khai.\n\n"
          "• Thông tin chỉ dùng để giải quyết thủ tục bạn chọn và được gửi đến cơ quan có thẩm quyền.\n"
          "• Kiosk xoá thông tin khỏi màn hình ngay khi bạn kết thúc, và xoá bản lưu tạm sau khi hồ sơ "
          "đã được tiếp nhận.\n"
          "• Bạn có thể dừng bất cứ lúc nào bằng nút «Trang chủ».\n\n"
          "Căn cứ: Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân.",
    "en": "To file a dossier, the kiosk needs to read your ID card (name, ID number, date of birth, sex, "
          "address) and what you enter in the form.\n\n"
          "• It is used only to handle the procedure you chose and is sent to the competent authority.\n"
          "• The kiosk clears it from the screen as soon as you finish and deletes its temporary copy once "
          "the dossier has been received.\n"
          "• You can stop at any time with the «Home» button.\n\n"
          "Legal basis: Decree 13/2023/ND-CP on personal data protection.",
}


class ConsentScreen(Screen):
    state = State.CONSENT
    title = {"vi": "Đồng ý sử dụng thông tin cá nhân", "en": "Consent to the use of your personal data"}
    spoken = ("text",)

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        frame, inner = panel()
        self.text = label()
        inner.addWidget(self.text)
        self.root.addWidget(frame)
        self.root.addStretch(1)
        row = QHBoxLayout()
        self.decline = button(None, self._on_decline_clicked, name="consent-decline")
        self.agree = button("primary", self._on_agree_clicked, name="consent-agree")
        row.addWidget(self.decline)
        row.addWidget(self.agree)
        self.root.addLayout(row)

    def _on_agree_clicked(self) -> None:
        self.session.data.consent_given = True
        self.session.data.consent_at = clock.now().isoformat(timespec="seconds")
        self.navigator.go(State.IDENTIFY)

    def _on_decline_clicked(self) -> None:
        self.navigator.go_home()

    def retranslate_ui(self) -> None:
        self.text.setText(self.t(CONSENT_TEXT))
        self.agree.setText(self.t({"vi": "Tôi đồng ý", "en": "I agree"}))
        self.decline.setText(self.t({"vi": "Không đồng ý (về trang chủ)", "en": "I do not agree (home)"}))
