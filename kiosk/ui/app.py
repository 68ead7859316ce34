"""Start the kiosk: the Qt application, fonts, the window and its devices for run, demo and walkthrough."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from kiosk.ui import interpreter
from kiosk.ui.theme import FONT_DIR

log = logging.getLogger("kiosk.ui")


interpreter.skip_pyside_source_scan()  # on import: before the window's modules and the warm-up's libraries load


#: Qt's offscreen platform (CI, `kiosk walkthrough`) has one 800x800 screen. A kiosk window is larger, and a
#: finger-scrolled area (QScroller) replays a tap by asking which widget is at its global position: none past
#: 800 px, so taps on buttons in a scrolling page were lost offscreen (a real screen holds the window). This
#: configuration gives the offscreen platform one 3840x2160 screen, which holds every kiosk shape.
OFFSCREEN_CONFIG = Path(__file__).resolve().parents[1] / "assets" / "offscreen.json"


def use_large_offscreen_screen() -> None:
    """Before the QApplication exists: plain ``QT_QPA_PLATFORM=offscreen`` gets the large screen."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" and OFFSCREEN_CONFIG.is_file():
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={OFFSCREEN_CONFIG}"


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with the shipped Noto Sans so Vietnamese renders the same everywhere."""
    app = QApplication.instance()
    if app is None:
        use_large_offscreen_screen()
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("ward-kiosk")
        interpreter.switch_threads_often()
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
        # exc_info, not the formatted text: the log formatter writes the frames without the message
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        try:
            window.recover(exc_type.__name__)
        except Exception:  # pragma: no cover - last resort
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def build_window(settings: Any, data_dir: Path, *, prints_dir: Path | None = None, kiosk_mode: bool = False,
                 autoplay_video: bool = True, start_simulator: bool = False, thanks_ms: int = 5000,
                 ack_wait_ms: int = 6000, defer_warm_up: bool = False) -> Any:
    """Wire services and the window with its home screen; start the printer worker, the sender and (demo)
    the backend simulator, and pay the one-off costs (see :func:`start_warm_up`).

    ``defer_warm_up``: return as soon as the home screen can be shown and run the warm-up on the event
    loop once it turns (the kiosk: a citizen can touch the home screen in a fraction of the time).
    Otherwise the warm-up is finished on return (tests and tools that drive every screen at once)."""
    from kiosk.app.services import Services
    from kiosk.ui.shell.window import KioskWindow
    from kiosk.ui.theme import Theme

    app = application()
    services = Services(settings, data_dir, prints_dir=prints_dir)
    if start_simulator and not settings.backend_url:
        from kiosk.app.demo import start_demo_backend

        start_demo_backend(services)
    theme = Theme(dpi=screen_dpi(app, settings.screen_dpi), large_text=settings.large_text,
                  high_contrast=settings.high_contrast)
    window = KioskWindow(services, theme=theme, kiosk_mode=kiosk_mode, autoplay_video=autoplay_video,
                         thanks_ms=thanks_ms, ack_wait_ms=ack_wait_ms)
    start_warm_up(window)
    if not defer_warm_up:
        wait_warmed_up(window)
    return window


def wait_warmed_up(window: Any, timeout_s: float = 120.0) -> bool:
    """Turn the event loop until the window's warm-up is over (walkthrough, benchmarks, tests)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = time.monotonic() + timeout_s
    app = QApplication.instance()
    while not window.warmed_up and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents,
                          QDeadlineTimer(50))
    return bool(window.warmed_up)


