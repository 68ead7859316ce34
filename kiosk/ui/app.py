"""Start the kiosk: the Qt application, fonts, the window and its devices for run, demo and walkthrough."""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from kiosk.ui.theme import FONT_DIR

log = logging.getLogger("kiosk.ui")


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with the shipped Noto Sans so Vietnamese renders the same everywhere."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("ward-kiosk")
        # Worker threads (PDF rendering, HTTP) hand the GIL back sooner, so the GUI thread waits less.
        sys.setswitchinterval(0.001)
    for font in sorted(FONT_DIR.glob("*.ttf")):
        QFontDatabase.addApplicationFont(str(font))
    app.setFont(QFont("Noto Sans", 14))
    return app  # type: ignore[return-value]


def screen_dpi(app: QApplication, configured: float) -> float:
    if configured:
        return float(configured)
    screen = app.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
    return dpi if 50 <= dpi <= 600 else 96.0


def install_crash_guard(window: Any) -> None:
    """An unexpected exception is logged and the kiosk goes home, never a traceback on screen."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        log.error("unexpected error: %s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            window.recover(exc_type.__name__)
        except Exception:  # pragma: no cover - last resort
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def build_window(settings: Any, data_dir: Path, *, prints_dir: Path | None = None, kiosk_mode: bool = False,
                 autoplay_video: bool = True, start_simulator: bool = False, thanks_ms: int = 5000,
                 ack_wait_ms: int = 6000) -> Any:
    """Wire services and the window; start the printer worker, the sender and (demo) the backend simulator."""
    from kiosk.ui.services import Services
    from kiosk.ui.theme import Theme
    from kiosk.ui.window import KioskWindow

    app = application()
    services = Services(settings, data_dir, prints_dir=prints_dir)
    services.start_ward_suggester()
    if start_simulator and not settings.backend_url:
        from kiosk.backend.simulator import start_simulator_thread

        token = settings.backend_token or "demo-token"
        settings.backend_token = token
        services.simulator = start_simulator_thread(Path(data_dir) / "backend-sim.sqlite3", token)
    theme = Theme(dpi=screen_dpi(app, settings.screen_dpi), large_text=settings.large_text,
                  high_contrast=settings.high_contrast)
    window = KioskWindow(services, theme=theme, kiosk_mode=kiosk_mode, autoplay_video=autoplay_video,
                         thanks_ms=thanks_ms, ack_wait_ms=ack_wait_ms)
    _warm_up(window)
    try:
        # httpx builds its TLS context (CA bundle) on creation: ~0.1 s holding the GIL, so not mid-journey
        window.backend_runner.call(services.warm_up, timeout=30)
        # reportlab parses the embedded font in pure Python on first use: do it now, not at the first ticket
        window.disk_runner.call(services.warm_up_documents, timeout=30)
    except Exception as err:
        log.warning("backend client warm-up failed: %r", err)
    try:
        window.attach_printer(services.start_printer())
    except Exception as err:
        log.error("printer not available: %r", err)
    window.attach_sender()
    return window


def _warm_up(window: Any) -> None:
    """Pay the one-off costs (OpenCV and the QR decoders, the camera, the media plugin, styling and
    laying out every screen) at start-up, not in the middle of a journey where they would freeze the screen."""
    window.warm_up_screens()
    try:
        import device.camera  # noqa: F401 - loads OpenCV
        import device.qr  # noqa: F401 - loads the decoders
        import kiosk.core.documents  # noqa: F401 - loads reportlab before the first ticket

        window.camera.camera  # noqa: B018 - creates the camera object
        window.camera.decoder  # noqa: B018 - and the QR pipeline
    except Exception as err:
        log.error("camera not available: %r", err)
    from kiosk.core.session import State

    details = window.screens[State.DETAILS]
    video = details.video
    if video._ensure_player() and window.services.catalogue:
        # open the decoder pipeline once, silently, so the first guide video starts without a hitch
        from PySide6.QtCore import QTimer

        video._audio.setMuted(True)
        video.load(window.services.catalogue[0].video, {"vi": "", "en": ""}, autoplay=True)

        def done() -> None:
            if window.session.state != State.DETAILS:
                video.stop()
            video._audio.setMuted(False)

        QTimer.singleShot(1500, video, done)  # with a context: never fires on a closed window


def close_window(window: Any) -> None:
    window.shutdown()
    window.services.close()


def startup_clock() -> float:
    return time.perf_counter()
