"""Look and feel: large type, touch targets of at least 15 mm, contrast of at least 7:1.

Sizes are computed from the screen's physical DPI (configured, or asked from the screen) so
a 15 mm button is 15 mm on a 21.5" and on a 32" panel alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

MIN_TOUCH_MM = 15.0
FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"


def mm_to_px(mm: float, dpi: float) -> int:
    return round(mm / 25.4 * dpi)


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# Palette and Theme are NamedTuples rather than frozen dataclasses (as immutable, compared and hashed alike): a
# frozen dataclass costs ~0.7 ms to define, paid before the home screen is shown (benchmarks/README.md, issue 19).
class Palette(NamedTuple):
    background: str
    text: str
    muted: str  # secondary text; still >= 7:1
    panel: str
    primary: str
    primary_text: str
    secondary: str
    secondary_text: str
    error: str
    ok: str
    header: str
    header_text: str
    focus: str

    def text_pairs(self) -> dict[str, tuple[str, str]]:
        """Every foreground/background pair the style sheet uses for text."""
        return {
            "text": (self.text, self.background),
            "muted": (self.muted, self.background),
            "panel": (self.text, self.panel),
            "muted_on_panel": (self.muted, self.panel),
            "primary": (self.primary_text, self.primary),
            "secondary": (self.secondary_text, self.secondary),
            "error": (self.error, self.background),
            "error_on_panel": (self.error, self.panel),
            "ok": (self.ok, self.background),
            "header": (self.header_text, self.header),
        }


NORMAL = Palette(background="#ffffff", text="#111111", muted="#3d3d3d", panel="#eef3f8",
                 primary="#0a4a80", primary_text="#ffffff", secondary="#dde6ef", secondary_text="#0b2540",
                 error="#8f0000", ok="#0b5a1f", header="#0a3560", header_text="#ffffff", focus="#c25e00")
HIGH_CONTRAST = Palette(background="#000000", text="#ffffff", muted="#f0f0f0", panel="#111111",
                        primary="#ffd500", primary_text="#000000", secondary="#000000", secondary_text="#ffff00",
                        error="#ff8080", ok="#80ff80", header="#000000", header_text="#ffff00", focus="#00ffff")


class Theme(NamedTuple):
    dpi: float = 96.0
    large_text: bool = False
    high_contrast: bool = False

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.high_contrast else NORMAL

    @property
    def scale(self) -> float:
        return 1.3 if self.large_text else 1.0

    def px(self, mm: float) -> int:
        return mm_to_px(mm, self.dpi)

    @property
    def touch_px(self) -> int:
        """The smallest size of anything a finger must hit."""
        return self.px(MIN_TOUCH_MM)

    def font_px(self, base: int) -> int:
        return round(base * self.scale)

    def stylesheet(self) -> str:
        p = self.palette
        f = self.font_px
        touch = self.touch_px
        border = "3px solid " + (p.text if self.high_contrast else p.primary)
        return f"""
QWidget {{ background: {p.background}; color: {p.text}; font-family: "Noto Sans"; font-size: {f(26)}px; }}
QLabel {{ background: transparent; }}
QLabel[role="title"] {{ font-size: {f(44)}px; font-weight: bold; }}
QLabel[role="subtitle"] {{ font-size: {f(30)}px; color: {p.muted}; }}
QLabel[role="big"] {{ font-size: {f(96)}px; font-weight: bold; color: {p.text}; }}
QLabel[role="muted"] {{ color: {p.muted}; }}
QLabel[role="error"] {{ color: {p.error}; font-weight: bold; font-size: {f(22)}px; }}
QLabel[role="ok"] {{ color: {p.ok}; font-weight: bold; }}
QLabel[role="fieldlabel"] {{ font-weight: bold; }}
QFrame[role="panel"] {{ background: {p.panel}; border-radius: 12px; }}
QFrame[role="panel"] QLabel {{ background: transparent; }}
QFrame[role="header"] {{ background: {p.header}; }}
QFrame[role="header"] QLabel {{ color: {p.header_text}; background: transparent; font-size: {f(30)}px;
    font-weight: bold; }}
