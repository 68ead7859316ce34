"""A citizen's phone for the walkthrough and the tests: Debian's headless Chromium at 390x844, driven by Selenium.

Both binaries are given by path (scripts/setup.sh installs `chromium` and `chromium-driver`), so Selenium Manager,
which would download a browser, never runs: these machines reach no network but the package registries.
Selenium is in the dev extras; a kiosk installed without them (the frozen build) says so instead of failing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: A common phone's viewport in CSS pixels (iPhone 12-15).
PHONE = (390, 844)


class PhoneUnavailable(RuntimeError):
    """No browser to play the phone here; the message says what is missing."""


def phone_browser(profile_dir: Path) -> Any:
    """A headless Chromium whose viewport is a phone's (``PHONE``), with its profile in ``profile_dir``.
    The caller quits it. Raises PhoneUnavailable with the reason when it cannot start."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(binary):
            raise PhoneUnavailable(f"{binary} is not installed (apt-get install chromium chromium-driver; "
                                   "scripts/setup.sh does)")
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise PhoneUnavailable(f"selenium is not installed (pip install -e '.[dev]'): {err}") from err
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={PHONE[0]},{PHONE[1]}",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                 f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as err:
        raise PhoneUnavailable(f"headless Chromium cannot start here: {err.msg or err}") from err
    driver.set_page_load_timeout(20)
    # headless Chromium keeps its window at least 500 px wide whatever --window-size says: the phone's
    # viewport (and its mobile meta-viewport handling) comes from device emulation instead
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    return driver


def wait_for_text(driver: Any, text: str, timeout_s: float = 15.0) -> None:
    """Until the page's visible text holds ``text`` (the follow page polls its status every few seconds)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout_s).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)
