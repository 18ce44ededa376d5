"""The web chat in a real headless Chromium, against the real servers and the trained model.

Also the chat endpoint over HTTP (malformed bodies, language negotiation) on the same
servers. The browser tests are skipped only when Debian's ``chromium`` or
``chromium-driver`` is not installed (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from bot import languages
from bot.channels import web
from bot.i18n import translator
from bot.servers import CHANNELS, MODEL, running_bot
from tests.support.browser import MISSING, chromium, installed, needs_chromium, requested

pytestmark = pytest.mark.model

CREDENTIALS = CHANNELS + "bot.channels.web.WebChannel:\n"
FEE_QUESTION = "I am Nepali working in Qatar, how much can the agency charge me?"
XSS = "<img src=x onerror=alert(1)>"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def bot_url(workdir):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    with running_bot(workdir, credentials=CREDENTIALS) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not installed():
        pytest.skip(MISSING)
    driver = chromium(window=(400, 800), logs=("performance", "browser"))
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, bot_url):
    """Opens the chat page (a fresh session each time) and checks, after the test,
    that the browser asked nothing of any server but ours."""
    browser.get_log("performance")  # forget the previous test's requests

    def open_page(query: str = "?lang=en") -> webdriver.Chrome:
        browser.get(f"{bot_url}/webhooks/web/{query}")
        browser.execute_script("window.sessionStorage.clear();")
        return browser

    yield open_page
    urls = [entry["name"] for entry in browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) "
        "{ return {name: e.name}; });")]
    urls += requested(browser)
    urls.append(browser.current_url)
    foreign = [url for url in urls
               if urlsplit(url).scheme not in ("data", "about", "blob")
               and urlsplit(url).hostname not in LOCAL_HOSTS]
    assert not foreign, f"the page requested other servers: {foreign}"


def bubbles(driver, kind: str) -> list:
    return driver.find_elements(By.CSS_SELECTOR, f"#log .msg.{kind}")


def bubble_text(element) -> str:
    """A bubble's text without the screen-reader prefix ("You: ")."""
    return element.parent.execute_script(
        "var copy = arguments[0].cloneNode(true);"
        "var prefix = copy.querySelector('.sr-only');"
        "if (prefix) { prefix.parentNode.removeChild(prefix); }"
        "return copy.textContent;", element)


def say(driver, text: str, timeout: float = 90) -> list:
    """Types ``text``, presses Enter, and returns the bot's new bubbles."""
    before = len(bubbles(driver, "bot"))
    field = driver.find_element(By.ID, "message")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)
    return wait_for_answer(driver, before, timeout)


def wait_for_answer(driver, before: int, timeout: float = 90) -> list:
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.ID, "log").get_attribute("aria-busy") == "false"
        and (len(bubbles(d, "bot")) > before or bubbles(d, "error")))
    assert not bubbles(driver, "error"), "the page showed the 'not reachable' error"
    return bubbles(driver, "bot")[before:]


def joined(elements) -> str:
    return "\n".join(element.get_attribute("textContent") for element in elements)


def no_alert(driver) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


