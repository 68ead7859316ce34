"""The ticket's follow page in a real browser (issue 23): Debian's headless Chromium at a phone's size (390x844)
opens the follow URL the backend put on a ticket, shows the number and the people ahead, and updates by itself
as the simulator's counters call, in Vietnamese and in English; an unknown token gets "not found".

Selenium drives /usr/bin/chromium through /usr/bin/chromedriver, both given by path (scripts/setup.sh installs
them): Selenium Manager, which would download a browser, must never run, and the fixture makes sure of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.backend import TOKEN

from kiosk.app.prints import PrintFiles
from kiosk.app.tickets import Tickets
from kiosk.backend.client import BackendClient
from kiosk.backend.sim import SimulatorHandle, start_simulator_thread
from kiosk.tools.phone import PHONE, PhoneUnavailable, phone_browser

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extras: pip install -e .[dev]")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HO_TICH = {"id": "ho-tich", "vi": "Hộ tịch", "en": "Civil status"}
#: The page polls every 3 s; a few polls, and the simulator answers on loopback in milliseconds.
UPDATE_WITHIN_S = 15


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[webdriver.Chrome]:
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_download(*_args: object, **_kwargs: object) -> dict:
        raise AssertionError("Selenium Manager ran: it would fetch a browser from the network")

    monkeypatch.setattr(SeleniumManager, "binary_paths", no_download)
    try:
        driver = phone_browser(tmp_path / "chromium-profile")
    except PhoneUnavailable as err:
        pytest.skip(str(err))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    handle = start_simulator_thread(tmp_path / "backend.sqlite3", TOKEN)
    yield handle
    handle.stop()


def _issue(sim: SimulatorHandle, tmp_path: Path, count: int) -> list[dict]:
    """Tickets by the kiosk's own path (kiosk.app.tickets), so the URL is the one printed as the QR."""
    tickets = Tickets(tmp_path, "KIOSK-01", PrintFiles(tmp_path))
    with BackendClient(sim.url, TOKEN, max_retries=0) as client:
        issued = [tickets.issue("ho-tich", HO_TICH, "none", client, "Phường Cửa Nam") for _ in range(count)]
    tickets.close()
    return issued


def _call_next(sim: SimulatorHandle, counter: int = 3) -> None:
    answer = httpx.post(f"{sim.url}/api/v1/queue/call-next", json={"counter": counter},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.json()["called"]


def _shown(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def _wait_for(driver: webdriver.Chrome, element_id: str, text: str) -> None:
    WebDriverWait(driver, UPDATE_WITHIN_S).until(
        lambda d: text in _shown(d, element_id),
        message=f"#{element_id} never showed {text!r}")


def test_the_follow_page_shows_the_place_in_line_and_updates_as_counters_call(browser, sim, tmp_path):
    first, second, mine = _issue(sim, tmp_path, 3)
    url = mine["follow_url"]
    assert url.startswith(f"{sim.url}/q/") and mine["number"] not in url  # a token, not the number
    browser.get(url)
    assert browser.execute_script("return window.innerWidth") == PHONE[0]  # a phone's viewport
    assert _shown(browser, "number") == mine["number"]
    assert "Hộ tịch" in _shown(browser, "area")
    assert "Số người chờ trước bạn: 2" in _shown(browser, "state")
    assert browser.execute_script("return document.documentElement.lang") == "vi"
    # fits the phone: no sideways scrolling, and the number is large
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    number_px = float(browser.execute_script(
        "return parseFloat(getComputedStyle(document.getElementById('number')).fontSize)"))
    assert number_px >= 60
    browser.save_screenshot(str(tmp_path / "follow-vi-waiting.png"))

    _call_next(sim)  # the counter calls the first ticket: nobody touches the phone
    _wait_for(browser, "state", "Số người chờ trước bạn: 1")

    browser.find_element(By.ID, "lang").click()  # the language switch
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert "People ahead of you: 1" in _shown(browser, "state")
    assert "Civil status" in _shown(browser, "area")
    _call_next(sim)
    _wait_for(browser, "state", "People ahead of you: 0")
    _call_next(sim)  # now this ticket
    _wait_for(browser, "state", "Please go to counter 3")
    browser.save_screenshot(str(tmp_path / "follow-en-called.png"))
    browser.find_element(By.ID, "lang").click()
    assert "Mời đến quầy 3" in _shown(browser, "state")

    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []  # no blocked asset, no script error (the page's CSP forbids anything external)


def test_the_page_opens_in_english_and_shows_called_tickets_at_once(browser, sim, tmp_path):
    (mine,) = _issue(sim, tmp_path, 1)
    _call_next(sim, counter=5)
    browser.get(mine["follow_url"] + "?lang=en")
    assert "Please go to counter 5" in _shown(browser, "state")
    assert "Your queue number" in browser.find_element(By.TAG_NAME, "body").text


def test_an_unknown_token_gets_a_plain_not_found_page(browser, sim, tmp_path):
    _issue(sim, tmp_path, 1)
    browser.get(f"{sim.url}/q/AAAAAAAAAAAAAAAAAAAAAA")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Không tìm thấy" in body and "Not found" in body
    assert browser.find_elements(By.TAG_NAME, "script") == []


def test_nothing_personal_on_the_page_or_in_its_url(browser, sim, tmp_path):
    (mine,) = _issue(sim, tmp_path, 1)
    browser.get(mine["follow_url"])
    source = browser.page_source
    url = browser.current_url
    for private in ("KIOSK-01", "Phường Cửa Nam"):  # not even which kiosk or ward issued it
        assert private not in source and private not in url
    assert mine["number"] not in url
    # what the page knows is what its status says: number, service, people ahead, counter, times
    status = browser.execute_script(
        "var x=new XMLHttpRequest();x.open('GET',document.body.dataset.statusUrl,false);x.send();"
        "return JSON.parse(x.responseText);")
    assert set(status) <= {"number", "area", "area_name", "priority", "people_ahead", "called", "counter",
                           "estimated_wait_minutes", "issued_at", "called_at"}
