"""Issue 19's rough edges, at the screen sizes where they showed: the chosen rating is plain to see and nothing is
drawn over the answers, and a look-up result is not left behind the number pad."""

from __future__ import annotations

import pytest

from kiosk.core.session import State
from kiosk.tools.walkthrough.audit import audit_window

SIZES = [(1080, 1920), (1366, 768), (1920, 1080)]
IDS = ["portrait", "laptop", "full-hd"]


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=IDS)
def test_the_chosen_rating_is_filled_and_ticked_and_nothing_covers_the_answers(sized, driver, qtbot) -> None:
    window = sized
    driver.click("tile-rating")
    driver.on(State.RATING)
    assert not window.keyboard.isVisible()  # nothing opens over the answers by itself
    satisfied, very = driver.find("rating-satisfied"), driver.find("rating-very_satisfied")
    unchosen_colour = satisfied.grab().toImage().pixelColor(12, satisfied.height() // 2)
    driver.click(satisfied)
    qtbot.waitUntil(lambda: satisfied.text().startswith("✓ "))
    assert not very.text().startswith("✓")
    # filled: the middle of the chosen tile's edge area is now another colour than before
    chosen_colour = satisfied.grab().toImage().pixelColor(12, satisfied.height() // 2)
    assert chosen_colour != unchosen_colour
    driver.click(very)  # changing one's mind moves the tick
    qtbot.waitUntil(lambda: very.text().startswith("✓ ") and not satisfied.text().startswith("✓"))
    driver.click("rating-comment")  # the keyboard opens for the comment only now
    qtbot.waitUntil(window.keyboard.isVisible)
    audit = audit_window(window)
    problems = [f for f in audit["findings"] if f["kind"] in ("overlap", "clipped", "behind_keyboard")]
    assert not problems


@pytest.mark.parametrize("sized", SIZES[:2], indirect=True, ids=IDS[:2])
def test_a_look_up_result_is_not_left_behind_the_number_pad(sized, driver, kiosk, qtbot) -> None:
    window = sized
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    with qtbot.waitSignal(kiosk.events.sig_lookup_done, timeout=20000):
        driver.type_into("lookup-code", "00073-010101-9999")
        assert window.keyboard.isVisible()
        driver.click("lookup-search")
    error = kiosk.screens[State.LOOKUP].error
    qtbot.waitUntil(lambda: "Không tìm thấy" in error.text() and not window.keyboard.isVisible())
    # the message is whole and inside what the window shows
    audit = audit_window(window)
    assert not [f for f in audit["findings"] if f["kind"] in ("clipped", "off_window", "overlap")]
    top_left = error.mapTo(window, error.rect().topLeft())
    assert window.rect().contains(top_left) and top_left.y() + error.height() <= window.height()
