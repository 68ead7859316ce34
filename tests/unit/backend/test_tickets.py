"""Queue numbers from the real simulator, and from the kiosk's local range when it cannot give one."""

from __future__ import annotations

import pytest
from helpers.backend import TOKEN, ticket_from_answer

from kiosk.backend.client import BackendClient
from kiosk.backend.tickets import TicketIssuer


def test_queue_numbers_fall_back_to_a_local_range_while_offline(tmp_path, sim):
    with BackendClient(sim.url, TOKEN, max_retries=0) as client:
        issuer = TicketIssuer(client, tmp_path / "tickets.sqlite3", "KIOSK-01")
        online = issuer.issue("ho-tich")
        sim.pause()
        offline = [issuer.issue("ho-tich"), issuer.issue("dat-dai", priority=True)]
        issuer.close()
        again = TicketIssuer(client, tmp_path / "tickets.sqlite3", "KIOSK-01").issue("ho-tich")
        sim.resume()
    assert (online.number, online.offline) == ("A001", False)
    assert [t.number for t in offline] == ["L01-001", "L01-002"] and all(t.offline for t in offline)
    assert again.number == "L01-003"  # a restart does not reuse a number given out today


def test_a_refusing_backend_still_leaves_the_citizen_with_a_number(tmp_path, sim):
    issuer = TicketIssuer(None, tmp_path / "tickets.sqlite3", "KIOSK-01")
    with BackendClient(sim.url, "not-the-token", max_retries=0) as refusing:
        ticket = issuer.issue("ho-tich", client=refusing)
    issuer.close()
    assert ticket.offline and ticket.number == "L01-001"


def test_numbers_are_unique_in_the_ward_across_service_areas(tmp_path, sim):
    """A001 was issued for both "Chứng thực" and "Cư trú": two citizens answered the same call."""
    issuer = TicketIssuer(None, tmp_path / "tickets.sqlite3", "KIOSK-01")
    with BackendClient(sim.url, TOKEN, max_retries=0) as client:
        tickets = [issuer.issue(area, priority, client=client)
                   for area, priority in (("chung-thuc", False), ("cu-tru", False), ("ho-tich", True),
                                          ("chung-thuc", False))]
    issuer.close()
    assert [t.number for t in tickets] == ["A001", "A002", "P003", "A004"]
    assert [t.priority for t in tickets] == [False, False, True, False]


def test_two_kiosks_of_a_ward_offline_do_not_hand_out_the_same_number(tmp_path):
    first = TicketIssuer(None, tmp_path / "one.sqlite3", "KIOSK-01").issue("ho-tich")
    second = TicketIssuer(None, tmp_path / "two.sqlite3", "KIOSK-02").issue("ho-tich")
    assert first.number != second.number and {first.number, second.number} == {"L01-001", "L02-001"}


@pytest.mark.parametrize("answer", [
    {"area": "ho-tich", "priority": False, "people_ahead": 0, "issued_at": "2026-12-02T08:00:00+07:00"},
    {"number": "L01-001", "area": "ho-tich", "priority": False, "people_ahead": 0,
     "issued_at": "2026-12-02T08:00:00+07:00"},
    ["not", "an", "object"],
], ids=["no-number", "a-kiosk-range-number", "a-list"])
def test_an_answer_off_the_contract_still_gives_a_local_number(tmp_path, answer):
    """A KeyError or TypeError from a bad answer used to reach the screen as "no number"."""
    ticket = ticket_from_answer(tmp_path, answer)
    assert ticket.offline and ticket.number == "L01-001"
