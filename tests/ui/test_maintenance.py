"""The hidden maintenance gesture, the PIN pad (off the GUI thread, lockout) and the audit."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from kiosk.core.pin import PinStore
from kiosk.core.session import State
from kiosk.ui.maintenance import panel as maintenance


def _tap_corner(qtbot, kiosk, times=5):
    for _ in range(times):
        qtbot.mouseClick(kiosk.corner, Qt.MouseButton.LeftButton)


def test_five_taps_in_the_corner_ask_the_pin_and_audit_the_entry(kiosk, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(maintenance.PinDialog, "ask",
                        classmethod(lambda cls, w, done: (asked.append(w), done(True))))
    monkeypatch.setattr(maintenance.MaintenancePanel, "ask", classmethod(lambda cls, w, done: done("close")))
    _tap_corner(qtbot, kiosk, 4)
    assert not asked  # four taps are not the gesture
    _tap_corner(qtbot, kiosk, 1)
    qtbot.waitUntil(lambda: asked == [kiosk.ctx])
    audit = PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line)["event"] for line in audit]
    assert events[-2:] == ["maintenance_enter", "maintenance_exit"]
    assert kiosk.isVisible() and kiosk.session.state == State.HOME


def test_the_pin_pad_accepts_the_right_pin_and_refuses_a_wrong_one(kiosk, qtbot):
    PinStore(kiosk.services.data_dir).set_pin("246810")
    results = []
    pad = maintenance.PinDialog.ask(kiosk.ctx, results.append)
    qtbot.waitUntil(lambda: not pad.busy)
    for key in "111111":
        qtbot.mouseClick(pad.keys[key], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.keys["ok"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Mã PIN không đúng" in pad.message.text(), timeout=10000)
    assert "Wrong PIN" in pad.message.text()
    with qtbot.waitSignal(pad.sig_finished, timeout=10000) as finished:
        for key in "246810":
            qtbot.mouseClick(pad.keys[key], Qt.MouseButton.LeftButton)
        qtbot.mouseClick(pad.keys["ok"], Qt.MouseButton.LeftButton)
    assert finished.args == [True] and results == [True]


def test_the_gesture_and_the_configuration_page_follow_the_configuration_file(qapp, qtbot, tmp_path, monkeypatch):
    from kiosk.app.maintenance import config_file
    from kiosk.app.services import KioskSettings, Services
    from kiosk.core.config import load_config
    from kiosk.ui.app import close_window
    from kiosk.ui.shell.window import KioskWindow

    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    asked = []
    monkeypatch.setattr(maintenance.PinDialog, "ask", classmethod(lambda cls, w, done: asked.append(w)))
    explicit = tmp_path / "etc" / "kiosk.toml"  # `kiosk run --config FILE`, not the data dir's file
    explicit.parent.mkdir()
    explicit.write_text("[maintenance]\ngesture_taps = 3\ngesture_window_s = 2.0\n", encoding="utf-8")
    settings = KioskSettings.from_config(load_config(tmp_path / "data", explicit))
    window = KioskWindow(Services(settings, tmp_path / "data"))  # closed by close_window below, not by qtbot
    try:
        assert config_file(window.services) == explicit  # the page edits the file the kiosk was started with
        _tap_corner(qtbot, window, 2)
        assert not asked
        _tap_corner(qtbot, window, 1)
        qtbot.waitUntil(lambda: asked == [window.ctx])  # three taps, as configured, not five
    finally:
        close_window(window)
