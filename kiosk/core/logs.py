"""Structured JSON logs under the data directory, rotated, with personal data masked.

One JSON object per line (``<data dir>/logs/kiosk.jsonl``) so that maintenance screens, support
and the end-to-end tests read the same records. Masking happens in the formatter, so whatever a
module logs, a 12-digit citizen ID or a 9-digit old ID number never reaches the disk in clear.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
from pathlib import Path

from kiosk.core import clock
from kiosk.core.identity import mask_id

_ID_RE = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def mask_personal(text: str) -> str:
    """Mask every ID-number-like run of digits in free text."""
    return _ID_RE.sub(lambda m: mask_id(m.group(1)), text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": clock.from_timestamp(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():  # extra={...} fields
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool)) or value is None else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        text = json.dumps(entry, ensure_ascii=False, default=str)
        return mask_personal(text)


def log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / "kiosk.jsonl"


def setup_logging(data_dir: Path, level: int = logging.INFO, max_bytes: int = 2_000_000,
                  backups: int = 5) -> Path:
    """Send the ``kiosk`` and ``device`` loggers to a rotating JSON-lines file; return its path."""
    path = log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_kiosk_log", False)]:
        root.removeHandler(old)
        old.close()
    handler._kiosk_log = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path


def recent_lines(data_dir: Path, limit: int = 200) -> list[dict]:
    """The last ``limit`` records, newest last (for the maintenance log screen)."""
    path = log_path(data_dir)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
