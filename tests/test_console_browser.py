"""The review console in a real headless Chromium (Debian's chromium and
chromium-driver): each role logs in, a caseworker cannot open another NGO's report by
typing its URL, a form without its CSRF token is refused, an idle session ends, an
altered audit entry is found, and a page chosen in Arabic is laid out right to left. The
console runs on a real localhost socket."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bot.console.app import CSP
from tests.support.browser import (
    chromium,
    foreign,
    heading,
    last_document_status,
    log_out,
    needs_chromium,
    responses,
    wait,
)
from tests.support.browser import log_in as browser_log_in
from tests.support.console import PASSWORDS, REPORTS, World, build_world, serving

ACCOUNTS = {name: fields["account"] for name, fields, _created in REPORTS}
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield build_world(tmp_path_factory.mktemp("console-browser"), monkeypatch)


@pytest.fixture(scope="module")
def console_url(world):
    with serving(world.app(idle_seconds=900)) as url:
        yield url


@pytest.fixture(scope="module")
def driver():
    browser = chromium(window=(1200, 900), logs=("performance",))
    yield browser
    browser.quit()


@pytest.fixture
def browser(driver, console_url):
    """A browser with no cookie; after the test, it must have asked only our server."""
    driver.get(f"{console_url}/health")
    driver.delete_all_cookies()
    driver.get_log("performance")
    yield driver
    elsewhere = foreign(url for url, _status, _headers in responses(driver))
    assert not elsewhere, elsewhere


def log_in(driver, url: str, email: str) -> None:
    browser_log_in(driver, url, email, PASSWORDS[email])


@pytest.mark.parametrize(("email", "path", "title"), [
    ("admin@console.example", "/admin", "Users"),
    ("case@helpline.example", "/queue", "Reports for helpline-qa"),
    ("consul@np.example", "/summaries", "Summaries for np-embassy-doha"),
])
def test_each_role_logs_in_to_its_own_page_and_out(browser, console_url, world, email, path,
                                                    title):
    log_in(browser, console_url, email)
    assert urlsplit(browser.current_url).path == path
    assert heading(browser) == title
    assert browser.find_element(By.ID, "whoami").text.startswith(email)
    cookie = browser.get_cookie("__Host-console")
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
    headers = [h for url, _status, h in responses(browser) if urlsplit(url).path == path][-1]
    assert headers["content-security-policy"] == CSP
    if email.startswith("case@"):
        rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        assert [row.find_element(By.TAG_NAME, "a").get_attribute("href").rsplit("/", 1)[1]
                for row in rows] == [world.report_ids[name] for name in
                                     ("locked_in", "passport", "old_wages", "wages")]
    if email.startswith("consul@"):
        links = browser.find_elements(By.CSS_SELECTOR, "#summaries a")
        assert [link.get_attribute("href").rsplit("/", 1)[1] for link in links] == \
            [world.summary_ids["passport"]]
    log_out(browser)
    assert urlsplit(browser.current_url).path == "/login"
    assert browser.find_element(By.ID, "notice").text == "You are logged out."
    browser.get(f"{console_url}{path}")
    assert urlsplit(browser.current_url).path == "/login"


def test_a_caseworker_cannot_open_another_ngos_report_by_its_url(browser, console_url, world):
    log_in(browser, console_url, "case@shelter.example")
    own = world.report_ids["shelter"]
    browser.get(f"{console_url}/reports/{own}")
    assert browser.find_element(By.ID, "account").text == ACCOUNTS["shelter"]
    other = world.report_ids["passport"]
    browser.get(f"{console_url}/reports/{other}")
    assert last_document_status(browser, f"/reports/{other}") == 404
    assert heading(browser) == "Not found"
    assert ACCOUNTS["passport"] not in browser.page_source


def test_a_form_without_its_csrf_token_is_refused(browser, console_url, world):
    log_in(browser, console_url, "case@helpline.example")
    report = world.report_ids["wages"]
    browser.get(f"{console_url}/reports/{report}")
    assert browser.find_element(By.ID, "account").text == ACCOUNTS["wages"]
    browser.execute_script(
        "document.querySelectorAll('input[name=csrf]').forEach(function (field) {"
        " field.value = 'forged-by-another-site'; });")
    Select(browser.find_element(By.ID, "new-status")).select_by_value("closed")
    browser.find_element(By.ID, "save-status").click()
    wait(browser, lambda d: d.find_elements(By.ID, "message"))
    assert last_document_status(browser, f"/reports/{report}/status") == 403
    assert heading(browser) == "Form refused"
    browser.get(f"{console_url}/reports/{report}")
    assert browser.find_element(By.ID, "status").text == "new"
    Select(browser.find_element(By.ID, "new-status")).select_by_value("referred")
    browser.find_element(By.ID, "save-status").click()
    wait(browser,
        lambda d: [e.text for e in d.find_elements(By.ID, "status")] == ["referred"])
    assert urlsplit(browser.current_url).path == f"/reports/{report}"


def test_an_idle_session_ends(browser, console_url, world):
    log_in(browser, console_url, "case@helpline.example")
    assert heading(browser) == "Reports for helpline-qa"
    world.clock.advance(15 * 60 + 1)
    try:
        browser.find_element(By.CSS_SELECTOR, "#queue a").click()
        wait(browser, lambda d: d.find_elements(By.ID, "notice"))
        assert urlsplit(browser.current_url).path == "/login"
        assert browser.find_element(By.ID, "notice").text == (
            "Your session ended after 15 minutes without activity. Please log in again.")
    finally:
        world.clock.advance(-(15 * 60 + 1))
    browser.get(f"{console_url}/queue")
    assert urlsplit(browser.current_url).path == "/login"


def test_every_view_is_in_the_audit_log_and_an_altered_entry_is_found(browser, console_url,
                                                                      world):
    log_in(browser, console_url, "case@helpline.example")
    report = world.report_ids["locked_in"]
    browser.get(f"{console_url}/reports/{report}")
    log_out(browser)
    log_in(browser, console_url, "admin@console.example")
    browser.find_element(By.LINK_TEXT, "Audit log").click()
    wait(browser, lambda d: d.find_elements(By.ID, "chain"))
    assert browser.find_element(By.ID, "chain").text.startswith("Chain intact: ")
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr")]
    actions = [(row[2], row[3], row[4]) for row in rows]
    assert actions[:6] == [
        ("admin@console.example", "audit_view", ""),
        ("admin@console.example", "admin_view", ""),
        ("admin@console.example", "login", ""),
        ("case@helpline.example", "logout", ""),
        ("case@helpline.example", "report_view", report),
        ("case@helpline.example", "queue_view", ""),
    ]
    page = browser.page_source
    for account in ACCOUNTS.values():
        assert account not in page
    view = next(int(row[0]) for row in rows if row[3] == "report_view" and row[4] == report)
    database = sqlite3.connect(world.url.removeprefix("sqlite:///"))
    with database:
        database.execute("UPDATE console_audit SET actor_email = 'someone@else.example' "
                         "WHERE seq = ?", (view,))
    database.close()
    browser.refresh()
    assert browser.find_element(By.ID, "chain").text == (
        f"Chain broken: entry {view} was altered, removed or inserted.")


def test_a_second_factor_is_asked_after_the_password(browser, console_url, world):
    import pyotp

    browser.get(f"{console_url}/login")
    browser.find_element(By.ID, "email").send_keys("totp@helpline.example")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["totp@helpline.example"])
    browser.find_element(By.ID, "login").click()
    wait(browser, lambda d: d.find_elements(By.ID, "code"))
    assert heading(browser) == "Second factor"
    browser.find_element(By.ID, "code").send_keys("000000")
    browser.find_element(By.ID, "verify").click()
    wait(browser, lambda d: d.find_elements(By.ID, "error"))
    assert browser.find_element(By.ID, "error").text == (
        "This code is not right, or was used already.")
    browser.find_element(By.ID, "code").send_keys(pyotp.TOTP(world.totp_secret).at(
        world.clock()))
    browser.find_element(By.ID, "verify").click()
    wait(browser, lambda d: d.find_elements(By.ID, "whoami"))
    assert heading(browser) == "Reports for helpline-qa"


def test_arabic_is_chosen_in_the_page_and_laid_out_right_to_left(browser, console_url, world):
    log_in(browser, console_url, "case@helpline.example")
    Select(browser.find_element(By.ID, "language-choice")).select_by_value("ar")
    browser.find_element(By.ID, "change-language").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar")
    assert urlsplit(browser.current_url).path == "/queue"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert heading(browser) == "بلاغات helpline-qa"
    # Mirrored: the brand at the right edge, the logout form to its left; the severity
    # stripe on each severe row's right-hand (inline-start) side.
    brand = browser.find_element(By.CLASS_NAME, "brand").rect
    logout = browser.find_element(By.CLASS_NAME, "logout").rect
    assert logout["x"] + logout["width"] <= brand["x"]
    first_cell = browser.find_element(By.CSS_SELECTOR, "#queue tr.severe td")
    assert first_cell.value_of_css_property("border-right-width") == "4px"
    assert first_cell.value_of_css_property("border-left-width") == "0px"
    browser.get(f"{console_url}/dashboard")  # the choice is kept
    assert heading(browser) == "البلاغات بالأرقام"
