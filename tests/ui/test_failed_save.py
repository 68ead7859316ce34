"""A dossier the outbox cannot take (a damaged outbox file): the submitting screen says so, offers "Try again"
and "Cancel", and never leaves the citizen's data on screen for the next person."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.clock import FakeClock

from kiosk.backend.outbox import DB_NAME
from kiosk.core.samples import TEST_CITIZENS, sample_payload
from kiosk.core.session import State

from .driver import Driver

ID_NUMBER = TEST_CITIZENS[0]["id_number"]


@pytest.fixture(scope="module")
def save_build(qapp, tmp_path_factory: pytest.TempPathFactory):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    data = tmp_path_factory.mktemp("failed-save")
    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15}, backend_url="")
    window = build_window(settings, data, prints_dir=data / "prints", autoplay_video=False,
                          start_simulator=False, thanks_ms=300)
    clock = FakeClock()
    window.session._clock = clock
    window.session.touch()
    window.setFixedSize(1920, 1080)
    window.show()
    yield window, clock, Path(data)
    close_window(window)
    window.deleteLater()


@pytest.fixture
def damaged(save_build, qtbot):
    window, clock, data = save_build
    window.go_home()
    qtbot.waitUntil(lambda: window.health.outbox == "ok", timeout=15000)  # a test before may have damaged it
    yield window, clock, data
    window.go_home()
    for leftover in data.glob(f"{DB_NAME}*"):
        if leftover.is_file():
            leftover.unlink()


def _damage_outbox(window, data: Path) -> None:
    """The outbox database overwritten by garbage, as a failing disk leaves it."""
    window.runners.disk.call(window.services.forget_outbox)  # the kiosk's connection opens the new file
    for leftover in data.glob(f"{DB_NAME}*"):
        leftover.unlink()
    (data / DB_NAME).write_bytes(b"\x00garbage, not an SQLite database\x00" * 64)


def _submit_to_the_failure(driver: Driver, window, data: Path) -> None:
    driver.birth_dossier_to_review(sample_payload(0))
    _damage_outbox(window, data)  # the disk fails while the citizen reviews the dossier
    driver.click("review-submit")
    driver.on(State.SUBMITTING)
    driver.qtbot.waitUntil(lambda: window.submission.stage == "failed", timeout=15000)


def test_a_failed_save_says_what_failed_and_try_again_files_the_dossier_once_fixed(damaged, qtbot):
    window, _clock, data = damaged
    driver = Driver(window, qtbot)
    _submit_to_the_failure(driver, window, data)
    error = window.screens[State.SUBMITTING].error.text()
    assert "Chưa lưu được hồ sơ" in error and "The dossier could not be saved" in error
    assert "hỏng" in error and "damaged" in error  # names the cause, in both languages
    assert driver.find("submit-retry").isVisible() and driver.find("submit-retry").text() == "Thử lại"
    assert driver.find("submit-cancel").text() == "Huỷ"
    # the technician takes the damaged file away; the citizen tries again
    (data / DB_NAME).unlink()
    with qtbot.waitSignal(window.submission.sig_finished, timeout=30000) as finished:
        driver.click("submit-retry")
        driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
    driver.on(State.DONE)
    assert window.services.outbox().get(finished.args[0]["local_ref"]) is not None


def test_cancel_on_a_failed_save_wipes_the_session_and_goes_home(damaged, qtbot):
    window, _clock, data = damaged
    driver = Driver(window, qtbot)
    _submit_to_the_failure(driver, window, data)
    assert any(ID_NUMBER in t for t in driver.texts())
    with qtbot.waitSignal(window.sig_wiped, timeout=5000):
        driver.click("submit-cancel")
    driver.on(State.HOME)
    assert not window.session.has_personal_data()
    assert not any(ID_NUMBER in t for t in driver.texts())


def test_the_idle_countdown_runs_on_a_failed_save(damaged, qtbot):
    window, clock, data = damaged
    driver = Driver(window, qtbot)
    _submit_to_the_failure(driver, window, data)
    clock.now += window.session.idle_timeout_s + 1
    qtbot.waitUntil(window.overlay.isVisible, timeout=3000)
    clock.now += window.session.countdown_s + 1
    with qtbot.waitSignal(window.sig_wiped, timeout=3000):
        pass
    driver.on(State.HOME)
    assert not window.session.has_personal_data()
