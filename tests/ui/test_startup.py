"""Start-up: `kiosk self-test --startup` (the benchmark's command) brings the kiosk up, the modules loaded
after it (the warm-up's libraries) are not read as text by PySide on the way, and the home screen is shown
without the work that can wait (PySide's ``Qt`` enums, wrapping buttons no one sees)."""

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


def test_the_home_screen_is_shown_before_pyside_builds_the_qt_namespace(tmp_path: Path) -> None:
    # The first use of any ``Qt.`` enum builds the ~100 of the namespace (~15 ms, more than a tenth of the
    # bare Qt window start-up is measured against); the warm-up pays it once the home screen is up. A fresh
    # process: under pytest they were built long ago.
    code = """
import sys
from pathlib import Path
from kiosk.ui.app import application, build_window, close_window, wait_warmed_up
application()
import PySide6.QtCore as core
from PySide6.QtCore import QEventLoop, QTimer
from kiosk.app.services import KioskSettings
window = build_window(KioskSettings(simulate=True), Path(sys.argv[1]), defer_warm_up=True)
window.showFullScreen()
loop = QEventLoop()
QTimer.singleShot(0, loop.quit)
loop.exec()
shown = "Qt" in vars(core)
warmed = wait_warmed_up(window)
print(window.isVisible(), shown, warmed, "Qt" in vars(core))
close_window(window)
"""
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    visible, built_when_shown, warmed_up, built_after = proc.stdout.split()[-4:]
    assert visible == "True" and warmed_up == "True"
    assert built_when_shown == "False"  # a ``Qt.`` enum on the home screen's way: set it by name (set_qt_enum)
    assert built_after == "True"  # the check can see it at all


def test_an_enum_property_is_set_by_its_name_and_a_wrong_name_is_refused(qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    from kiosk.ui.widgets import set_qt_enum

    shown = QLabel("x")
    qtbot.addWidget(shown)
    set_qt_enum(shown, "alignment", "AlignCenter")
    set_qt_enum(shown, "focusPolicy", "NoFocus")
    assert shown.alignment() == Qt.AlignmentFlag.AlignCenter and shown.focusPolicy() == Qt.FocusPolicy.NoFocus
    with pytest.raises(ValueError):
        set_qt_enum(shown, "alignment", "AlignMiddleOfNowhere")
    with pytest.raises(ValueError):
        set_qt_enum(shown, "alignmnet", "AlignCenter")


def test_a_button_keeps_its_text_whole_until_a_layout_places_it_then_wraps_it(qtbot) -> None:
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from kiosk.ui.widgets import button

    holder = QWidget()
    qtbot.addWidget(holder)
    holder.setFixedWidth(160)
    choice = button("choice")
    QVBoxLayout(holder).addWidget(choice)
    choice.setText("Người đang nuôi dưỡng trẻ")
    assert choice.text() == choice.full_text() == "Người đang nuôi dưỡng trẻ"  # nothing measured yet
    holder.show()
    qtbot.waitExposed(holder)
    qtbot.waitUntil(lambda: "\n" in choice.text())
    assert choice.text().replace("\n", " ") == choice.full_text()
    assert choice.minimumHeight() >= choice.sizeHint().height()  # its row keeps every line
    holder.hide()
    choice.setText("Người giám hộ của trẻ")  # placed once: wrapped at once, shown or not
    assert "\n" in choice.text() and choice.text().replace("\n", " ") == choice.full_text()
