"""`kiosk run` on a machine nobody configured: the technician's setup screen, never a citizen home screen
presenting itself as a sample ward; the demo says it is one."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.core.session import State
from kiosk.ui.maintenance import panel as maintenance


@pytest.fixture
def no_kiosk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("KIOSK_")]:
        monkeypatch.delenv(name)


def _window_as_cli_builds_it(command: str, data: Path):
    """The settings `kiosk run` / `kiosk demo` make from an empty data folder, in the real window."""
    from kiosk import cli
    from kiosk.app.services import Services
    from kiosk.ui.shell.window import KioskWindow

    args = argparse.Namespace(data_dir=data, config=None)
    settings = cli._ui_settings(args, for_run=True) if command == "run" else cli._demo_settings(args)
    window = KioskWindow(Services(settings, data))  # closed by close_window, not by qtbot
    window.resize(1920, 1080)
    window.show()
    return window


def _texts(window) -> str:
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    return "\n".join(w.text() for w in window.findChildren(QWidget)
                     if isinstance(w, (QLabel, QAbstractButton)) and w.isVisibleTo(window))


def test_an_unconfigured_kiosk_run_shows_the_setup_screen_not_a_wards_home(qapp, qtbot, tmp_path,
                                                                           no_kiosk_environment):
    from kiosk.ui.app import close_window

    window = _window_as_cli_builds_it("run", tmp_path / "data")
    try:
        assert window.session.state == State.HOME
        shown = _texts(window)
        assert "Cửa Nam" not in shown and "Phường" not in window.title.text()
        home = window.screens[State.HOME]
        assert not any(tile.isVisibleTo(window) for tile in home.tiles.values())  # nothing for a citizen
        assert "Kiosk chưa được cài đặt" in shown and "This kiosk is not set up yet" in shown
        # what is missing, how to set it, and the way into maintenance
        for key, variable in (("kiosk.ward_code", "KIOSK_KIOSK_WARD_CODE"),
                              ("backend.url", "KIOSK_BACKEND_URL"), ("backend.token", "KIOSK_BACKEND_TOKEN")):
            assert key in shown and variable in shown
        assert "unit_code" not in shown  # retired: nothing ever read it
        assert str(tmp_path / "data" / "kiosk.toml") in shown and "kiosk config --check" in shown
        assert "5 lần vào góc trên bên phải" in shown and "top-right corner" in shown
        for _ in range(5):  # and the corner it names opens the PIN pad
            qtbot.mouseClick(window.corner, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: maintenance.is_open(window.ctx))
    finally:
        close_window(window)


def test_a_configured_kiosk_run_shows_the_citizens_home_without_a_demo_mark(qapp, qtbot, tmp_path,
                                                                            no_kiosk_environment):
    from kiosk.ui.app import close_window

    data = tmp_path / "data"
    data.mkdir()
    # an upgraded kiosk's file still names the retired kiosk.unit_code: it runs as configured all the same
    (data / "kiosk.toml").write_text('[kiosk]\nward_code = "00073"\nunit_code = "00073"\n'
                                     '[backend]\nurl = "http://127.0.0.1:9"\ntoken = "device-token"\n',
                                     encoding="utf-8")
    window = _window_as_cli_builds_it("run", data)
    try:
        home = window.screens[State.HOME]
        assert all(tile.isVisibleTo(window) for tile in home.tiles.values())
        assert home.ward.text() == "Phường Cửa Nam, Thành phố Hà Nội"
        assert "DEMO" not in _texts(window)
    finally:
        close_window(window)


def test_the_demo_keeps_its_sample_ward_and_says_it_is_a_demo(qapp, qtbot, tmp_path, no_kiosk_environment):
    from kiosk.ui.app import close_window

    window = _window_as_cli_builds_it("demo", tmp_path / "data")
    try:
        home = window.screens[State.HOME]
        assert home.ward.text() == "Phường Cửa Nam, Thành phố Hà Nội"
        assert all(tile.isVisibleTo(window) for tile in home.tiles.values())
        assert window.findChild(type(window.title), "header-demo").isVisibleTo(window)
        assert "BẢN TRÌNH DIỄN / DEMO" in _texts(window)
    finally:
        close_window(window)
