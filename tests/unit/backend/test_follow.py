"""Following the queue on a phone (issue 23): the backend chooses a follow URL with a random token, its
public status answers without the device token and without anything personal, counters call the next
ticket, and the kiosk's own ticket path prints that URL as a QR that reads back at 203 dpi."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import zxingcpp
from helpers.backend import TOKEN, ticket_from_answer
from PIL import Image

from kiosk.app.prints import PrintFiles
from kiosk.app.tickets import Tickets
from kiosk.backend.client import BackendClient
from kiosk.backend.contract import schema_errors
from kiosk.backend.sim import start_simulator_thread
from kiosk.backend.tickets import TicketIssuer
from kiosk.core.documents import FOLLOW_CAPTION, OFFLINE_NO_FOLLOW

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HO_TICH = {"id": "ho-tich", "vi": "Hộ tịch", "en": "Civil status"}


def _ticket(sim, area: str = "ho-tich", priority: bool = False) -> dict:
    answer = httpx.post(f"{sim.url}/api/v1/queue/tickets", headers=AUTH,
                        json={"area": area, "priority": priority, "kiosk_id": "KIOSK-01",
                              "area_name": {"vi": "Hộ tịch", "en": "Civil status"}})
    assert answer.status_code == 201
    assert not schema_errors("Ticket", answer.json())
    return answer.json()


def _token(ticket: dict) -> str:
    return ticket["follow_url"].rsplit("/q/", 1)[1]


def _status(sim, ticket: dict) -> dict:
    answer = httpx.get(f"{sim.url}/api/v1/queue/status/{_token(ticket)}")  # no device token: a phone asks
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert not schema_errors("TicketStatus", answer.json())
    return answer.json()


def _call_next(sim, counter: int = 3) -> dict:
    answer = httpx.post(f"{sim.url}/api/v1/queue/call-next", headers=AUTH, json={"counter": counter})
    assert answer.status_code == 200 and not schema_errors("CallNextResult", answer.json())
    return answer.json()


def test_the_backend_chooses_a_follow_url_with_a_random_token_not_the_number(sim):
    tickets = [_ticket(sim) for _ in range(3)]
    urls = [t["follow_url"] for t in tickets]
    assert all(u.startswith(f"{sim.url}/q/") for u in urls)  # the simulator's own address by default
    tokens = [_token(t) for t in tickets]
    assert len(set(tokens)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{22,}", t) for t in tokens)  # 128 bits
    for ticket in tickets:
        assert ticket["number"] not in ticket["follow_url"]


def test_people_ahead_go_down_as_counters_call_and_the_called_ticket_names_its_counter(sim):
    first, second, third = (_ticket(sim) for _ in range(3))
    assert [first["people_ahead"], second["people_ahead"], third["people_ahead"]] == [0, 1, 2]
    waiting = _status(sim, third)
    assert (waiting["number"], waiting["people_ahead"], waiting["called"], waiting["counter"]) == (
        third["number"], 2, False, None)
    assert waiting["estimated_wait_minutes"] > 0 and waiting["area_name"] == {"vi": "Hộ tịch", "en": "Civil status"}
    assert _call_next(sim, 1)["called"]["number"] == first["number"]
    assert _status(sim, third)["people_ahead"] == 1
    assert _call_next(sim, 2)["called"]["number"] == second["number"]
    result = _call_next(sim, 3)
    assert (result["called"]["number"], result["called"]["counter"], result["waiting"]) == (third["number"], 3, 0)
    called = _status(sim, third)
    assert (called["called"], called["counter"], called["people_ahead"], called["estimated_wait_minutes"]) == (
        True, 3, 0, None)
    assert _call_next(sim) == {"called": None, "waiting": 0}


def test_priority_tickets_are_called_first_and_other_services_do_not_count_ahead(sim):
    normal = _ticket(sim)
    other_service = _ticket(sim, area="dat-dai")
    priority = _ticket(sim, priority=True)
    assert priority["people_ahead"] == 0 and _status(sim, normal)["people_ahead"] == 1  # the priority one
    assert _status(sim, other_service)["people_ahead"] == 0
    assert _call_next(sim)["called"]["number"] == priority["number"]


def test_the_status_is_public_and_personal_data_free_and_the_counter_api_is_not(sim):
    ticket = _ticket(sim)
    status = _status(sim, ticket)
    assert set(status) <= {"number", "area", "area_name", "priority", "people_ahead", "called", "counter",
                           "estimated_wait_minutes", "issued_at", "called_at"}
    page = httpx.get(ticket["follow_url"])
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "KIOSK-01" not in page.text and "KIOSK-01" not in str(status)  # not even which kiosk
    assert page.headers["Referrer-Policy"] == "no-referrer" and "default-src 'none'" in page.headers[
        "Content-Security-Policy"]
    assert not re.search(r"""(src|href)=["']?https?:""", page.text)  # no external assets
    refused = httpx.post(f"{sim.url}/api/v1/queue/call-next", json={"counter": 3})
    assert refused.status_code == 401


