"""Text contrast of both palettes is at least 7:1 (WCAG AAA)."""

from __future__ import annotations

import pytest

from kiosk.ui.theme import HIGH_CONTRAST, NORMAL, contrast_ratio, mm_to_px


@pytest.mark.parametrize("palette", [NORMAL, HIGH_CONTRAST], ids=["normal", "high-contrast"])
def test_every_text_colour_pair_reaches_7_to_1(palette):
    weak = {name: round(contrast_ratio(fg, bg), 2) for name, (fg, bg) in palette.text_pairs().items()
            if contrast_ratio(fg, bg) < 7.0}
    assert not weak


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_15_mm_in_pixels_follows_the_dpi():
    assert mm_to_px(15, 96) == 57
    assert mm_to_px(15, 69) == 41  # a 32" 1080p panel
