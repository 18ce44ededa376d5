"""A consular reviewer in a real headless Chromium sees the summaries sealed to their
consulate, and only those: two consulates (Nepal's and the Philippines' embassies in
Doha, both `delivery: console`), reports from both nationalities, some with the
reporter's consent to a summary and some without. The Nepali reviewer's list is exactly
the consented Nepali summaries with exactly their fields; a report without consent, a
report's own delivery, the other consulate's summary and every caseworker's and
administrator's page are a 404 by URL."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import (
    console_browser,
    heading,
    last_document_status,
    log_in,
    needs_chromium,
)
from tests.support.console import (
    PASSWORDS,
    REPORTS,
    Report,
    World,
    add_reports,
    build_world,
    delivery_id,
    serving,
)

pytestmark = needs_chromium
NEPAL = "consul@np.example"
# Beside REPORTS ("passport": Nepali, consented; "old_wages": Nepali, not; "wages":
# Filipino, consented): a second consented Nepali report, a Filipino one without consent,
# and a consented Nepali one in the Emirates, which the embassy in Doha does not cover.
MORE: tuple[Report, ...] = (
    ("fees", {"categories": ["debt_or_illegal_fees", "withheld_wages"], "destination": "QA",
              "language": "ne", "account": "Agent le 3 lakh liyo, ghar jana dinna.",
              "nationality": "NP", "consent_consulate": True, "city": "Doha",
              "employer": "Example Manpower Services", "when": "since March",
              "contact": "WhatsApp after 9 pm"},
     date(2026, 11, 22)),
    ("hours", {"categories": ["excessive_hours"], "destination": "QA", "language": "tl",
               "account": "Labing-anim na oras araw-araw, walang pahinga.",
               "nationality": "PH"},
     date(2026, 11, 23)),
    ("dubai", {"categories": ["passport_kept"], "destination": "AE", "language": "ne",
               "account": "Kafil le passport rakheko chha.", "nationality": "NP",
               "consent_consulate": True},
     date(2026, 11, 24)),
)
ACCOUNTS = [fields["account"] for _name, fields, _created in (*REPORTS, *MORE)]
CONTACTS = [fields["contact"] for _name, fields, _created in (*REPORTS, *MORE)
            if fields.get("contact")]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build_world(tmp_path_factory.mktemp("console-consular"), monkeypatch)
        add_reports(built, MORE)
        yield built


@pytest.fixture(scope="module")
def console_url(world):
    with serving(world.app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(console_url):
    with console_browser(console_url) as driver:
        yield driver


def summary_fields(driver) -> list[tuple[str, str]]:
    """The summary page's (term, value) pairs, as shown."""
    terms = driver.find_elements(By.CSS_SELECTOR, "#summary dt")
    values = driver.find_elements(By.CSS_SELECTOR, "#summary dd")
    return [(term.text, value.text) for term, value in zip(terms, values, strict=True)]


def shows_404(driver, url: str, path: str) -> bool:
    """Whether ``path`` (a query string too) is answered 404 "Not found"."""
    driver.get(f"{url}{path}")
    return (last_document_status(driver, urlsplit(path).path), heading(driver)) == \
        (404, "Not found")


def test_the_nepali_consul_sees_exactly_the_consented_nepali_summaries(browser, console_url,
                                                                       world):
    assert sorted(world.summary_ids) == ["fees", "passport", "wages"]  # nothing else made
    log_in(browser, console_url, NEPAL, PASSWORDS[NEPAL])
    assert urlsplit(browser.current_url).path == "/summaries"
    assert heading(browser) == "Summaries for np-embassy-doha"
    assert [link.text for link in browser.find_elements(By.CSS_SELECTOR, "nav a")] == \
        ["Summaries", "Colleagues"]
    rows = browser.find_elements(By.CSS_SELECTOR, "#summaries tbody tr")
    assert [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows] == [
        ["Nov 25, 2026", "QA", "passport kept", "document retention"],
        ["Nov 22, 2026", "QA", "debt or illegal fees, withheld wages", ""],
    ]
    links = [row.find_element(By.TAG_NAME, "a").get_attribute("href") for row in rows]
    assert [urlsplit(link).path for link in links] == [
        f"/summaries/{world.summary_ids['passport']}", f"/summaries/{world.summary_ids['fees']}"]
    listed = browser.page_source

    browser.get(links[0])
    assert heading(browser) == "Summary of Nov 25, 2026"
    assert summary_fields(browser) == [
        ("Categories", "passport kept"), ("Severity", "document retention"), ("Country", "QA"),
        ("City", "Al Wakrah"), ("Employer or recruiter", "Al Example Trading"),
        ("When", "not given"), ("Nationality", "NP"), ("Under 18", "no")]
    passport_page = browser.page_source
    browser.get(links[1])
    assert heading(browser) == "Summary of Nov 22, 2026"
    assert summary_fields(browser) == [
        ("Categories", "debt or illegal fees, withheld wages"), ("Severity", "none flagged"),
        ("Country", "QA"), ("City", "Doha"), ("Employer or recruiter", "Example Manpower Services"),
        ("When", "since March"), ("Nationality", "NP"), ("Under 18", "no")]
    for page in (listed, passport_page, browser.page_source):
        for secret in (*ACCOUNTS, *CONTACTS, *world.codes.values(), *world.report_ids.values()):
            assert secret not in page


def test_anything_else_is_a_404_by_its_url(browser, console_url, world):
    browser.delete_all_cookies()
    log_in(browser, console_url, NEPAL, PASSWORDS[NEPAL])
    ids = world.report_ids
    paths = [
        f"/summaries/{world.summary_ids['wages']}",  # the Philippines' summary
        f"/summaries/{ids['old_wages']}",  # a Nepali report without consent...
        f"/summaries/{delivery_id(world, 'old_wages')}",  # ...and its delivery to the NGO
        f"/summaries/{delivery_id(world, 'dubai')}",  # consented, but not Doha's to see
        f"/summaries/{delivery_id(world, 'hours')}",  # a Filipino report without consent
        f"/reports/{ids['passport']}", f"/reports/{ids['old_wages']}",
        f"/reports/{ids['fees']}", "/queue", "/queue?status=new", "/dashboard",
        "/dashboard.csv", "/admin", "/admin/audit", "/admin/audit.csv",
    ]
    shown = {path for path in paths if not shows_404(browser, console_url, path)}
    assert shown == set()
    for secret in (*ACCOUNTS, *CONTACTS):
        assert secret not in browser.page_source
    browser.get(f"{console_url}/summaries")
    assert [urlsplit(link.get_attribute("href")).path for link in
            browser.find_elements(By.CSS_SELECTOR, "#summaries a")] == [
        f"/summaries/{world.summary_ids['passport']}", f"/summaries/{world.summary_ids['fees']}"]


def test_the_philippine_consul_sees_only_theirs(browser, console_url, world):
    browser.delete_all_cookies()
    log_in(browser, console_url, "consul@ph.example", PASSWORDS["consul@ph.example"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#summaries tbody tr")
    assert [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows] == [
        ["Nov 20, 2026", "QA", "withheld wages", ""]]
    assert shows_404(browser, console_url, f"/summaries/{world.summary_ids['passport']}")
    assert shows_404(browser, console_url, f"/summaries/{world.summary_ids['fees']}")