def test_an_unknown_token_is_not_found_in_both_languages(sim):
    _ticket(sim)
    for token in ("A001", "x" * 22, "not-a-token!"):
        page = httpx.get(f"{sim.url}/q/{token}")
        assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
        assert "Không tìm thấy" in page.text and "Not found" in page.text
        answer = httpx.get(f"{sim.url}/api/v1/queue/status/{token}")
        assert answer.status_code == 404 and not schema_errors("Problem", answer.json())


def test_the_follow_urls_base_can_be_the_address_phones_reach(tmp_path):
    with start_simulator_thread(tmp_path / "lan.sqlite3", TOKEN, public_url="http://192.168.1.20:8765/") as sim:
        ticket = _ticket(sim)
    assert re.fullmatch(r"http://192\.168\.1\.20:8765/q/[A-Za-z0-9_-]{22,}", ticket["follow_url"])


def test_backend_sim_command_takes_a_public_url(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db", str(tmp_path / "s.db"),
         "--token", TOKEN, "--public-url", "http://10.0.0.7:8765"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "http://10.0.0.7:8765/q/" in line
        url = re.search(r"http://\S+", line).group(0)
        ticket = httpx.post(f"{url}/api/v1/queue/tickets", headers=AUTH, timeout=5,
                            json={"area": "ho-tich", "priority": False, "kiosk_id": "KIOSK-01"}).json()
        assert ticket["follow_url"].startswith("http://10.0.0.7:8765/q/")
    finally:
        proc.terminate()
        proc.wait(10)
    bad = subprocess.run([sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db",
                          str(tmp_path / "t.db"), "--token", TOKEN, "--public-url", "192.168.1.20"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "http(s)://" in bad.stderr


def test_the_client_carries_the_follow_url_and_a_local_ticket_has_none(tmp_path, sim):
    with BackendClient(sim.url, TOKEN, max_retries=0) as client:
        issuer = TicketIssuer(client, tmp_path / "tickets.sqlite3", "KIOSK-01")
        online = issuer.issue("ho-tich", area_name={"vi": "Hộ tịch", "en": "Civil status"})
        assert client.ticket_status(online.follow_url.rsplit("/", 1)[1])["number"] == online.number
        assert client.ticket_status("x" * 22) is None
        assert client.call_next(3)["called"]["number"] == online.number
        sim.pause()
        offline = issuer.issue("ho-tich")
        sim.resume()
    issuer.close()
    assert online.follow_url and online.follow_url.startswith(f"{sim.url}/q/") and not online.offline
    assert offline.offline and offline.follow_url is None


@pytest.mark.parametrize("follow_url", ["javascript:alert(1)", "http://" + "a" * 600, 42])
def test_a_follow_url_off_the_contract_keeps_the_number_and_drops_the_qr(tmp_path, follow_url):
    ticket = ticket_from_answer(tmp_path, {"number": "A007", "area": "ho-tich", "priority": False,
                                           "people_ahead": 2, "issued_at": "2026-12-02T08:00:00+07:00",
                                           "follow_url": follow_url})
    assert (ticket.number, ticket.offline, ticket.follow_url) == ("A007", False, None)


def _pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _qr_at_203_dpi(pdf: Path, tmp_path: Path) -> list[str]:
    """What a thermal head's raster of the ticket (pdftoppm -r 203, as the printer path does) decodes to."""
    prefix = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(pdf), str(prefix)], check=True)
    with Image.open(f"{prefix}.png") as image:
        return [r.text for r in zxingcpp.read_barcodes(image)]


def test_the_apps_ticket_carries_the_backends_follow_url_as_a_qr_that_reads_at_203_dpi(tmp_path, sim):
    tickets = Tickets(tmp_path, "KIOSK-01", PrintFiles(tmp_path))
    with BackendClient(sim.url, TOKEN, max_retries=0) as client:
        ticket = tickets.issue("ho-tich", HO_TICH, "none", client, "Phường Cửa Nam")
        sim.pause()
        local = tickets.issue("ho-tich", HO_TICH, "none", client, "Phường Cửa Nam")
        sim.resume()
    tickets.close()
    assert ticket["follow_url"] and ticket["follow_url"].startswith(f"{sim.url}/q/")
    assert _qr_at_203_dpi(Path(ticket["path"]), tmp_path) == [ticket["follow_url"]]
    text = _pdf_text(Path(ticket["path"]))
    assert FOLLOW_CAPTION in text and text.index(ticket["number"]) < text.index("Quét để theo dõi lượt")
    # the URL leads to this very ticket
    assert httpx.get(f"{sim.url}/api/v1/queue/status/{ticket['follow_url'].rsplit('/', 1)[1]}").json()[
        "number"] == ticket["number"]
    # the local fallback: no QR, and one line saying it cannot be followed, Vietnamese first
    assert local["offline"] and local["number"].startswith("L01-") and not local.get("follow_url")
    assert _qr_at_203_dpi(Path(local["path"]), tmp_path) == []
    local_text = _pdf_text(Path(local["path"]))
    assert " ".join(OFFLINE_NO_FOLLOW.split()) in local_text and "Quét để theo dõi" not in local_text
    assert local_text.index("không theo dõi được") < local_text.index("cannot be followed")
