"""Logs are JSON lines under the data directory, and never hold an ID number in clear."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.core.logs import mask_personal, recent_lines, setup_logging
from kiosk.core.samples import TEST_CITIZENS, sample_payload


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


def test_what_names_a_dossier_or_a_ticket_stays_readable() -> None:
    text = "ticket A012 at 09:41:07, dossier 00073-261124-0001 (L-KIOSK-01-261124-0001), port 41539"
    assert mask_personal(text) == text
    assert mask_personal("id=001099012345;") == "id=0010******45;"


@pytest.mark.parametrize("personal", ["0912345678", "+84912345678", "091 234 5678", "0243 8251 234",
                                      "thu.nguyen@example.vn", "1999-03-15", "15/03/1999", "15-03-1999",
                                      "15.03.1999", "15031999"])
def test_phones_e_mails_and_dates_are_not_written(personal: str) -> None:
    masked = mask_personal(f"field value {personal} refused")
    assert personal not in masked and masked.startswith("field value [") and masked.endswith("] refused")


def _written(tmp_path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return (tmp_path / "logs" / "kiosk.jsonl").read_text(encoding="utf-8")


def _forms_of(citizen: dict) -> list[str]:
    dob = citizen["date_of_birth"]
    return [citizen["full_name"], citizen["address"].split(",")[0], dob.isoformat(), dob.strftime("%d/%m/%Y"),
            dob.strftime("%d%m%Y"), citizen["id_number"]]


def test_an_exception_that_echoes_a_card_payload_leaves_no_personal_data(tmp_path: Path) -> None:
    citizen = TEST_CITIZENS[0]
    setup_logging(tmp_path)
    log = logging.getLogger("kiosk.test")
    payload = sample_payload(0)
    try:
        raise ValueError(f"cannot read {payload!r}")
    except ValueError as err:
        log.error("background task failed: %r", err)
        log.exception("card refused")
        log.warning("wrapped", extra={"error": err, "note": f"read {payload} at the tray"})
    log.info("payload %s shown on the look-up screen", payload)
    text = _written(tmp_path)
    for form in _forms_of(citizen):
        assert form not in text
    records = recent_lines(tmp_path)
    assert records[0]["message"] == "background task failed: ValueError"
    assert records[1]["exception"].startswith("Traceback") and records[1]["exception"].endswith("ValueError")
    assert "[card payload]" in records[3]["message"]


def test_the_log_screen_masks_lines_an_older_version_wrote_in_clear(tmp_path: Path) -> None:
    import json

    citizen = TEST_CITIZENS[0]
    path = tmp_path / "logs" / "kiosk.jsonl"
    path.parent.mkdir(parents=True)
    line = {"ts": "2026-12-01T21:31:00.000+00:00", "level": "INFO", "logger": "kiosk",
            "message": f"card read {sample_payload(0)} phone 0912345678 born 15/03/1999"}
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = json.dumps(recent_lines(tmp_path), ensure_ascii=False)
    for form in [*_forms_of(citizen), "0912345678"]:
        assert form not in shown
    assert recent_lines(tmp_path)[0]["ts"] == line["ts"]


def test_a_backend_refusal_is_logged_by_status_and_code_not_by_its_text(tmp_path: Path) -> None:
    from kiosk.backend.client import Rejected

    name = TEST_CITIZENS[0]["full_name"]
    setup_logging(tmp_path)
    refusal = Rejected(f"HTTP 422: applicant {name} unknown", status=422,
                       problem={"code": "invalid_dossier", "detail": f"applicant {name} unknown"})
    logging.getLogger("kiosk.test").info("dossier %s not delivered (%s)", "L-KIOSK-01-261202-0001", refusal)
    text = _written(tmp_path)
    assert name not in text
    assert recent_lines(tmp_path)[0]["message"] == (
        "dossier L-KIOSK-01-261202-0001 not delivered (kiosk.backend.client.Rejected(status=422, "
        "problem=invalid_dossier))")
