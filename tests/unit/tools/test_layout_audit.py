"""The layout audit finds what was planted in a small window (a clipped button, two overlapping buttons, a
20 px button, a field under the keyboard) and nothing in a clean layout."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.tools.walkthrough.audit import KINDS, LayoutAudit, audit_window

DPI = 96.0  # 15 mm = 57 px
SHEET = "QPushButton { padding: 6px 18px; border: 3px solid black; font-size: 20px; }"


def _kinds(result: dict) -> dict[str, int]:
    return {kind: result[kind] for kind in KINDS if result[kind]}


@pytest.fixture
def window(qtbot):
    widget = QWidget()
    widget.setStyleSheet(SHEET)
    widget.setFixedSize(800, 600)
    qtbot.addWidget(widget)
    return widget


def _show(qtbot, widget: QWidget) -> None:
    widget.show()
    qtbot.waitExposed(widget)


def _clean(parent: QWidget) -> None:
    layout = QVBoxLayout(parent)
    layout.addWidget(QLabel("Chọn thủ tục / Choose a procedure"))
    wrapped = QLabel("Một đoạn văn dài được xuống dòng trong khung của nó. " * 3)
    wrapped.setWordWrap(True)
    layout.addWidget(wrapped)
    row = QHBoxLayout()
    for name in ("Quay lại", "Tiếp tục"):
        button = QPushButton(name)
        button.setFixedSize(200, 70)
        row.addWidget(button)
    layout.addLayout(row)
    field = QLineEdit()
    field.setMinimumHeight(60)
    layout.addWidget(field)


def test_a_clean_layout_has_no_finding(qtbot, window) -> None:
    _clean(window)
    _show(qtbot, window)
    result = audit_window(window, dpi=DPI)
    assert _kinds(result) == {}
    assert result["findings"] == []


def test_the_planted_problems_are_found_and_nothing_else(qtbot, window) -> None:
    clipped = QPushButton("Không có thẻ? Nhập thông tin bằng bàn phím", window)
    clipped.setObjectName("planted-clipped")
    clipped.setGeometry(10, 10, 160, 70)
    first = QPushButton("Một", window)
    first.setObjectName("planted-overlap-a")
    first.setGeometry(10, 200, 150, 70)
    second = QPushButton("Hai", window)
    second.setObjectName("planted-overlap-b")
    second.setGeometry(100, 230, 150, 70)
    tiny = QPushButton("", window)
    tiny.setObjectName("planted-small")
    tiny.setGeometry(10, 400, 20, 20)
    _show(qtbot, window)

    result = audit_window(window, dpi=DPI)

    assert _kinds(result) == {"clipped": 1, "overlap": 1, "small_target": 1}
    found = {(f["kind"], f["widget"]) for f in result["findings"]}
    assert found == {("clipped", "planted-clipped"), ("overlap", "planted-overlap-a"),
                     ("small_target", "planted-small")}
    clipped_finding = next(f for f in result["findings"] if f["kind"] == "clipped")
    assert clipped_finding["text"] == clipped.text()[:40]


def test_a_label_too_narrow_for_its_text_and_a_cut_wrapped_label_are_clipped(qtbot, window) -> None:
    short = QLabel("Trang chủ của phường", window)
    short.setObjectName("narrow-label")
    short.setGeometry(10, 10, 60, 40)
    wrapped = QLabel("Một đoạn văn dài được xuống dòng nhưng khung quá thấp để hiện hết. " * 3, window)
    wrapped.setWordWrap(True)
    wrapped.setObjectName("short-wrapped")
    wrapped.setGeometry(10, 100, 300, 30)
    _show(qtbot, window)
    result = audit_window(window, dpi=DPI)
    assert _kinds(result) == {"clipped": 2}
    assert {f["widget"] for f in result["findings"]} == {"narrow-label", "short-wrapped"}


def test_a_button_past_the_window_edge_is_off_window(qtbot, window) -> None:
    button = QPushButton("Ẩn", window)
    button.setObjectName("past-edge")
    button.setGeometry(760, 10, 100, 70)
    _show(qtbot, window)
    result = audit_window(window, dpi=DPI)
    assert _kinds(result) == {"off_window": 1}
    assert result["findings"][0]["widget"] == "past-edge"


def test_the_focused_field_under_the_open_keyboard_is_behind_it(qtbot, window) -> None:
    field = QLineEdit(window)
    field.setGeometry(10, 450, 300, 60)
    keyboard = QWidget(window)
    keyboard.setGeometry(0, 400, 800, 200)
    _show(qtbot, window)
    window.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    assert _kinds(audit_window(window, dpi=DPI, keyboard=keyboard)) == {"behind_keyboard": 1}
    keyboard.hide()
    assert _kinds(audit_window(window, dpi=DPI, keyboard=keyboard)) == {}


def test_the_collected_audits_sum_into_totals_and_count_a_second_pass_once(qtbot, window) -> None:
    tiny = QPushButton("", window)
    tiny.setGeometry(10, 10, 20, 20)
    _show(qtbot, window)
    audit = LayoutAudit("800x600", large_text=True, lang="en")
    audit.record("01-home", window)
    audit.record("24-home", window)  # the next round's home screen: the same state, not audited again
    result = audit.result()
    assert (result["screen"], result["large_text"], result["lang"]) == ("800x600", True, "en")
    assert list(result["by_screen"]) == ["01-home"] and audit.passes == {"home": 2}
    assert result["totals"] == {"clipped": 0, "overlap": 0, "off_window": 0, "behind_keyboard": 0,
                                "small_target": 1}


def test_an_overlay_over_the_window_is_not_an_overlap_but_its_own_buttons_are_compared(qtbot, window) -> None:
    _clean(window)  # laid out: the window's layout holds its parts
    overlay = QWidget(window)  # outside the layout, over everything, as the idle overlay is
    overlay.setGeometry(0, 0, 800, 600)
    keep = QPushButton("Tôi vẫn đang dùng", overlay)
    keep.setObjectName("overlay-continue")
    keep.setGeometry(100, 50, 600, 500)  # over the clean layout's buttons and field
    _show(qtbot, window)
    assert _kinds(audit_window(window, dpi=DPI)) == {}
    second = QPushButton("Về trang chủ", overlay)
    second.setObjectName("overlay-home")
    second.setGeometry(150, 100, 200, 70)
    second.show()
    result = audit_window(window, dpi=DPI)
    assert _kinds(result) == {"overlap": 1}
    assert {result["findings"][0]["widget"], result["findings"][0]["detail"].split()[1]} \
        == {"overlay-continue", "overlay-home"}
