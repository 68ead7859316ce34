"""The key presses the walkthrough, the UI tests' driver and the benchmarks plan for a text (one planner)."""

from __future__ import annotations

from kiosk.tools.walkthrough.common import presses_for


def test_a_vietnamese_address_is_planned_as_telex_letters_digits_and_spaces() -> None:
    assert presses_for("Số 12, Hà Nội") == ["shift:s", "o", "o", "s", "space", "1", "2", ",", "space",
                                            "shift:h", "a", "f", "space", "shift:n", "o", "o", "i", "j"]


def test_a_plain_word_is_its_letters() -> None:
    assert presses_for("khai sinh") == ["k", "h", "a", "i", "space", "s", "i", "n", "h"]
