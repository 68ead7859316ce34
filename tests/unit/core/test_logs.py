"""Logs are JSON lines under the data directory, and never hold an ID number in clear."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.core.logs import mask_personal, recent_lines, setup_logging


@pytest.fixture(autouse=True)
def _restore_root_logger():
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_id_numbers_are_masked_on_disk(tmp_path: Path) -> None:
    path = setup_logging(tmp_path)
    log = logging.getLogger("kiosk.test")
    log.info("dossier for 001099012345 queued", extra={"applicant": "id 001099012345, old 012345678"})
    try:
        raise ValueError("bad card 079301004567")
    except ValueError:
        log.exception("card refused")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "001099012345" not in text and "012345678" not in text and "079301004567" not in text
    assert "0010******45" in text
    records = recent_lines(tmp_path)
    assert records[0]["message"] == "dossier for 0010******45 queued"
    assert records[1]["level"] == "ERROR" and "ValueError" in records[1]["exception"]


def test_mask_personal_leaves_other_numbers() -> None:
    assert mask_personal("ticket A012 at 2026-11-24, phone 0912345678") == "ticket A012 at 2026-11-24, phone 0912345678"
    assert mask_personal("id=001099012345;") == "id=0010******45;"