# -- in the browser ------------------------------------------------------------------------
@needs_chromium
def test_greeting_language_button_and_a_fee_answer_with_its_source(page):
    driver = page("?lang=en")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert driver.find_element(By.ID, "log").get_attribute("aria-live") == "polite"
    label = driver.find_element(By.CSS_SELECTOR, "label[for=message]")
    assert label.get_attribute("textContent") == "Type your message"

    replies = say(driver, "hello")
    buttons = {button.text: button for reply in replies
               for button in reply.find_elements(By.TAG_NAME, "button")}
    assert {language.native_name for language in languages.LANGUAGES} <= set(buttons)
    session = driver.execute_script("return sessionStorage.getItem('botWebSession');")
    assert re.fullmatch(r"[0-9a-f]{32}", session)

    before = len(bubbles(driver, "bot"))
    buttons["Français"].click()
    replies = wait_for_answer(driver, before)
    assert bubble_text(bubbles(driver, "user")[-1]) == "Français"
    fr = translator("fr")
    assert fr.gettext("I will write in {language}. Ask me a question, or say \"help\" to see "
                      "all topics.").format(language="Français") in joined(replies)

    replies = say(driver, FEE_QUESTION)
    text = joined(replies)
    unchecked = fr.gettext("({source}, not yet checked)").split("{source}")[1]
    assert unchecked in text  # each fact with its short source: "..., pas encore vérifié)"
    sources = {button.text: button for reply in replies
               for button in reply.find_elements(By.TAG_NAME, "button")}[fr.gettext("Sources")]
    before = len(bubbles(driver, "bot"))
    sources.click()
    replies = wait_for_answer(driver, before)
    assert fr.gettext("Sources:") in joined(replies) and "https://" in joined(replies)
    for link in driver.find_elements(By.CSS_SELECTOR, "#log a"):
        assert link.get_attribute("href").startswith(("http://", "https://"))
        assert link.get_attribute("rel") == "noopener noreferrer"
    # Long answers scroll inside the conversation; the form stays on screen.
    assert driver.execute_script(
        "return document.scrollingElement.scrollHeight <= window.innerHeight + 1;")
    # The same session all along, kept by the page.
    assert driver.execute_script("return sessionStorage.getItem('botWebSession');") == session


@needs_chromium
def test_the_arabic_page_is_right_to_left_with_arabic_strings(page):
    driver = page("?lang=ar")
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    ar = translator("ar")
    assert driver.find_element(By.TAG_NAME, "h1").text == ar.gettext(web.TITLE)
    assert driver.find_element(By.ID, "message").get_attribute("placeholder") == \
        ar.gettext(web.PLACEHOLDER)
    assert driver.find_element(By.ID, "send").text == ar.gettext(web.SEND)
    assert driver.find_element(By.ID, "privacy").text == ar.gettext(web.PRIVACY_NOTE)
    assert driver.title == ar.gettext(web.TITLE)
    assert driver.execute_script(
        "return getComputedStyle(document.getElementById('log')).direction;") == "rtl"


@needs_chromium
def test_html_in_a_message_is_shown_as_text_and_runs_nothing(page):
    driver = page("?lang=en")
    say(driver, XSS)
    assert bubble_text(bubbles(driver, "user")[-1]) == XSS
    assert no_alert(driver)
    assert driver.find_elements(By.CSS_SELECTOR, "#log img") == []
    # The conversation goes on.
    assert say(driver, "what rights do domestic workers have?")


@needs_chromium
def test_bot_text_and_buttons_are_never_html_and_only_web_links_are_anchors(page):
    """Bot replies as a hostile server could send them, through a stand-in XMLHttpRequest."""
    driver = page("?lang=en")
    hostile = {"messages": [{
        "text": "<img src=x onerror=alert(1)> <b>bold</b> javascript:alert(2) "
                "see https://example.org/rights?a=1&b=<i>x</i>. and ftp://example.org/f",
        "buttons": [{"title": "<img src=y onerror=alert(3)>", "payload": "/greet"}]}]}
    driver.execute_script("""
        var reply = arguments[0];
        window.XMLHttpRequest = function () {
          var self = this;
          self.open = function () {}; self.setRequestHeader = function () {};
          self.send = function (data) {
            window.lastSent = data; self.status = 200; self.responseText = reply;
            setTimeout(function () { self.onload(); }, 0);
          };
        };""", json.dumps(hostile))
    [reply] = say(driver, "anything")
    assert no_alert(driver)
    assert driver.find_elements(By.CSS_SELECTOR, "#log img, #log b, #log i") == []
    assert "<img src=x onerror=alert(1)> <b>bold</b>" in reply.text
    links = reply.find_elements(By.TAG_NAME, "a")
    assert [link.get_attribute("href") for link in links] == ["https://example.org/rights?a=1&b="]
    assert links[0].get_attribute("rel") == "noopener noreferrer"
    [button] = reply.find_elements(By.TAG_NAME, "button")
    assert button.text == "<img src=y onerror=alert(3)>"
    sent = json.loads(driver.execute_script("return window.lastSent;"))
    assert sent["message"] == "anything" and sent["language"] == "en"
    button.click()
    WebDriverWait(driver, 10).until(lambda d: len(bubbles(d, "bot")) == 2)
    assert bubble_text(bubbles(driver, "user")[-1]) == "<img src=y onerror=alert(3)>"
    assert json.loads(driver.execute_script("return window.lastSent;"))["message"] == "/greet"
    assert no_alert(driver)


