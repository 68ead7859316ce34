"""Home / attract screen: the four journeys as large tiles; on a kiosk not set up yet, the technician's
setup notice instead (a kiosk that does not know its ward must not present itself as one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout

from kiosk.core.session import State
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import button, finger_scrolled, label, set_qt_enum

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext

TILES = [
    (State.NUMBER, {"vi": "Lấy số thứ tự", "en": "Take a queue number"}),
    (State.PROCEDURE, {"vi": "Nộp hồ sơ thủ tục hành chính", "en": "File a dossier"}),
    (State.LOOKUP, {"vi": "Tra cứu hồ sơ", "en": "Look up a dossier"}),
    (State.RATING, {"vi": "Đánh giá sự hài lòng", "en": "Rate our service"}),
]

OUT_OF_SERVICE = {"vi": "Kiosk tạm ngừng phục vụ. Vui lòng đến quầy tiếp nhận.",
                  "en": "The kiosk is out of service. Please go to the reception counter."}

#: What each key `kiosk run` needs is, for the technician reading the setup screen.
SETUP_KEYS = {
    "kiosk.ward_code": {"vi": "mã phường/xã nơi đặt kiosk (5 chữ số, danh mục 2025)",
                        "en": "the ward this kiosk stands in (five-digit 2025 code)"},
    "backend.url": {"vi": "địa chỉ máy chủ một cửa của tỉnh", "en": "the provincial backend's URL"},
    "backend.token": {"vi": "mã thiết bị do tỉnh cấp", "en": "the device token issued by the province"},
}


class HomeScreen(Screen):
    state = State.HOME
    swipe_later = True  # built before the first touch can be served (Page.swipe_later)
    title = {"vi": "Trang chủ", "en": "Home"}
    spoken = ("welcome", "ward", "out_of_service", "hint")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        self.missing = list(self.services.settings.missing)
        #: a data folder the kiosk cannot keep dossiers in (read-only, damaged): no citizen tiles either
        self.problem = getattr(self.services, "storage_problem", None)
        self.welcome = label(role="title")
        self.welcome.setObjectName("home-welcome")
        self.ward = label(role="subtitle")
        self.ward.setObjectName("home-ward")
        self.hint = label(role="subtitle")
        self.root.addWidget(self.welcome)
        self.root.addWidget(self.ward)
        self.tiles = {}
        if self.missing or self.problem:
            self.title = {"vi": "Cài đặt kiosk", "en": "Kiosk setup"}
            self.setup = label()
            self.setup.setObjectName("home-setup")
            # The notice is longer than a 1366x768 screen is tall: it scrolls, by finger as by wheel.
            scroll = finger_scrolled(self.setup)
            self.root.addWidget(scroll, 1)
            return
        grid = QGridLayout()
        grid.setSpacing(28)
        # equal columns, and a tile's words go onto a second line rather than widening its column
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        for i, (state, _text) in enumerate(TILES):
            tile = button("tile", lambda s=state: self.navigator.go(s), name=f"tile-{state.value}")
            self.tiles[state] = tile
            grid.addWidget(tile, i // 2, i % 2)
        self.root.addStretch(1)
        self.out_of_service = label(role="title")
        self.out_of_service.setObjectName("home-out-of-service")
        set_qt_enum(self.out_of_service, "alignment", "AlignCenter")  # by name: no Qt enums before the first touch
        self.out_of_service.hide()
        self.root.addWidget(self.out_of_service)
        self.root.addLayout(grid)
        self.root.addStretch(1)
        self.root.addWidget(self.hint)
        self.ctx.health.sig_changed.connect(self._on_health_changed)

    def retranslate_ui(self) -> None:
        if self.problem:
            self._retranslate_problem()
            return
        if self.missing:
            self._retranslate_setup()
            return
        self.welcome.setText(self.t({"vi": "Xin chào! Kiosk dịch vụ công tự phục vụ",
                                     "en": "Welcome! Self-service public service kiosk"}))
        self.ward.setText(self.services.ward_display)
        self.hint.setText(self.t({"vi": "Chạm vào một ô để bắt đầu. Cần giúp đỡ? Hãy hỏi cán bộ tại quầy.",
                                  "en": "Touch a tile to start. Need help? Ask an officer at the counter."}))
        self._show_availability()

    def _on_health_changed(self) -> None:
        self._show_availability()

    def _show_availability(self) -> None:
        """Offer a journey only when it can finish; when none can, send the citizen to the counter."""
        availability = self.ctx.health.availability()
        closed = not any(availability.values())
        for state, text in TILES:
            tile, open_ = self.tiles[state], availability.get(state.value, True)
            tile.setEnabled(open_)
            tile.setVisible(not closed)
            tile.setText(self.t(text) if open_ else
                         f"{self.t(text)}\n{self.t({'vi': '(tạm ngừng)', 'en': '(unavailable now)'})}")
        # both languages at once: whoever stands here must understand that the counter is the way on
        self.out_of_service.setText(both(OUT_OF_SERVICE))
        self.out_of_service.setVisible(closed)
        self.hint.setVisible(not closed)

    def _retranslate_problem(self) -> None:
        taps = int(self.services.settings.maintenance["gesture_taps"])
        self.welcome.setText("Kiosk tạm ngừng phục vụ\nThis kiosk is out of service")
        self.ward.setText("Kiosk không lưu được hồ sơ vào thư mục dữ liệu của nó.\n"
                          "The kiosk cannot keep dossiers in its data folder.")
        self.setup.setText("\n".join([
            self.problem["vi"], self.problem["en"], "",
            "Sau khi sửa, khởi động lại kiosk; `kiosk doctor` cho biết phần nào còn hỏng.",
            "Once fixed, restart the kiosk; `kiosk doctor` names what is still broken.", "",
            f"Bảo trì: chạm nhanh {taps} lần vào góc trên bên phải màn hình rồi nhập mã PIN bảo trì.",
            f"Maintenance: tap the top-right corner of the screen {taps} times quickly, then enter the PIN."]))

    def _retranslate_setup(self) -> None:
        # Read by a technician, perhaps with a citizen looking on: both languages at once, Vietnamese first.
        from kiosk.core.config import config_path, env_name

        settings = self.services.settings
        path = settings.config_file or str(config_path(self.services.data_dir))
        taps = int(settings.maintenance["gesture_taps"])
        self.welcome.setText("Kiosk chưa được cài đặt\nThis kiosk is not set up yet")
        self.ward.setText("Kiosk chưa phục vụ công dân cho đến khi cấu hình đủ các mục dưới đây.\n"
                          "It does not serve citizens until the keys below are configured.")
        lines = ["Còn thiếu / Missing:"]
        for dotted in self.missing:
            meaning = SETUP_KEYS.get(dotted, {"vi": dotted, "en": dotted})
            lines.append(f"  •  {dotted} — {meaning['vi']} / {meaning['en']}  (biến môi trường / environment: "
                         f"{env_name(dotted)})")
        lines += [
            "",
            f"Cách đặt: sửa tệp cấu hình {path} (hoặc đặt các biến môi trường trên), kiểm tra bằng "
            "`kiosk config --check`, rồi khởi động lại kiosk.",
            f"How to set them: edit the configuration file {path} (or set the environment variables above), "
            "check it with `kiosk config --check`, then restart the kiosk.",
            "",
            f"Bảo trì: chạm nhanh {taps} lần vào góc trên bên phải màn hình rồi nhập mã PIN bảo trì "
            "(đặt bằng `kiosk set-pin`); trang Cấu hình đặt được mã phường, mã đơn vị và địa chỉ máy chủ, rồi "
            "chọn \"Khởi động lại ứng dụng\".",
            f"Maintenance: tap the top-right corner of the screen {taps} times quickly, then enter the "
            "maintenance PIN (set with `kiosk set-pin`); its Configuration page sets the ward, the unit code "
            "and the backend URL, then choose \"Restart the app\".",
        ]
        self.setup.setText("\n".join(lines))
