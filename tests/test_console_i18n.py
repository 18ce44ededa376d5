"""The console's interface in its languages: the ``console`` gettext domain, the page
language (selector cookie, then Accept-Language), Arabic right to left, and the check."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from starlette.testclient import TestClient

from bot import languages
from bot.catalogs import catalog_path, check, extract, update
from bot.console import i18n
from bot.console.accounts import ROLES
from bot.console.cases import DANGER_FLAGS, STATUSES
from bot.reports.partners import CATEGORIES
from bot.reports.service import SEVERE_CATEGORIES
from bot.settings import LOCALES_DIR
from tests.support import console as console_support
from tests.support.console import PASSWORDS, World, build_world, csrf_of


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield build_world(tmp_path_factory.mktemp("console-i18n"), monkeypatch)


def browser(world: World, language: str | None = None) -> TestClient:
    headers = {"Accept-Language": language} if language else {}
    return TestClient(world.app(), base_url="https://testserver", headers=headers)


def log_in(client: TestClient, email: str) -> None:
    assert console_support.log_in(client, email).status_code == 303


def h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


def test_a_page_in_arabic_is_right_to_left_and_translated(world):
    client = browser(world, "ar-QA,ar;q=0.9,en;q=0.5")
    page = client.get("/login").text
    assert '<html lang="ar" dir="rtl">' in page
    assert h1(page) == "تسجيل الدخول"
    assert '<label for="email">البريد الإلكتروني</label>' in page
    log_in(client, "case@helpline.example")
    queue = client.get("/queue").text
    assert '<html lang="ar" dir="rtl">' in queue
    assert h1(queue) == "بلاغات helpline-qa"
    assert '<td class="status">جديد</td>' in queue


def test_the_french_queue_shows_translated_labels(world):
    client = browser(world, "fr-FR,fr;q=0.9")
    log_in(client, "case@helpline.example")
    page = client.get("/queue").text
    assert '<html lang="fr" dir="ltr">' in page
    assert h1(page) == "Signalements pour helpline-qa"
    headers = re.findall(r'<th scope="col">([^<]*)</th>', page)
    assert headers == ["Reçu le", "Ancienneté", "Pays", "Catégories", "Gravité", "Langue",
                       "Statut"]
    assert "<caption>Les plus graves d'abord, puis les plus anciens</caption>" in page
    old = world.report_ids["old_wages"]
    row = re.search(rf'<a href="/reports/{old}">(.*?)</tr>', page, re.S).group(0)
    cells = [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["13 jours", "QA", "salaire retenu", "", "Népalais (नेपाली)", "nouveau"]
    assert f'<a href="/reports/{old}">18 nov. 2026</a>' in page
    assert '<option value="acknowledged">pris en compte</option>' in page
    assert '<button type="submit">Filtrer</button>' in page


def test_the_language_chosen_in_the_page_is_kept_and_beats_the_browsers(world):
    client = browser(world, "en-US,en;q=0.9")
    log_in(client, "admin@console.example")
    page = client.get("/admin/audit")
    assert h1(page.text) == "Audit log"
    forged = client.post("/language", data={"csrf": "forged", "language": "es",
                                            "page": "/admin/audit"})
    assert forged.status_code == 403 and i18n.COOKIE not in client.cookies
    chosen = client.post("/language", data={"csrf": csrf_of(page.text), "language": "es",
                                            "page": "/admin/audit"}, follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/admin/audit")
    assert f"{i18n.COOKIE}=es; HttpOnly; Max-Age=31536000; Path=/; SameSite=strict; " \
        "Secure" in chosen.headers["set-cookie"]
    spanish = client.get("/admin/audit").text
    assert h1(spanish) == "Registro de auditoría"
    assert re.search(r'<p id="chain" class="ok">Cadena intacta: \d+ entradas', spanish)
    elsewhere = client.post("/language", data={"csrf": csrf_of(spanish), "language": "ne",
                                               "page": "//evil.example/"},
                            follow_redirects=False)
    assert elsewhere.headers["location"] == "/"
    assert h1(client.get("/admin").text) == "प्रयोगकर्ताहरू"


def test_python_messages_are_translated_too(world):
    client = browser(world, "tl")
    page = client.get("/login")
    wrong = client.post("/login", data={"csrf": csrf_of(page.text), "email": "x@y.example",
                                        "password": "not the password"})
    assert '<p class="error" role="alert" id="error">Walang account na tumutugma sa email ' \
        'at password na ito.</p>' in wrong.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and h1(missing.text) == "Hindi nahanap"


@pytest.mark.parametrize(("chosen", "header", "expected"), [
    (None, None, "en"), (None, "fil-PH,fil;q=0.9", "tl"), (None, "de,fr;q=0.5,es;q=0.8", "es"),
    (None, "ne;q=0,fr;q=0.1", "fr"), (None, "bn,hi", "en"), ("ar", "fr", "ar"),
    ("xx", "ne-NP", "ne"), (None, "fr;q=nonsense,es", "es"),
])
def test_the_page_language_is_negotiated(chosen, header, expected):
    assert i18n.negotiate(chosen, header) == expected


def test_every_code_shown_has_a_label():
    assert set(CATEGORIES) <= set(i18n.CATEGORY_LABELS)
    assert set(STATUSES) == set(i18n.STATUS_LABELS)
    assert set(SEVERE_CATEGORIES.values()) | DANGER_FLAGS <= set(i18n.FLAG_LABELS)
    assert set(ROLES) == set(i18n.ROLE_LABELS)


def test_console_strings_are_in_their_own_domain_only():
    catalogs = extract()
    console = {message.id for message in catalogs["console"] if message.id}
    assert "Most severe first, then oldest first" in console  # a template's
    assert "You are logged out." in console  # Python's
    assert ("%(count)s day", "%(count)s days") in console  # a pluralised trans block
    for domain in ("messages", "content"):
        assert not any(location.startswith("bot/console/")
                       for message in catalogs[domain] for location, _line in
                       message.locations), domain


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def _edit(locales: Path, language: str, msgid: str, translation: str) -> None:
    path = catalog_path(language, "console", locales)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=languages.get(language).babel_locale)
    catalog[msgid].string = translation
    with path.open("wb") as handle:
        write_po(handle, catalog)


def _console_gaps(locales: Path) -> list[tuple[str, str, str]]:
    return [(g.language, g.kind, g.msgid) for g in check(locales) if g.domain == "console"]


def test_the_check_fails_on_a_missing_console_translation(locales_copy: Path):
    assert _console_gaps(locales_copy) == []
    _edit(locales_copy, "fr", "Received", "")
    _edit(locales_copy, "ar", "Reports for %(organisation)s", "بلاغات %(organization)s")
    assert sorted(_console_gaps(locales_copy)) == [
        ("ar", "placeholders differ", "Reports for %(organisation)s"),
        ("fr", "missing", "Received")]
    catalog_path("tl", "console", locales_copy).unlink()
    assert ("tl", "missing", "(no catalog console.po)") in _console_gaps(locales_copy)


def test_update_writes_the_console_catalogs_for_the_console_languages_only(
        locales_copy: Path):
    written = update(locales_copy, domains=("console",))
    assert sorted(path.relative_to(locales_copy).as_posix() for path in written) == sorted(
        ["console.pot"] + [f"{code}/LC_MESSAGES/console.po" for code in i18n.LANGUAGES
                           if code != "en"])
    assert _console_gaps(locales_copy) == []  # every translation kept
    assert not catalog_path("am", "console", locales_copy).exists()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_page_renders_in_every_console_language(world, language):
    rtl = language == "ar"
    pages = {"case@helpline.example": ["/queue", f"/reports/{world.report_ids['passport']}",
                                       "/dashboard", "/account"],
             "admin@console.example": ["/admin", "/admin/audit", "/dashboard"],
             "consul@np.example": ["/summaries",
                                   f"/summaries/{world.summary_ids['passport']}"]}
    for email, paths in pages.items():
        client = browser(world, language)
        log_in(client, email)
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (language, path)
            assert f'<html lang="{language}" dir="{"rtl" if rtl else "ltr"}">' in page.text
    totp = browser(world, language)
    login = totp.get("/login")
    second = totp.post("/login", data={"csrf": csrf_of(login.text),
                                       "email": "totp@helpline.example",
                                       "password": PASSWORDS["totp@helpline.example"]})
    assert second.status_code == 200 and 'name="code"' in second.text


def test_the_dashboard_chart_is_mirrored_right_to_left(world):
    client = browser(world, "ar")
    log_in(client, "admin@console.example")
    page = client.get("/dashboard").text
    assert '<svg class="chart" role="img" aria-labelledby="chart-report_month"' in page
    assert 'direction="rtl"' in page and '<text x="720"' in page
    assert '<rect x="100" y="3" width="360" height="16"' in page  # the month's bar, leftwards
    assert "<td>أقل من 5</td>" in page and "<td>احتجاز</td>" in page