@needs_chromium
def test_an_unreachable_bot_shows_the_error_and_keeps_the_text(page):
    driver = page("?lang=fr")
    driver.execute_script("""
        window.XMLHttpRequest = function () {
          var self = this;
          self.open = function () {}; self.setRequestHeader = function () {};
          self.send = function () { setTimeout(function () { self.onerror(); }, 0); };
        };""")
    field = driver.find_element(By.ID, "message")
    field.send_keys("bonjour", Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: bubbles(d, "error"))
    assert bubbles(driver, "error")[0].text == translator("fr").gettext(web.UNREACHABLE)
    assert field.get_attribute("value") == "bonjour"
    assert driver.find_element(By.ID, "send").is_enabled()


def test_nothing_the_browser_sent_is_stored_or_logged_readably(bot_url, workdir):
    """After the browser tests (same servers): no message text or raw session id at rest."""
    session = "feedc0de" * 4
    status, answer = post(bot_url, json.dumps({"session": session, "message": FEE_QUESTION}))
    assert status == 200 and answer["messages"]
    for path in workdir.rglob("*"):
        if path.is_file() and path.name != "credentials.yml":
            data = path.read_bytes()
            for secret in (session, FEE_QUESTION, "Nepali working in Qatar", XSS):
                assert secret.encode() not in data, (path.name, secret)


# -- the endpoint over HTTP ----------------------------------------------------------------
def post(url: str, raw: str | bytes) -> tuple[int, dict]:
    data = raw.encode() if isinstance(raw, str) else raw
    request = urllib.request.Request(f"{url}/webhooks/web/webhook", data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_page(url: str, query: str = "", accept_language: str | None = None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    request = urllib.request.Request(f"{url}/webhooks/web/{query}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        return response.read().decode("utf-8")


@pytest.mark.parametrize("raw", [
    b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"message": "hi"}',
    b'{"session": "", "message": "hi"}', b'{"session": "0123456789abcdef", "message": 5}',
])
def test_malformed_bodies_get_400_and_the_chat_keeps_working(bot_url, raw):
    status, answer = post(bot_url, raw)
    assert status == 400 and answer["error"]
    status, answer = post(bot_url, json.dumps({"session": uuid.uuid4().hex, "message": "hello"}))
    assert status == 200
    buttons = [button for message in answer["messages"] for button in message["buttons"]]
    assert {"title": "Français", "payload": '/choose_option{"choice":"language:fr"}'} in buttons


@pytest.mark.parametrize(("query", "accept_language", "expected"), [
    ("?lang=ne", "fr", '<html lang="ne" dir="ltr">'),
    ("?lang=ar", None, '<html lang="ar" dir="rtl">'),
    ("", "es-MX,es;q=0.9", '<html lang="es" dir="ltr">'),
    ("", "de-DE,ar;q=0.5", '<html lang="ar" dir="rtl">'),
    ("?lang=zz", "de", '<html lang="en" dir="ltr">'),
    ("", None, '<html lang="en" dir="ltr">'),
])
def test_the_page_language_is_negotiated(bot_url, query, accept_language, expected):
    assert expected in get_page(bot_url, query, accept_language)

