"""Shared test set-up: Qt runs offscreen, nothing writes outside tmp paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":  # pytest-qt makes the QApplication: the kiosk's large screen
    _screen = Path(__file__).resolve().parents[1] / "kiosk" / "assets" / "offscreen.json"
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
os.environ.setdefault("QT_QUICK_BACKEND", "software")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
