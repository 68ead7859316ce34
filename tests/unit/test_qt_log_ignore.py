"""The test settings ignore Qt's optional-library probes by exact shape, and nothing else.

QtMultimedia's FFmpeg backend dlopen()s libva, libva-drm, libva-x11 and PipeWire and warns when one is
missing. scripts/setup.sh installs them, but a machine without them must not fail a journey test; any
other warning still must.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ignored(message: str) -> bool:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    return any(re.search(pattern, message) for pattern in options["qt_log_ignore"])


def test_the_optional_library_probes_seen_on_a_fresh_machine_are_ignored() -> None:
    for message in ("Couldn't load va-x11 library", "Couldn't resolve va-x11 symbols",
                    "Couldn't load va-drm library", "Couldn't resolve va-drm symbols",
                    "Couldn't load va library", "Couldn't resolve va symbols",
                    "Couldn't load va(in plugin) library", "Couldn't resolve va(in plugin) symbols",
                    "Couldn't load pipewire-0.3 library", "Couldn't resolve pipewire-0.3 symbols"):
        assert _ignored(message), message


def test_other_warnings_still_fail_a_test() -> None:
    for message in ("Could not open media", "QWidget::repaint: Recursive repaint detected",
                    "Couldn't load va-x11 library; decoding the guide video failed",
                    "QPainter::begin: Paint device returned engine == 0"):
        assert not _ignored(message), message


def test_setup_installs_what_the_multimedia_backend_loads() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    for package in ("libva2", "libva-drm2", "libva-x11-2", "libpipewire-0.3-0"):
        assert re.search(rf"\b{re.escape(package)}\b", setup), package
