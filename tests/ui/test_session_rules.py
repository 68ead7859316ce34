"""Session rules of the issue: idle wipe, touch targets, live language switch, kiosk shell, crash guard."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton

from kiosk.core.samples import TEST_CITIZENS, sample_payload
from kiosk.core.session import State
from kiosk.ui.theme import MIN_TOUCH_MM, Theme, mm_to_px

ID_NUMBER = TEST_CITIZENS[0]["id_number"]


def _reach_form_with_card(driver, kiosk):
    driver.to_form(sample_payload(0))


def test_idle_countdown_then_wipe_leaves_no_personal_value_anywhere(driver, kiosk, clock, qtbot):
    _reach_form_with_card(driver, kiosk)
    driver.type_into("field-phone", "0912345678")
    assert any(ID_NUMBER in t for t in driver.texts())
    clock.now += kiosk.session.idle_timeout_s + 1
    overlay = kiosk.overlay
    qtbot.waitUntil(overlay.isVisible, timeout=3000)
    assert driver.find("idle-seconds").text() in {"14", "15"}
    driver.click("idle-continue")  # still there: nothing lost
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=3000)
    assert kiosk.session.state == State.FORM
    clock.now += kiosk.session.idle_timeout_s + kiosk.session.countdown_s + 1
    with qtbot.waitSignal(kiosk.sig_wiped, timeout=3000):
        pass
    driver.on(State.HOME)
    texts = driver.texts()
    for secret in (ID_NUMBER, "0912345678", TEST_CITIZENS[0]["full_name"], "Hàng Bài"):
        assert not any(secret in t for t in texts), secret
    assert kiosk.session.data.identity is None and kiosk.session.data.form == {}


def _screens(kiosk):
    for state, screen in kiosk.screens.items():
        kiosk.stack.setCurrentWidget(screen)
        if screen.wants_keyboard:
            kiosk.keyboard.show()
        else:
            kiosk.keyboard.hide()
        yield state, screen


@pytest.mark.parametrize("large_text", [False, True])
def test_every_button_is_at_least_15_mm_at_the_configured_dpi(kiosk, qtbot, large_text):
    kiosk.apply_theme(Theme(dpi=kiosk.theme.dpi, large_text=large_text))
    qtbot.waitUntil(lambda: not kiosk.turns.pending, timeout=20000)  # the hidden screens are restyled turn by turn
    kiosk.screens[State.FORM].pages.setCurrentWidget(kiosk.screens[State.FORM].page_for("dang-ky-khai-sinh"))
    kiosk.keyboard.set_mode("text")
    minimum = mm_to_px(MIN_TOUCH_MM, kiosk.theme.dpi)
    small = []
    checked = 0
    try:
        for state, screen in _screens(kiosk):
            qtbot.wait(1)  # let the layout settle before measuring
            for b in [*screen.findChildren(QAbstractButton), *kiosk.keyboard.findChildren(QAbstractButton),
                      kiosk.language_button, kiosk.home_button]:
                if not b.isVisibleTo(kiosk):
                    continue
                checked += 1
                if b.width() < minimum or b.height() < minimum:
                    small.append(f"{state}:{b.objectName() or b.text()} {b.width()}x{b.height()}")
    finally:
        kiosk.apply_theme(Theme(dpi=kiosk.theme.dpi))
        kiosk.go_home()
    assert checked > 100
    assert not small, f"smaller than {MIN_TOUCH_MM} mm ({minimum} px): {small}"


def test_language_switches_live_on_every_screen_and_back(driver, kiosk, qtbot):
    english_titles = {}
    for state, screen in kiosk.screens.items():
        kiosk.stack.setCurrentWidget(screen)
        kiosk.session.state = state  # show each screen's header as if navigated there
        kiosk.refresh_header()
        assert driver.find("header-language").isVisible()  # always there
        vi_title = kiosk.title.text()
        driver.click("header-language")
        english_titles[state] = kiosk.title.text()
        assert english_titles[state] == screen.title["en"] != vi_title
        driver.click("header-language")
        assert kiosk.title.text() == vi_title
    kiosk.session.state = State.HOME
    kiosk.stack.setCurrentWidget(kiosk.screens[State.HOME])
    driver.click("header-language")
    assert driver.find("tile-number").text() == "Take a queue number"
    assert kiosk.keyboard.key_button("space").text() == "Space"


def test_language_switch_keeps_what_was_typed(driver, kiosk, qtbot):
    _reach_form_with_card(driver, kiosk)
    driver.type_into("field-child_full_name", "Nguyễn Minh Thư")
    driver.click("header-language")
    assert driver.find("field-child_full_name").text() == "Nguyễn Minh Thư"
    assert "Child's full name" in " ".join(driver.texts())
    driver.click("header-language")


def test_close_and_escape_do_nothing_in_kiosk_mode(driver, kiosk, qtbot):
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    kiosk.kiosk_mode = True
    try:
        assert kiosk.close() is False
        assert kiosk.isVisible()
        qtbot.keyClick(kiosk, Qt.Key.Key_Escape)
        qtbot.keyClick(kiosk, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
        assert kiosk.isVisible() and kiosk.session.state == State.PROCEDURE
    finally:
        kiosk.kiosk_mode = False


def test_an_unexpected_exception_is_logged_and_the_kiosk_returns_home(driver, kiosk, qtbot, caplog,
                                                                       monkeypatch):
    from kiosk.ui.app import install_crash_guard

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_crash_guard(kiosk)
    driver.click("tile-rating")
    driver.on(State.RATING)
    try:
        raise RuntimeError("a bug in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    driver.on(State.HOME)
    assert "a bug in a slot" in caplog.text


def test_a_missing_guide_video_shows_a_still(kiosk, tmp_path):
    video = kiosk.screens[State.DETAILS].video
    video.load(tmp_path / "missing.mp4", {"vi": "1. Bước một", "en": "1. Step one"})
    assert video.state == "still"
    assert video.stack.currentWidget() is video.still
    assert "Bước một" in video.still_body.text()
    assert not video.play_button.isEnabled()


def test_leaving_the_guide_video_stops_it_on_the_next_turn_unless_it_was_opened_again(kiosk, qtbot):
    video = kiosk.screens[State.DETAILS].video
    path = Path(__file__).resolve().parents[2] / "videos" / "dang-ky-khai-sinh.mp4"
    steps = {"vi": "1. Bước một", "en": "1. Step one"}
    video.load(path, steps, autoplay=False)
    video.stop_soon()  # the citizen left the screen...
    video.load(path, steps, autoplay=False)  # ...and came straight back
    turned = []
    QTimer.singleShot(0, lambda: turned.append(True))  # queued after the stop: fires after it
    qtbot.waitUntil(lambda: bool(turned))
    assert not video._player.source().isEmpty()  # the video opened again is still there
    video.stop_soon()
    assert not video._player.source().isEmpty()  # not while the next screen paints...
    qtbot.waitUntil(lambda: video._player.source().isEmpty())  # ...but on the next turn


@pytest.mark.qt_log_ignore("Could not open media")
def test_a_broken_guide_video_shows_a_still(kiosk, qtbot, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)
    video = kiosk.screens[State.DETAILS].video
    video.load(broken, {"vi": "1. Bước một", "en": "1. Step one"}, autoplay=True)
    qtbot.waitUntil(lambda: video.state == "still", timeout=10000)
    video.stop()


def test_a_text_size_switch_leaves_every_screen_and_form_page_in_the_new_size(kiosk, qtbot):
    # the switch restyles what is on screen; hidden screens and form pages follow one per turn of the loop
    form = kiosk.screens[State.FORM]
    rating = kiosk.screens[State.RATING]
    before = Theme(dpi=kiosk.theme.dpi)
    kiosk.apply_theme(before)
    qtbot.waitUntil(lambda: len(form.forms) == len(kiosk.services.catalogue) and not kiosk.turns.pending, timeout=20000)

    def field_px() -> int:
        return form.page_for("dang-ky-khai-sinh").rows["child_full_name"].input.fontInfo().pixelSize()

    normal_field, normal_title = field_px(), kiosk.title.fontInfo().pixelSize()
    normal_send = rating.send_button.fontInfo().pixelSize()
    kiosk.apply_theme(Theme(dpi=kiosk.theme.dpi, large_text=True))
    try:
        assert kiosk.title.fontInfo().pixelSize() > normal_title  # on screen: at once
        assert field_px() == normal_field and kiosk.turns.pending  # hidden: not while the citizen waits
        kiosk.go(State.RATING)  # a screen shown before its turn is restyled as it opens
        assert rating.send_button.fontInfo().pixelSize() > normal_send
        qtbot.waitUntil(lambda: len(form.forms) == len(kiosk.services.catalogue) and not kiosk.turns.pending,
                        timeout=20000)
        assert all(page.language == kiosk.session.language for page in form.forms.values())
        assert field_px() > normal_field
    finally:
        kiosk.go_home()
        kiosk.apply_theme(before)
