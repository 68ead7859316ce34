"""No camera (unplugged): the card screen says so and offers typing at once, the procedure and look-up screens
stop inviting QR codes, and all of it comes back by itself when the camera does."""

from __future__ import annotations

import pytest

from device.sim.faults import FAULTS
from kiosk.core.session import State


@pytest.fixture
def unplugged(kiosk):
    FAULTS.set("camera", "unplugged", True)
    yield
    FAULTS.set("camera", "unplugged", False)


def test_the_card_screen_says_the_camera_is_unavailable_and_offers_typing_at_once(driver, kiosk, qtbot, unplugged):
    screen = kiosk.screens[State.IDENTIFY]
    driver.start_dossier()
    qtbot.waitUntil(lambda: "Không dùng được máy ảnh" in screen.instructions.text(), timeout=10000)
    assert "Vui lòng nhập thông tin bằng bàn phím" in screen.instructions.text()
    assert "Đặt mặt sau" not in " ".join(driver.texts())  # no "place your card" left on screen
    assert screen.preview._image is None  # no frozen last frame
    type_button = driver.find("identify-type")
    assert type_button.text() == "Nhập bằng bàn phím"
    assert type_button.height() >= 2 * kiosk.theme.touch_px  # the big way on, not a small alternative
    driver.click("header-language")
    assert screen.instructions.text() == "The camera is not available. Please type your details."
    assert type_button.text() == "Type instead"
    driver.click("header-language")
    driver.click(type_button)
    driver.on(State.FORM)


def test_the_card_screen_comes_back_by_itself_when_the_camera_does(driver, kiosk, qtbot, unplugged):
    screen = kiosk.screens[State.IDENTIFY]
    driver.start_dossier()
    qtbot.waitUntil(lambda: "Không dùng được máy ảnh" in screen.instructions.text(), timeout=10000)
    FAULTS.set("camera", "unplugged", False)  # plugged back in, no restart
    qtbot.waitUntil(lambda: screen.preview._image is not None, timeout=10000)
    assert "Đặt mặt sau" in screen.instructions.text()
    assert driver.find("identify-type").text() == "Không có thẻ? Nhập thông tin bằng bàn phím"


def test_the_procedure_screen_stops_inviting_qr_codes_while_the_camera_is_gone(driver, kiosk, qtbot, unplugged):
    screen = kiosk.screens[State.PROCEDURE]
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    qtbot.waitUntil(lambda: not screen.scan_hint.isVisible(), timeout=10000)
    FAULTS.set("camera", "unplugged", False)
    qtbot.waitUntil(screen.scan_hint.isVisible, timeout=10000)
    assert "mã QR" in screen.scan_hint.text()


def test_the_look_up_screen_asks_for_the_typed_code_while_the_camera_is_gone(driver, kiosk, qtbot, unplugged):
    screen = kiosk.screens[State.LOOKUP]
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    qtbot.waitUntil(lambda: "QR" not in screen.prompt.text(), timeout=10000)
    assert screen.prompt.text() == "Nhập mã hồ sơ in trên giấy tiếp nhận:"
    assert screen.preview._image is None and "Không dùng được máy ảnh" in screen.preview.unavailable
    FAULTS.set("camera", "unplugged", False)
    qtbot.waitUntil(lambda: "QR" in screen.prompt.text(), timeout=10000)
    qtbot.waitUntil(lambda: screen.preview._image is not None, timeout=10000)
    assert not screen.preview.unavailable
