"""``kiosk demo`` (a window plus a small demo panel) and ``kiosk run`` (the fullscreen kiosk)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.app.devices import simulated_faults
from kiosk.core.samples import TEST_CITIZENS, sample_payload

log = logging.getLogger("kiosk.ui")

#: The counter the demo panel's "call next" calls to (the issue's example: "Mời đến quầy 3").
DEMO_COUNTER = 3


def _panel_button(text: str) -> QPushButton:
    """A button whose words wrap: the panel keeps to its strip of screen whatever its texts' length."""
    from kiosk.ui.widgets import WrapButton

    button = WrapButton()
    # a push button's own policy never shrinks it below its one-line width
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    button.setText(text)
    return button


class DemoPanel(QWidget):
    """Beside the kiosk window: what a trainer needs to show every path without hardware."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.window = window
        self.setWindowTitle("Demo")
        self.setObjectName("demo-panel")
        #: in order; set_columns() places them in one column beside the kiosk or three below it
        self.parts: list[QWidget] = []
        self.parts.append(QLabel("<b>Bảng điều khiển demo / demo panel</b>"))
        for i, citizen in enumerate(TEST_CITIZENS):
            b = _panel_button(f"Đặt thẻ / present card: {citizen['full_name']}")
            b.setObjectName(f"demo-card-{i}")
            b.clicked.connect(lambda _=False, i=i: self._on_card_clicked(i))
            self.parts.append(b)
        b = _panel_button("Đặt mã QR thanh toán / present a payment QR (refused)")
        b.clicked.connect(lambda: self._sim_camera().present_card("00020101021238570010A000000727"))
        self.parts.append(b)
        b = _panel_button("Bỏ thẻ, giấy ra / take away")
        b.setObjectName("demo-remove")
        b.clicked.connect(lambda: self._sim_camera().remove_card())
        self.parts.append(b)
        # documents on the tray for the paperless dossier: good, with glare, blurred; a two-page diploma
        for caption, kind, pages, faults in (
                ("Giấy chứng sinh / birth certificate", "giay-chung-sinh", (1,), ("", "glare", "blur")),
                ("Bằng tốt nghiệp / diploma", "bang-tot-nghiep", (1, 2), ("",))):
            row = QWidget()  # the caption above its buttons: the panel beside a kiosk is narrow
            column = QVBoxLayout(row)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(caption))
            line = QHBoxLayout()
            column.addLayout(line)
            for page in pages:
                for fault in faults:
                    text = {"": f"trang {page} / page {page}" if len(pages) > 1 else "đặt / place",
                            "glare": "lóa / glare", "blur": "mờ / blur"}[fault]
                    b = _panel_button(text)
                    b.setObjectName(f"demo-document-{kind}-{page}{'-' + fault if fault else ''}")
                    b.clicked.connect(lambda _=False, k=kind, n=page, f=fault: self._sim_camera().present_document(
                        k, n, glare=f == "glare", blur=f == "blur"))
                    line.addWidget(b)
            self.parts.append(row)
        b = _panel_button("Đưa giấy tiếp nhận gần nhất / show the last receipt")
        b.clicked.connect(self._on_receipt_clicked)
        self.parts.append(b)
        self.toggles: dict[str, QCheckBox] = {}
        for device, fault, text in (("printer", "paper_out", "Hết giấy / paper out"),
                                    ("camera", "unplugged", "Rút camera / camera unplugged"),
                                    ("network", "down", "Mất mạng / network down"),
                                    ("network", "slow", "Mạng chậm / slow network"),
                                    ("network", "silent", "Máy chủ không trả lời / backend silent")):
            box = QCheckBox(text)
            box.setObjectName(f"demo-{device}-{fault}")
            box.setChecked(simulated_faults().active(device, fault))
            box.toggled.connect(lambda on, d=device, f=fault: self._on_fault_toggled(d, f, on))
            self.parts.append(box)
            self.toggles[f"{device}:{fault}"] = box
        b = _panel_button("Nạp giấy / refill paper")
        b.setObjectName("demo-refill")
        b.clicked.connect(self._on_refill_clicked)
        self.parts.append(b)
        b = _panel_button(f"Gọi số tiếp theo (quầy {DEMO_COUNTER}) / call next (counter {DEMO_COUNTER})")
        b.setObjectName("demo-call-next")
        b.clicked.connect(self._on_call_next_clicked)
        self.parts.append(b)
        b = _panel_button("Người dân đã chuyển khoản / the citizen paid")
        b.setObjectName("demo-citizen-paid")
        b.clicked.connect(self._on_citizen_paid_clicked)
        self.parts.append(b)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.parts.append(self.status)
        self._grid = QGridLayout(self)
        self.set_columns(1)

    def set_columns(self, columns: int) -> None:
        """One column beside a landscape kiosk window, three below a portrait one."""
        grid = self._grid
        for part in self.parts:
            grid.removeWidget(part)
        rows = -(-len(self.parts) // columns)
        for i, part in enumerate(self.parts):
            grid.addWidget(part, i % rows, i // rows)
        grid.setRowStretch(rows, 1)

    def _sim_camera(self) -> Any:
        if self.window.services.sim_camera is None:
            self.window.services.sim_camera = self.window.devices.camera.camera
        return self.window.services.sim_camera

    def _on_card_clicked(self, index: int) -> None:
        self._sim_camera().present_card(sample_payload(index))

    def _on_receipt_clicked(self) -> None:
        data = self.window.session.data
        code = data.dossier_code or data.local_ref or getattr(self.window, "last_code", None)
        if code:
            self._sim_camera().present_receipt(code)
        else:
            self.status.setText("Chưa có hồ sơ nào / no dossier yet")

    def _on_refill_clicked(self) -> None:
        services = self.window.services
        refill = getattr(services.escpos_sim or services.printer, "refill", None)
        if refill is not None:
            refill()
        # a new roll ends "paper out" too: the kiosk's "Print again" then enables by itself
        self.toggles["printer:paper_out"].setChecked(False)

    def _on_call_next_clicked(self) -> None:
        from kiosk.app.demo import call_next_ticket

        services = self.window.services
        if services.simulator is None:
            self.status.setText("Không có máy chủ mô phỏng / no simulated backend")
            return
        # an HTTP call (slow when "slow network" is on): on the chores runner, never the GUI thread, and not on
        # the backend runner, where it would hold up a citizen's ticket
        self.window.runners.chores.run(lambda: call_next_ticket(services, DEMO_COUNTER),
                                       on_done=self._on_called, on_error=self._on_call_failed, survive_wipe=True)

    def _on_citizen_paid_clicked(self) -> None:
        from kiosk.app.demo import citizen_paid

        services = self.window.services
        if services.simulator is None:
            self.status.setText("Không có máy chủ mô phỏng / no simulated backend")
            return
        # the simulated bank's transfer for the newest pending payment: the payment screen sees it at its
        # next poll and moves on (an HTTP call: the chores runner, as "call next")
        self.window.runners.chores.run(lambda: citizen_paid(services), on_done=self._on_paid,
                                       on_error=self._on_pay_failed, survive_wipe=True)

    def _on_paid(self, state: dict) -> None:
        self.status.setText(f"Ngân hàng đã nhận {state.get('amount_vnd', 0):,} đồng ({state.get('reference')}) / "
                            "the bank received the transfer")

    def _on_pay_failed(self, error: BaseException) -> None:
        self.status.setText("Không có khoản nào chờ thanh toán / no payment is waiting")

    def _on_called(self, result: dict) -> None:
        called = result.get("called")
        if called:
            self.status.setText(f"Mời số {called['number']} đến quầy {called['counter']} / "
                                f"{called['number']} called to counter {called['counter']}; "
                                f"còn chờ / waiting: {result.get('waiting', 0)}")
        else:
            self.status.setText("Không còn ai chờ / nobody is waiting")

    def _on_call_failed(self, error: BaseException) -> None:
        self.status.setText(f"Không gọi được số / could not call: {type(error).__name__}")

    def _on_fault_toggled(self, device: str, fault: str, on: bool) -> None:
        simulated_faults().set(device, fault, on)
        escpos = self.window.services.escpos_sim
        if device == "printer" and escpos is not None:  # the ESC/POS simulator's own sensors say so
            escpos.set_fault("paper_out" if fault == "paper_out" else "cover_open", on)
        sim = self.window.services.simulator
        if device == "network" and sim is not None:
            if fault == "down":
                (sim.pause if on else sim.resume)()
            elif fault == "silent":
                sim.faults.silence(on)
            elif fault == "slow":
                faults = getattr(sim, "faults", None)
                if faults is not None and hasattr(faults, "latency_ms"):
                    faults.latency_ms = 4000 if on else 0
        self.status.setText(f"faults: {simulated_faults().describe() or '—'}")


#: Room a window manager's title bar takes above a window's contents (setGeometry sets the contents).
TITLE_BAR_PX = 40
#: The demo panel: its width beside a landscape kiosk window, its height below a portrait one (two columns).
PANEL_WIDTH_PX = 420
PANEL_HEIGHT_PX = 330


def demo_geometry(screen: tuple[int, int, int, int]) -> tuple[tuple[int, int, int, int],
                                                               tuple[int, int, int, int], bool]:
    """Where ``kiosk demo`` puts the kiosk window and its panel on a screen (x, y, width, height): the kiosk
    keeps the screen's shape (a portrait screen shows the portrait kiosk at its real width), the panel goes
    beside it on a wide screen and below it on a portrait or nearly square one, and neither leaves the screen.
    Returns the kiosk's rectangle, the panel's, and whether the panel is below."""
    x, y, width, height = screen
    gap = 10
    # portrait, or a screen that a panel beside would leave taller than wide (1280x1024): the kiosk at full
    # width, the panel in a band below
    if height > width - PANEL_WIDTH_PX - gap:
        kiosk_h = height - PANEL_HEIGHT_PX - 2 * TITLE_BAR_PX - gap
        kiosk = (x, y + TITLE_BAR_PX, width, kiosk_h)
        panel = (x, y + 2 * TITLE_BAR_PX + kiosk_h + gap, width, PANEL_HEIGHT_PX)
        return kiosk, panel, True
    kiosk_w = width - PANEL_WIDTH_PX - gap
    kiosk_h = height - TITLE_BAR_PX
    kiosk = (x, y + TITLE_BAR_PX, kiosk_w, kiosk_h)
    panel = (x + kiosk_w + gap, y + TITLE_BAR_PX, PANEL_WIDTH_PX, kiosk_h)
    return kiosk, panel, False


def _remember_codes(window: Any) -> None:
    def on_finished(result: dict) -> None:
        window.last_code = result.get("dossier_code") or result.get("local_ref")

    window.submission.sig_finished.connect(on_finished)


def run_demo(settings: Any, data_dir: Path) -> int:
    from kiosk.core.logs import setup_logging
    from kiosk.ui.app import application, build_window, close_window, install_crash_guard

    setup_logging(data_dir)
    app = application()
    window = build_window(settings, data_dir, start_simulator=True, defer_warm_up=True)
    install_crash_guard(window)
    _remember_codes(window)
    screen = app.primaryScreen().availableGeometry()
    kiosk_rect, panel_rect, below = demo_geometry((screen.x(), screen.y(), screen.width(), screen.height()))
    window.setWindowTitle("Kiosk dịch vụ công — demo")
    window.setGeometry(*kiosk_rect)
    window.show()
    panel = DemoPanel(window)
    panel.set_columns(3 if below else 1)  # three columns: the strip below a portrait kiosk is low
    panel.setGeometry(*panel_rect)
    panel.show()
    print(f"Dữ liệu demo / demo data: {data_dir}")
    print(f"Bản in / prints: {window.services.prints_dir}")
    status = app.exec()
    close_window(window)
    return status


def run_kiosk(settings: Any, data_dir: Path, windowed: bool = False) -> int:
    from kiosk.core.logs import setup_logging
    from kiosk.ui.app import application, build_window, close_window, install_crash_guard

    try:
        setup_logging(data_dir)
    except OSError as err:  # a read-only data folder: the kiosk still starts and its home screen says why
        sys.stderr.write(f"Không ghi được nhật ký vào {data_dir} / cannot write the log in {data_dir}: {err}\n")
    from kiosk.core.config import plain_http_warning

    if warning := plain_http_warning(settings.backend_url, settings.allow_plain_http):
        log.warning("%s", warning["en"])
    if settings.missing:
        log.warning("kiosk not set up: showing the setup screen; missing %s", ", ".join(settings.missing))
    started = time.perf_counter()
    app = application()
    app.setQuitOnLastWindowClosed(False)
    window = build_window(settings, data_dir, kiosk_mode=not windowed, defer_warm_up=True)
    install_crash_guard(window)
    if windowed:
        # the screen it opens on, whatever its shape: a portrait kiosk screen or a laptop
        screen = app.primaryScreen().availableGeometry()
        window.setGeometry(screen.x(), screen.y() + TITLE_BAR_PX, screen.width(), screen.height() - TITLE_BAR_PX)
        window.show()
    else:
        window.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        window.showFullScreen()
        app.setOverrideCursor(Qt.CursorShape.BlankCursor)
    from kiosk.ui.watchdog import WatchdogPinger

    WatchdogPinger(parent=window).start()
    log.info("kiosk started in %.0f ms", (time.perf_counter() - started) * 1000)
    status = app.exec() if windowed else _run_forever(app)
    close_window(window)
    return status


def _run_forever(app: Any) -> int:
    """In kiosk mode the event loop only ends when the process is told to stop (SIGTERM from systemd)."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    return app.exec()


__all__ = ["DemoPanel", "demo_geometry", "run_demo", "run_kiosk"]