QFrame[role="header"] QLabel[role="badge"] {{ background: {p.error}; color: #ffffff; font-weight: bold;
    padding: 4px 12px; border-radius: 8px; }}
QPushButton {{ background: {p.secondary}; color: {p.secondary_text}; border: {border}; border-radius: 12px;
    min-height: {touch}px; min-width: {touch}px; padding: 6px 18px; font-size: {f(28)}px; font-weight: bold; }}
QPushButton[role="primary"] {{ background: {p.primary}; color: {p.primary_text}; }}
QPushButton[role="tile"] {{ background: {p.primary}; color: {p.primary_text}; font-size: {f(36)}px;
    min-height: {max(touch * 3, 200)}px; border-radius: 20px; text-align: center; }}
QPushButton[role="choice"] {{ text-align: left; padding: 10px 24px; }}
QPushButton[role="bigchoice"] {{ font-size: {f(34)}px; min-height: {touch * 2}px; padding: 10px 24px; }}
QPushButton[role="header"] {{ background: {p.header}; color: {p.header_text}; border: 3px solid {p.header_text}; }}
QPushButton[role="key"] {{ font-size: {f(30)}px; padding: 2px; border-radius: 8px; }}
QPushButton:checked {{ background: {p.primary}; color: {p.primary_text}; border: 4px solid {p.focus}; }}
QPushButton[role="rating"] {{ font-size: {f(34)}px; min-height: {max(touch * 2, 140)}px; border-radius: 20px; }}
QPushButton[role="rating"]:checked {{ background: {p.primary}; color: {p.primary_text};
    border: 6px solid {p.focus}; }}
QPushButton[role="thumb-warn"] {{ border: 5px solid {p.error}; }}
QPushButton:disabled {{ background: {p.panel}; color: {p.muted}; border: 3px dashed {p.muted}; }}
QPushButton:pressed {{ border: 4px solid {p.focus}; }}
QLineEdit, QPlainTextEdit {{ background: {p.background}; color: {p.text}; border: 3px solid {p.muted};
    border-radius: 8px; padding: 6px 12px; min-height: {touch}px; font-size: {f(28)}px; }}
QLineEdit:focus, QPlainTextEdit:focus {{ border: 4px solid {p.focus}; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 4px solid {p.error}; }}
QCheckBox {{ spacing: 16px; background: transparent; min-height: {touch}px; }}
QCheckBox::indicator {{ width: {touch - 8}px; height: {touch - 8}px; border: 3px solid {p.text};
    background: {p.background}; }}
QCheckBox::indicator:checked {{ background: {p.primary}; border: 3px solid {p.text}; }}
QListWidget {{ background: {p.background}; border: 3px solid {p.muted}; font-size: {f(28)}px; }}
QListWidget::item {{ min-height: {touch}px; padding: 6px; border-bottom: 1px solid {p.muted}; }}
QListWidget::item:selected {{ background: {p.primary}; color: {p.primary_text}; }}
QScrollBar:vertical {{ width: {self.px(5)}px; background: {p.panel}; border: none; margin: 0px; }}
QScrollBar::handle:vertical {{ background: {p.primary}; min-height: {touch}px; border-radius: {self.px(2)}px; }}
QScrollBar:horizontal {{ height: {self.px(5)}px; background: {p.panel}; border: none; margin: 0px; }}
QScrollBar::handle:horizontal {{ background: {p.primary}; min-width: {touch}px; border-radius: {self.px(2)}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0px; height: 0px; border: none; background: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QProgressBar {{ border: 3px solid {p.text}; border-radius: 8px; min-height: {self.px(8)}px; text-align: center; }}
QProgressBar::chunk {{ background: {p.primary}; }}
QFrame[role="overlay"] {{ background: rgba(0, 0, 0, 180); }}
QFrame[role="dialog"] {{ background: {p.background}; border: 4px solid {p.text}; border-radius: 20px; }}
"""
