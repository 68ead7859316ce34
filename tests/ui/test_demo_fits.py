"""``kiosk demo`` fits the screen it opens on (issue 19): on a portrait kiosk screen the kiosk keeps its portrait
shape at the screen's full width with the demo panel below it; on a laptop or a 1920x1080 screen the panel is
beside it. Neither runs off the screen, they do not overlap, and every control of the panel is shown whole."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton

from kiosk.ui.demo import PANEL_HEIGHT_PX, PANEL_WIDTH_PX, DemoPanel, demo_geometry


def _inside(rect: tuple[int, int, int, int], screen: tuple[int, int, int, int]) -> bool:
    x, y, w, h = rect
    sx, sy, sw, sh = screen
    return sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("screen", [(0, 0, 1080, 1920), (0, 0, 1920, 1080), (0, 0, 1366, 768),
                                    (0, 0, 1280, 1024), (1920, 0, 1080, 1920)],
                         ids=["portrait", "full-hd", "laptop", "5:4", "second-screen-portrait"])
def test_the_kiosk_and_its_panel_share_the_screen(screen) -> None:
    kiosk, panel, below = demo_geometry(screen)
    assert _inside(kiosk, screen) and _inside(panel, screen)
    assert not _overlap(kiosk, panel)
    portrait = screen[3] > screen[2]
    assert (kiosk[3] > kiosk[2]) == portrait  # the kiosk keeps the screen's shape
    if portrait:
        assert below and kiosk[2] == screen[2]  # the portrait kiosk at its real width, not shrunk to a stamp


@pytest.mark.parametrize("columns, size", [(1, (PANEL_WIDTH_PX, 1040)), (3, (1080, PANEL_HEIGHT_PX))],
                         ids=["beside", "below"])
def test_every_control_of_the_panel_is_shown_whole(kiosk, qtbot, columns, size) -> None:
    panel = DemoPanel(kiosk)
    qtbot.addWidget(panel)
    panel.set_columns(columns)
    panel.resize(*size)
    panel.show()
    qtbot.waitUntil(panel.isVisible)
    assert panel.width() <= size[0] and panel.height() <= size[1]  # not held wider than its room by its texts
    buttons = panel.findChildren(QAbstractButton)
    assert len(buttons) >= 8
    for button in buttons:
        assert panel.rect().contains(button.geometry()), button.text()
        assert button.height() >= button.minimumSizeHint().height(), button.text()
