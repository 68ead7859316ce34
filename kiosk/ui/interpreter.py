"""The kiosk's tweaks of the Python interpreter and of PySide, all in one place, each named by what it buys.

None of them changes what the kiosk does; each makes the screen answer sooner. kiosk/ui/app.py calls them at
three points: :func:`skip_pyside_source_scan` when it is imported, :func:`switch_threads_often` when the
QApplication is made, :func:`freeze_start_up_objects` when the warm-up is over. Their counterpart outside
this module: ``kiosk.cli.main`` turns the collector off for the UI commands until the warm-up turns it back
on here. Figures: benchmarks/README.md (stop 10 and stop 13) and the measurements named below, on the
2-core development VM. Removing one: delete its call in kiosk/ui/app.py and the function here; the
benchmarks to re-run are named with each.

Qt-free on purpose: the tweaks touch only ``sys``, ``gc`` and an already imported PySide module.
"""

from __future__ import annotations

import gc
import sys

#: The switch interval while the kiosk runs (Python's default is 0.005 s).
SWITCH_INTERVAL_S = 0.001


def skip_pyside_source_scan() -> None:
    """Stop PySide reading the whole source of every module imported after it.

    PySide replaces ``__import__``; for each newly imported module its ``__feature__`` support (opt-in
    snake_case / true_property) calls ``inspect.getsource`` to see whether the text mentions PySide6, and
    linecache keeps every source it read. No module of this process selects a feature, so each counts as a
    PySide module with none selected: the answer the scan gives for ours, and one that changes nothing for
    modules that never touch Qt.

    Buys: 12 ms less to the home screen (benchmarks/README.md, stop 13: in-process A/B, 41 runs each); and
    the source kept after the warm-up, 55 files / 0.7 MB instead of 392-429 files / 6.0-7.1 MB (measured
    for issue 18: the window built and warmed up offscreen, the scan undone after import vs kept).
    Call it right after the first PySide import and before the window's modules and the warm-up's libraries
    (numpy, OpenCV, reportlab) load; tests/ui/test_startup.py checks that a later module is not read.
    To remove: delete the call in kiosk/ui/app.py; re-run benchmarks/startup.py."""
    feature = sys.modules.get("PySide6.support.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        feature._mod_uses_pyside = lambda _module: True


def switch_threads_often() -> None:
    """A thread running Python hands the GIL over after 1 ms instead of 5 ms.

    Worker threads (PDF rendering, the HTTP client, the camera's QR search) run pure Python for long
    stretches; the GUI thread, woken by a touch or a timer, waits for the GIL until the worker's interval
    runs out. Buys: the GUI thread's wake-up delay behind a busy Python worker, median 5.2 ms -> 1.2 ms,
    p99 13-30 ms -> 8-11 ms, the worker's own throughput unchanged within the noise (measured for issue 18:
    a 2 ms sleep repeated 400 times beside a pure-Python loop, 3 interleaved trials each).
    To remove: delete the call in kiosk/ui/app.py's ``application()``; re-run benchmarks/ui_stall.py."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def freeze_start_up_objects() -> None:
    """Once the warm-up is over: collect, move every object alive so far out of the collector's sight,
    and turn the collector back on.

    Everything loaded by then lives as long as the kiosk (modules, Qt wrappers, the catalogue, the ward
    list, decoders). ``kiosk.cli.main`` turned the collector off for the UI commands so start-up does not
    collect them while importing (45 collections, ~10 ms of the time to the home screen: benchmarks/README.md,
    stop 10); this turns it back on. Buys: a full collection mid-journey scans only what journeys allocate,
    under 0.1 ms, instead of ~104,000 start-up objects, 19-26 ms median and 35-42 ms at worst (measured for
    issue 18, two runs: ``gc.collect()`` after the warm-up, 7 times frozen, then 7 times after
    ``gc.unfreeze()``).
    Must run after the collector was turned off, or still on: ``gc.enable()`` is harmless either way.
    To remove: replace the call in kiosk/ui/app.py by ``gc.enable()`` (and drop ``gc.disable()`` in
    kiosk/cli.py to remove the pause as well); re-run benchmarks/ui_stall.py and benchmarks/startup.py."""
    gc.collect()
    gc.freeze()
    gc.enable()


__all__ = ["SWITCH_INTERVAL_S", "freeze_start_up_objects", "skip_pyside_source_scan", "switch_threads_often"]
