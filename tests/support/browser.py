"""Headless Chromium for the browser tests (Debian's ``chromium`` and ``chromium-driver``):
one set of options for every test, asking nothing of any server but the ones under test
(no background networking, component updates, sync, default apps or extensions).

A test module marks itself with :data:`needs_chromium` (skipped only when the browser
is not installed: ``.ci/run`` installs it) and starts one with :func:`chromium`; the
performance log gives what it asked and was answered (:func:`requested`,
:func:`responses`). The last helpers drive the review console's pages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and quiet: none of Chromium's own requests to Google's servers.
ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-default-apps", "--disable-extensions",
             "--lang=en-US")
PAGE_LOAD_SECONDS = 60


def installed() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


MISSING = (f"{CHROMIUM} or {CHROMEDRIVER} is missing: "
           "apt-get install chromium chromium-driver (.ci/run does)")
needs_chromium = pytest.mark.skipif(not installed(), reason=MISSING)


def chromium(window: tuple[int, int] = (1200, 900),
             logs: Iterable[str] = ("performance",)) -> webdriver.Chrome:
    """A new headless Chromium with a ``window`` (width, height) and the log types
    ``logs`` kept at every level ("performance": each request and response, for
    :func:`responses` and :func:`requested`; "browser": the console's messages)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*ARGUMENTS, f"--window-size={window[0]},{window[1]}"):
        options.add_argument(argument)
    kept = {kind: "ALL" for kind in logs}
    if kept:
        options.set_capability("goog:loggingPrefs", kept)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
    return driver


@contextmanager
def console_browser(console_url: str) -> Iterator[webdriver.Chrome]:
    """A Chromium for one test module on the console at ``console_url``; when the module
    is done, it must have asked nothing of any other server."""
    driver = chromium(window=(1200, 900), logs=("performance",))
    try:
        driver.get(f"{console_url}/health")
        driver.get_log("performance")
        yield driver
        elsewhere = foreign(url for url, _status, _headers in responses(driver))
    finally:
        driver.quit()
    assert not elsewhere, elsewhere


def _network_events(driver: webdriver.Chrome, method: str) -> list[dict]:
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == method:
            events.append(message["params"])
    return events


def responses(driver: webdriver.Chrome) -> list[tuple[str, int, dict[str, str]]]:
    """(url, status, headers in lower case) of every response since the performance log
    was last read."""
    seen = []
    for params in _network_events(driver, "Network.responseReceived"):
        response = params["response"]
        headers = {key.lower(): value for key, value in response["headers"].items()}
        seen.append((response["url"], response["status"], headers))
    return seen


def foreign(urls: Iterable[str], hosts: Iterable[str] = ("127.0.0.1",)) -> list[str]:
    """The urls that are not on ``hosts`` (nor data:, about: or blob: urls)."""
    local = set(hosts)
    return [url for url in urls if urlsplit(url).scheme not in ("data", "about", "blob")
            and urlsplit(url).hostname not in local]


def requested(driver: webdriver.Chrome) -> list[str]:
    """The url of every request since the performance log was last read."""
    return [params["request"]["url"]
            for params in _network_events(driver, "Network.requestWillBeSent")]


def wait(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object],
         seconds: float = 30) -> None:
    """Until ``condition(driver)`` holds, through pages being replaced meanwhile."""
    WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,)
                  ).until(condition)


def last_document_status(driver: webdriver.Chrome, path: str) -> int:
    """The status of the latest response for ``path`` (waiting for its log entry)."""
    deadline = time.monotonic() + 10
    while True:
        statuses = [status for url, status, _headers in responses(driver)
                    if urlsplit(url).path == path]
        if statuses or time.monotonic() > deadline:
            return statuses[-1]
        time.sleep(0.1)


# -- the review console's pages (bot/console/templates) -------------------------------------
def log_in(driver: webdriver.Chrome, url: str, email: str, password: str) -> None:
    """Log in to the console at ``url`` (no second factor), until a page says who."""
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait(driver, lambda d: d.find_elements(By.ID, "whoami"))


def log_out(driver: webdriver.Chrome) -> None:
    driver.find_element(By.CSS_SELECTOR, ".logout button").click()
    wait(driver, lambda d: d.find_elements(By.ID, "notice"))


def heading(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text