def start_warm_up(window: Any) -> None:
    """Pay the one-off costs after the home screen is up, without freezing it.

    Plain-Python work goes to worker threads at once: the backend client's TLS context (~0.1 s), the
    catalogue (~0.5 s of schema checks), reportlab and its fonts (a first ticket), OpenCV and the QR
    decoders, the camera, the printer worker and the sender; the old-address converter loads in its
    helper process. Qt widget work stays on the GUI thread in short steps, one per turn of the event
    loop (``QTimer.singleShot(0)``), so a touch on the home screen waits for one step at most: build
    each screen and paint it once offscreen, then open the media pipeline once. When both are done the
    window's ``warmed_up`` is set and ``sig_warmed_up`` emitted."""
    services = window.services
    pending = {"threads": 4, "gui": True}

    def finished_one(what: str) -> Any:
        def done(_result: Any = None) -> None:
            pending["threads"] -= 1
            check_done()

        def failed(err: BaseException) -> None:
            log.warning("warm-up of %s failed: %r", what, err)
            done()

        return done, failed

    def check_done() -> None:
        if pending["threads"] == 0 and not pending["gui"] and not window.warmed_up:
            interpreter.freeze_start_up_objects()
            window.warmed_up = True
            log.info("warm-up done")
            window.sig_warmed_up.emit()

    def backend() -> None:
        # httpx builds its TLS context (CA bundle) on creation: ~0.1 s holding the GIL, so not mid-journey
        services.warm_up()

    def documents() -> None:
        from kiosk.core import wards

        wards.wards()  # the 2025 ward list (~0.15 s): the ward screen and the receipts need it
        services.catalogue  # noqa: B018 - loads and checks the procedures
        # reportlab parses the embedded font in pure Python on first use: now, not at the first ticket
        services.warm_up_documents()

    def camera() -> None:
        from kiosk.app.devices import load_camera_libraries

        load_camera_libraries()  # OpenCV and the decoders

        window.devices.camera.camera  # noqa: B018 - creates the camera object
        window.devices.camera.decoder  # noqa: B018 - and the QR pipeline

    def start_background() -> None:
        from kiosk.app.memory import tune_malloc

        tune_malloc()  # before the first worker thread starts (loading ctypes is not for the home screen)
        services.start_ward_suggester()
        for runner, task, what in ((window.runners.backend, backend, "the backend client"),
                                   (window.runners.chores, backend, "the background backend client"),
                                   (window.runners.disk, documents, "the catalogue and documents"),
                                   (window.runners.wards, camera, "the camera")):
            done, failed = finished_one(what)
            try:
                runner.run(task, done, failed, survive_wipe=True)
            except RuntimeError as err:  # the window is closing already
                failed(err)

    def start_printer_and_sender() -> None:
        try:
            window.devices.attach_printer(services.start_printer())
        except Exception as err:
            log.error("printer not available: %r", err)
        window.devices.attach_sender()

    # nothing starts before the event loop has turned once: that turn shows the home screen
    # the first heartbeat goes out as soon as the printer and the sender are there: the province sees a
    # kiosk that (re)started now, not one backend.heartbeat_interval_s later
    def gui_done() -> None:
        pending["gui"] = False
        check_done()

    def voice() -> None:
        # after the first paint: nobody is at a kiosk that starts, and its home screen need not wait for it
        from kiosk.ui.keypad import attach_keypad
        from kiosk.ui.voice import attach_voice

        attach_voice(window, window.services.settings).speaker.warm_up()  # QtMultimedia opened once, now
        attach_keypad(window)  # a USB keypad or the arrow keys reach every control, each one spoken

    window.run_in_turns([lambda: None, start_background, start_printer_and_sender, window.send_heartbeat,
                         *window.warm_up_steps(), lambda: _warm_up_media(window), voice, gui_done])


def _warm_up_media(window: Any) -> None:
    """Open the guide-video decoder pipeline once, silently, so the first guide video starts without a hitch."""
    from kiosk.core.session import State

    details = window.screens[State.DETAILS]
    video = details.video
    if video._ensure_player() and window.services.catalogue:
        from PySide6.QtCore import QTimer

        video._audio.setMuted(True)
        video.load(window.services.catalogue[0].video, {"vi": "", "en": ""}, autoplay=True)

        def done() -> None:
            if window.session.state != State.DETAILS:
                video.stop()
            video._audio.setMuted(False)

        QTimer.singleShot(1500, video, done)  # with a context: never fires on a closed window


def close_window(window: Any) -> None:
    if window.ctx.voice is not None:
        window.ctx.voice.shutdown()  # its speech thread
    window.shutdown()
    window.services.close()
