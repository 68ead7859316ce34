"""`kiosk self-test --startup`: how long from process start until the kiosk can be touched.

Measured the same way as the bare-Qt baseline in benchmarks/startup.py: from the moment the kernel
started the process (so interpreter start-up and imports count) until the home screen is shown
fullscreen and the event loop has drained what was queued, i.e. the first touch would be served.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def process_age_ms() -> float:
    """Milliseconds since this process started (Linux /proc; 10 ms resolution)."""
    with open("/proc/self/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    started_ticks = int(fields[19])  # field 22 of stat(5), counted after "pid (comm)"
    with open("/proc/uptime", encoding="ascii") as fh:
        uptime_s = float(fh.read().split()[0])
    return (uptime_s - started_ticks / os.sysconf("SC_CLK_TCK")) * 1000


def measure_startup(data_dir: Path | None = None) -> dict[str, float]:
    """Start the kiosk offscreen on simulated devices; return {"ready_ms": ...} once it is idle.

    The warm-up (every other screen, the decoders, the catalogue...) runs after the home screen is
    shown, as in the kiosk; ``warmed_up_ms`` says when it was over (not part of the figure)."""
    # kiosk.ui.app before any other Qt import: it turns off PySide's reading of every module imported later
    from kiosk.ui.app import application, build_window, close_window, wait_warmed_up

    application()  # the one QApplication, before any widget
    from PySide6.QtCore import QEventLoop, QTimer

    from kiosk.app.services import KioskSettings
    from kiosk.core.session import State

    scratch = data_dir is None
    if data_dir is None:
        # os.mkdir, not tempfile: importing tempfile (random, shutil, ...) costs ~5 ms that `kiosk run`
        # never pays, and this figure is the kiosk's start-up, not the harness's
        data_dir = Path(os.environ.get("TMPDIR") or "/tmp") / f"kiosk-startup-{os.getpid()}-{time.monotonic_ns()}"
        data_dir.mkdir(mode=0o700)
    result: dict[str, float] = {}
    try:
        window = build_window(KioskSettings(simulate=True), data_dir, defer_warm_up=True)
        window.showFullScreen()
        # a local loop: app.quit() would also close the window (Qt 6), stopping its warm-up
        loop = QEventLoop()

        def idle() -> None:
            # A zero-timeout timer fires only once the events queued before it are handled.
            if window.isVisible() and window.session.state == State.HOME:
                result["ready_ms"] = round(process_age_ms(), 1)
                # CLOCK_MONOTONIC is system-wide on Linux: a parent that read it before starting this
                # process gets the start-up time to the microsecond (ready_ms has the kernel's 10 ms ticks)
                result["ready_clock"] = time.monotonic()
                # CPU time used so far (all threads; only the GUI thread runs before this point): what a
                # neighbour's load cannot inflate, unlike the wall-clock figures
                result["ready_cpu_ms"] = round(time.process_time() * 1000, 1)
                loop.quit()
            else:
                QTimer.singleShot(0, idle)

        QTimer.singleShot(0, idle)
        loop.exec()
        if wait_warmed_up(window):
            result["warmed_up_ms"] = round(process_age_ms(), 1)
        close_window(window)
    finally:
        if scratch:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
    return result
