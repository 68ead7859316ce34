"""Start-up: `kiosk self-test --startup` (the benchmark's command) brings the kiosk up, and the modules loaded
after it (the warm-up's libraries) are not read as text by PySide on the way."""

from __future__ import annotations

import json
import linecache
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_self_test_startup_reports_the_home_screen_then_the_warm_up(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "self-test", "--startup", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 0 < result["ready_ms"] <= result["warmed_up_ms"]
    assert list(tmp_path.iterdir()) == []  # its scratch data directory is gone


def test_a_module_imported_after_the_kiosk_ui_is_not_read_as_text(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.ui.app  # noqa: F401 - what every way of starting the window imports

    source = tmp_path / "kiosk_late_module.py"
    source.write_text('"""Loaded late, as OpenCV or reportlab are by the warm-up."""\nVALUE = 1\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "kiosk_late_module", raising=False)
    import kiosk_late_module  # the import statement goes through PySide's replacement of __import__

    assert kiosk_late_module.VALUE == 1
    # PySide's __feature__ support would have read the whole file (inspect.getsource) and kept it
    assert str(source) not in linecache.cache
    sys.modules.pop("kiosk_late_module", None)


def test_the_application_hands_the_gil_over_every_millisecond() -> None:
    # a fresh process: under pytest the QApplication is pytest-qt's, made before kiosk.ui.app.application()
    code = ("import sys; from kiosk.ui.app import application; before = sys.getswitchinterval(); application(); "
            "print(before, sys.getswitchinterval())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    before, after = (float(v) for v in proc.stdout.split())
    assert before == 0.005 and after == 0.001


def test_the_warm_up_freezes_what_start_up_loaded_and_collects_again(kiosk_build) -> None:
    import gc

    window, _clock, _data = kiosk_build
    assert window.warmed_up
    assert gc.get_freeze_count() > 10_000  # the start-up's modules and Qt wrappers, out of the collector's sight
    assert gc.isenabled()
