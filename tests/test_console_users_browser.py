"""Adding a user from the web, in a real headless Chromium: the administrator invites a
caseworker, the invitee chooses a password on the link's page, a colleague of the same
NGO hands over its key, and the new caseworker reads their NGO's reports; every step is
in the audit log. The console runs on a real localhost socket."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.browser import (
    console_browser,
    heading,
    log_in,
    log_out,
    needs_chromium,
    wait,
)
from tests.support.console import PASSWORDS, REPORTS, World, build_world, serving

pytestmark = needs_chromium
ADMIN, COLLEAGUE = "admin@console.example", "case@helpline.example"
NEW, NEW_PASSWORD = "amina@helpline.example", "amina's own long passphrase"
ACCOUNTS = [fields["account"] for _name, fields, _created in REPORTS]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield build_world(tmp_path_factory.mktemp("console-users"), monkeypatch)


@pytest.fixture(scope="module")
def console_url(world):
    with serving(world.app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(console_url):
    with console_browser(console_url) as driver:
        yield driver


def rows(driver, table: str) -> list[list[str]]:
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def test_an_invited_caseworker_gets_the_key_from_a_colleague(browser, console_url, world):
    log_in(browser, console_url, ADMIN, PASSWORDS[ADMIN])
    browser.find_element(By.ID, "invite-email").send_keys(NEW)
    Select(browser.find_element(By.ID, "invite-role")).select_by_value("caseworker")
    Select(browser.find_element(By.ID, "invite-organisation")).select_by_value("helpline-qa")
    browser.find_element(By.ID, "send-invitation").click()
    wait(browser, lambda d: d.find_elements(By.ID, "invitation-link"))
    assert heading(browser) == "Invitation made"
    link = browser.find_element(By.ID, "invitation-link").text
    assert re.fullmatch(rf"{re.escape(console_url)}/invitation/[\w-]{{43}}", link)
    browser.find_element(By.LINK_TEXT, "Back to users and partners").click()
    wait(browser, lambda d: d.find_elements(By.ID, "invitations"))
    [invited] = rows(browser, "invitations")
    assert invited[:4] == [NEW, "caseworker", "helpline-qa", "waiting for their password"]
    log_out(browser)

    browser.get(link)
    assert heading(browser) == "Your invitation"
    assert browser.find_element(By.ID, "invitee").text == (
        f"For {NEW}: caseworker, helpline-qa.")
    browser.find_element(By.ID, "password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "again").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "set-password").click()
    wait(browser, lambda d: d.find_elements(By.ID, "waiting"))
    assert browser.find_element(By.ID, "waiting").text.startswith(
        "Your password is set. Now a colleague at helpline-qa who already uses the console")

    browser.delete_all_cookies()
    log_in(browser, console_url, COLLEAGUE, PASSWORDS[COLLEAGUE])
    browser.find_element(By.LINK_TEXT, "Colleagues").click()
    wait(browser, lambda d: d.find_elements(By.ID, "waiting"))
    assert heading(browser) == "Colleagues waiting for the key"
    assert [row[:2] for row in rows(browser, "waiting")] == [[NEW, "caseworker"]]
    browser.find_element(By.CSS_SELECTOR, "#waiting button").click()
    wait(browser, lambda d: d.find_elements(By.ID, "notice"))
    assert browser.find_element(By.ID, "notice").text == f"{NEW} can now log in."
    assert browser.find_element(By.ID, "empty").text == "Nobody is waiting for the key."
    log_out(browser)

    log_in(browser, console_url, NEW, NEW_PASSWORD)
    assert urlsplit(browser.current_url).path == "/queue"
    assert heading(browser) == "Reports for helpline-qa"
    links = browser.find_elements(By.CSS_SELECTOR, "#queue tbody a")
    assert [link.get_attribute("href").rsplit("/", 1)[1] for link in links] == [
        world.report_ids[name] for name in ("locked_in", "passport", "old_wages", "wages")]
    links[1].click()
    wait(browser, lambda d: d.find_elements(By.ID, "account"))
    assert browser.find_element(By.ID, "account").text == \
        "Madam keeps my passport in her drawer."
    log_out(browser)

    log_in(browser, console_url, ADMIN, PASSWORDS[ADMIN])
    assert browser.find_elements(By.ID, "invitations") == []
    assert NEW in [row[0] for row in rows(browser, "users")]
    browser.find_element(By.LINK_TEXT, "Audit log").click()
    wait(browser, lambda d: d.find_elements(By.ID, "chain"))
    assert browser.find_element(By.ID, "chain").text.startswith("Chain intact: ")
    steps = [(row[2], row[3], row[5]) for row in rows(browser, "audit")
             if row[3] in ("invitation_created", "invitation_accepted", "colleagues_view",
                           "user_added")]
    assert steps == [  # newest first
        (COLLEAGUE, "colleagues_view", ""),  # the page again, after the handover
        (COLLEAGUE, "user_added", "caseworker helpline-qa"),
        (COLLEAGUE, "colleagues_view", ""),
        (NEW, "invitation_accepted", "caseworker helpline-qa"),
        (ADMIN, "invitation_created", "caseworker helpline-qa"),
    ]
    page = browser.page_source
    for secret in (*ACCOUNTS, NEW_PASSWORD, urlsplit(link).path.rsplit("/", 1)[1]):
        assert secret not in page
