"""Where the kiosk keeps its files: the data directory (never the repository)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ward-kiosk"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """``$KIOSK_DATA_DIR`` or the platform's per-user data folder."""
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs  # ~13 ms of imports: only when the service's KIOSK_DATA_DIR is not set

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir(explicit: Path | None = None) -> Path:
    """The data directory to use, created if missing."""
    path = explicit or default_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path
