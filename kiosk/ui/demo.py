"""``kiosk demo`` (a window plus a small demo panel) and ``kiosk run`` (the fullscreen kiosk)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.app.devices import simulated_faults
from kiosk.core.samples import TEST_CITIZENS, sample_payload

log = logging.getLogger("kiosk.ui")


class DemoPanel(QWidget):
    """Beside the kiosk window: what a trainer needs to show every path without hardware."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.window = window
        self.setWindowTitle("Demo")
        self.setObjectName("demo-panel")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Bảng điều khiển demo / demo panel</b>"))
        for i, citizen in enumerate(TEST_CITIZENS):
            b = QPushButton(f"Đặt thẻ / present card: {citizen['full_name']}")
            b.setObjectName(f"demo-card-{i}")
            b.clicked.connect(lambda _=False, i=i: self._on_card_clicked(i))
            layout.addWidget(b)
        b = QPushButton("Đặt mã QR thanh toán / present a payment QR (refused)")
        b.clicked.connect(lambda: self._sim_camera().present_card("00020101021238570010A000000727"))
        layout.addWidget(b)
        b = QPushButton("Bỏ thẻ ra / remove card")
        b.setObjectName("demo-remove")
        b.clicked.connect(lambda: self._sim_camera().remove_card())
        layout.addWidget(b)
        b = QPushButton("Đưa giấy tiếp nhận gần nhất / show the last receipt")
        b.clicked.connect(self._on_receipt_clicked)
        layout.addWidget(b)
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
            layout.addWidget(box)
            self.toggles[f"{device}:{fault}"] = box
        b = QPushButton("Nạp giấy / refill paper")
        b.setObjectName("demo-refill")
        b.clicked.connect(self._on_refill_clicked)
        layout.addWidget(b)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)

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
        refill = getattr(self.window.services.printer, "refill", None)
        if refill is not None:
            refill()
        # a new roll ends "paper out" too: the kiosk's "Print again" then enables by itself
        self.toggles["printer:paper_out"].setChecked(False)

    def _on_fault_toggled(self, device: str, fault: str, on: bool) -> None:
        simulated_faults().set(device, fault, on)
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
    # 1920x1080 scaled down to what the screen has room for, the demo panel beside it
    scale = min(1.0, (screen.width() - 380) / 1920, (screen.height() - 60) / 1080)
    window.resize(int(1920 * scale), int(1080 * scale))
    window.setWindowTitle("Kiosk dịch vụ công — demo")
    window.move(screen.left(), screen.top())
    window.show()
    panel = DemoPanel(window)
    panel.resize(360, 600)
    panel.move(screen.left() + window.width() + 10, screen.top())
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
        window.resize(1920, 1080)
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


__all__ = ["DemoPanel", "run_demo", "run_kiosk"]
