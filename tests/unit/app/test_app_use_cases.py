"""The use cases kiosk.app.services delegates to: the ward helper's protocol, the rating, the heartbeat."""

from __future__ import annotations

import pytest

from kiosk.app import heartbeat
from kiosk.app.feedback import feedback_body
from kiosk.app.wards import WardSuggester
from kiosk.backend.outbox import OutboxError

#: a helper speaking the worker's protocol without its tables: "ready" once, then one JSON line per address
FAKE_WORKER = """
import json, sys
print("ready", flush=True)
for line in sys.stdin:
    address = json.loads(line)
    print(json.dumps({"code": "00073"} if "Hàng Bài" in address else None), flush=True)
"""


def test_the_ward_helper_answers_one_line_per_address() -> None:
    suggester = WardSuggester(FAKE_WORKER)
    suggester.start()
    try:
        assert suggester.wait() is True
        ward = suggester.suggest("12 phố Hàng Bài, Hoàn Kiếm")
        assert ward is not None and ward.code == "00073"
        assert suggester.suggest("nowhere") is None
    finally:
        suggester.close()


def test_a_ward_helper_that_is_gone_is_not_waited_for() -> None:
    suggester = WardSuggester("import sys; sys.exit(3)")
    suggester.start()
    try:
        assert suggester.wait() is False
    finally:
        suggester.close()


@pytest.mark.parametrize(("rating", "score"), [("very_satisfied", 5), ("satisfied", 4), ("unsatisfied", 1)])
def test_a_rating_is_sent_as_the_contract_score(rating: str, score: int) -> None:
    body = feedback_body({"rating": rating, "comment": "", "dossier_code": "00073-261124-0001"}, "KIOSK-01")
    assert body == {"kiosk_id": "KIOSK-01", "rating": score, "dossier_code": "00073-261124-0001"}


def test_a_local_reference_is_not_sent_with_the_rating() -> None:
    body = feedback_body({"rating": "satisfied", "comment": "Nhanh", "dossier_code": "L-KIOSK-01-261124-0001"},
                         "KIOSK-01")
    assert body == {"kiosk_id": "KIOSK-01", "rating": 4, "comment": "Nhanh"}


def test_the_heartbeat_goes_out_without_an_outbox_that_cannot_be_read() -> None:
    def broken_outbox():
        raise OutboxError("wrong key")

    devices = {f"d{i}": "x" * 100 for i in range(20)}
    body = heartbeat.heartbeat_body(broken_outbox, devices)
    assert "outbox" not in body and body["app_version"] == heartbeat.app_version()
    assert len(body["devices"]) == 16 and all(len(v) == 64 for v in body["devices"].values())
    assert heartbeat.outbox_health(broken_outbox) == "unusable"

