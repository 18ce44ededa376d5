"""The review console without a browser: accounts and wrapped keys, the audit chain,
`delivery: console` in the registry and the outbox, and every page through Starlette's
test client (queue order, cross-partner 404, CSRF, idle expiry, login limits, TOTP,
roles, consular summaries, the audit trail). Browser tests: test_console_browser.py."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
import sys
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from starlette.testclient import TestClient

from bot import cli
from bot.console import accounts, audit
from bot.console.app import CSP
from bot.console.models import AuditEntry, ConsoleUser
from bot.reports import crypto, service
from bot.reports.db import SUMMARY_DELIVERY, OutboxItem, Report, session_scope
from bot.reports.outbox import deliver_due
from bot.reports.partners import Partner, Registry, check_registry
from bot.reports.service import ReportDraft, submit
from bot.reports.vetting import load_maintainers
from tests.support.console import (
    PASSWORDS,
    REPORTS,
    TODAY,
    FakeClock,
    World,
    build_world,
    csrf_of,
    log_in,
)
from tests.support.registry import make_maintainer, vetted, write_registry

ACCOUNTS = {name: fields["account"] for name, fields, _created in REPORTS}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield build_world(tmp_path_factory.mktemp("console"), monkeypatch)


@pytest.fixture
def env(world, monkeypatch):
    """The world's environment variables, for tests that read them (CLI, admin page)."""
    directory = world.directory
    monkeypatch.setenv("BOT_SECRETS_DIR", str(directory / "secrets"))
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(directory / "partners.yml"))
    monkeypatch.setenv("BOT_TRUST_FILE", str(directory / "maintainers.yml"))
    monkeypatch.setenv("BOT_DATABASE_URL", world.url)
    return world


def client(world: World, idle_seconds: float = 900) -> TestClient:
    return TestClient(world.app(idle_seconds), base_url="https://testserver")


def queue_ids(html: str) -> list[str]:
    return re.findall(r'href="/reports/([0-9a-f]{32})"', html)


def audit_rows(world: World) -> list[tuple[str, str, str, str]]:
    with session_scope(world.url) as session:
        return [(e.actor_email, e.action, e.target, e.detail) for e in session.execute(
            select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


# -- accounts ------------------------------------------------------------------------------
def test_the_wrapped_key_opens_only_with_the_password(world):
    key_file = world.key_files["helpline-qa"].read_text()
    private = re.search(r"decryption_key: (\S+)", key_file).group(1)
    with session_scope(world.url) as session:
        user = session.execute(select(ConsoleUser).where(
            ConsoleUser.email == "case@helpline.example")).scalar_one()
        assert crypto.unb64(private) not in user.wrapped_key
        assert user.password_hash.startswith("$argon2id$")
        unlocked = accounts.authenticate(session, "Case@Helpline.example ",
                                         PASSWORDS["case@helpline.example"])
        assert unlocked.private_key == crypto.unb64(private)
        assert unlocked.totp_secret is None
        assert accounts.authenticate(session, "case@helpline.example", "wrong password!") \
            is None
        assert accounts.authenticate(session, "nobody@helpline.example", "whatever pass") \
            is None
        admin = accounts.authenticate(session, "admin@console.example",
                                      PASSWORDS["admin@console.example"])
        assert admin.private_key is None and admin.user.role == "admin"


@pytest.mark.parametrize(("email", "role", "password", "organisation", "key", "message"), [
    ("x@y.example", "admin", "short", None, None, "the password must have 12 to 1024 "
                                                  "characters"),
    ("not-an-email", "admin", "long enough password", None, None,
     "the email address does not look like one"),
    ("x@y.example", "root", "long enough password", None, None,
     "role must be one of admin, caseworker, consular"),
    ("x@y.example", "admin", "long enough password", "helpline-qa", None,
     "an administrator belongs to no organisation and holds no key"),
    ("x@y.example", "caseworker", "long enough password", "helpline-qa", None,
     "a caseworker needs their organisation's id and key file"),
    ("admin@console.example", "admin", "long enough password", None, None,
     "an account with this email exists"),
])
def test_accounts_refused(world, email, role, password, organisation, key, message):
    with session_scope(world.url) as session, \
            pytest.raises(accounts.AccountError) as refused:
        accounts.add_user(session, email, role, password, organisation, key)
    assert str(refused.value) == message


def test_a_key_must_be_the_vetted_organisations_own(world):
    registry = Registry([_partner("helpline-qa", crypto.new_partner_keys()[0].public_key)], [])
    other = crypto.new_partner_keys()[0]
    with pytest.raises(accounts.AccountError) as refused:
        accounts.check_key(registry, "caseworker", "helpline-qa", other.private_key)
    assert str(refused.value) == ("this key file is not partner 'helpline-qa''s: its key "
                                  "does not match the registry's public_key")
    with pytest.raises(accounts.AccountError) as refused:
        accounts.check_key(registry, "consular", "helpline-qa", other.private_key)
    assert str(refused.value) == ("no vetted consulate 'helpline-qa' in the registry in "
                                  "force; run `python -m bot partner check`")
    own = crypto.new_partner_keys()[0]
    accounts.check_key(Registry([_partner("helpline-qa", own.public_key)], []),
                       "caseworker", "helpline-qa", own.private_key)


def _partner(partner_id: str, public_key: str) -> Partner:
    return Partner(partner_id, "Helpline", "ngo", ("QA",), ("*",), ("en",), public_key, "",
                   "", delivery="console")


def test_totp_codes_of_this_step_and_its_neighbours_only():
    secret = pyotp.random_base32()
    now = 1_800_000_000.0
    totp = pyotp.TOTP(secret)
    assert accounts.totp_ok(secret, totp.at(now), now) == int(now) // 30
    assert accounts.totp_ok(secret, totp.at(now - 30), now) == int(now) // 30 - 1
    assert accounts.totp_ok(secret, totp.at(now - 90), now) is None
    assert accounts.totp_ok(secret, "12345", now) is None


# -- the audit chain -----------------------------------------------------------------------
@pytest.fixture
def audit_db(tmp_path, secrets_dir) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with session_scope(url) as session:
        for number, action in enumerate(("login", "report_view", "status_change", "logout")):
            audit.record(session, action, "u1", "case@helpline.example", "ab" * 16,
                         "new->acknowledged" if action == "status_change" else "",
                         now=1_800_000_000 + number)
    return url


def test_an_untouched_chain_verifies(audit_db):
    with session_scope(audit_db) as session:
        result = audit.verify(session)
        assert (result.entries, result.first_bad, result.intact) == (4, None, True)
        first = session.get(AuditEntry, 1)
        assert first.prev_hash == audit.GENESIS
        assert first.hash == audit.entry_hash(audit.GENESIS, 1_800_000_000, "u1",
                                              "case@helpline.example", "login", "ab" * 16, "")
        assert audit.head(session) == session.get(AuditEntry, 4).hash


@pytest.mark.parametrize(("statement", "first_bad"), [
    ("UPDATE console_audit SET detail = 'new->closed' WHERE seq = 3", 3),
    ("UPDATE console_audit SET actor_email = 'someone@else.example' WHERE seq = 1", 1),
    ("UPDATE console_audit SET at = at + 3600 WHERE seq = 2", 2),
    ("DELETE FROM console_audit WHERE seq = 2", 3),
])
def test_an_altered_or_removed_entry_is_found(audit_db, statement, first_bad):
    with session_scope(audit_db) as session:
        session.execute(text(statement))
    with session_scope(audit_db) as session:
        assert audit.verify(session).first_bad == first_bad


def test_an_entry_rehashed_after_a_change_still_breaks_the_next_link(audit_db):
    with session_scope(audit_db) as session:
        entry = session.get(AuditEntry, 2)
        entry.target = "cd" * 16
        entry.hash = audit.entry_hash(entry.prev_hash, entry.at, entry.actor,
                                      entry.actor_email, entry.action, entry.target,
                                      entry.detail)
    with session_scope(audit_db) as session:
        assert audit.verify(session).first_bad == 3


def test_two_entries_cannot_follow_the_same_one(audit_db):
    with session_scope(audit_db) as session:
        head = audit.head(session)
        session.add(AuditEntry(at=1, actor="", actor_email="", action="forged", target="",
                               detail="", prev_hash=session.get(AuditEntry, 3).hash,
                               hash=head))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


# -- delivery: console in the registry and the outbox --------------------------------------
def _console_entry(**overrides) -> dict:
    encryption, signing = crypto.new_partner_keys()
    entry = {"id": "helpline-qa", "name": "Gulf Workers Helpline", "kind": "ngo",
             "countries": ["QA"], "categories": ["*"], "languages": ["en"],
             "public_key": encryption.public_key, "verify_key": signing.public_key,
             "delivery": "console"}
    entry.update(overrides)
    return entry


def test_a_vetted_console_entry_needs_no_webhook(tmp_path):
    maintainer = make_maintainer(tmp_path)
    path = write_registry(tmp_path / "partners.yml", maintainer, [_console_entry()])
    registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
    assert problems == []
    [partner] = registry.partners
    assert (partner.delivery, partner.webhook_url) == ("console", "")


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"webhook_url": "https://helpline.example.org"},
     "an entry with 'delivery: console' has no webhook_url"),
    ({"delivery": "email"}, "delivery must be one of webhook, console"),
    ({"name": "Qatar Police Helpline"}, "looks like an enforcement body ('police')."),
])
def test_console_entries_refused(tmp_path, overrides, problem):
    maintainer = make_maintainer(tmp_path)
    path = write_registry(tmp_path / "partners.yml", maintainer, [_console_entry(**overrides)])
    registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
    assert registry.partners == []
    assert len(problems) == 1 and problem in problems[0]


def test_delivery_is_signed_a_webhook_entry_cannot_be_switched_to_the_console(tmp_path):
    maintainer = make_maintainer(tmp_path)
    entry = _console_entry(delivery="webhook", webhook_url="https://helpline.example.org")
    signed = vetted("partners", entry, maintainer)
    import yaml

    for changed in ({**signed, "delivery": "console", "webhook_url": ""},
                    {key: value for key, value in signed.items() if key != "delivery"}):
        path = tmp_path / "partners.yml"
        path.write_text(yaml.safe_dump({"partners": [changed]}), encoding="utf-8")
        registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
        if changed.get("delivery") == "console":
            assert len(problems) == 1 and "changed after vetting" in problems[0]
        else:  # "webhook" is the default: leaving it out says the same, signed the same
            assert problems == [] and registry.partners[0].delivery == "webhook"


def test_the_outbox_keeps_console_deliveries_sealed_in_the_database(tmp_path, secrets_dir):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    partner_keys, consulate_keys = crypto.new_partner_keys()[0], crypto.new_partner_keys()[0]
    partner = _partner("helpline-qa", partner_keys.public_key)
    consulate = Partner("np-embassy", "Embassy", "embassy", ("QA",), ("*",), (),
                        consulate_keys.public_key, "", "", "NP", delivery="console")
    draft = ReportDraft(categories=["withheld_wages"], destination="QA", account="Not paid.",
                        consent_consulate=True, nationality="NP")
    with session_scope(url) as session:
        report_id = submit(session, draft, [partner], TODAY, consulates=[consulate]).report_id

    def post(url, body, headers):
        raise AssertionError("posted")

    with session_scope(url) as session:
        assert deliver_due(session, [partner, consulate], b"k" * 32, TODAY, post=post) == 2
    with session_scope(url) as session:
        assert session.get(Report, report_id).status == "delivered"
        summary = session.execute(select(OutboxItem).where(
            OutboxItem.kind == SUMMARY_DELIVERY)).scalar_one()
        assert summary.delivered_on == TODAY
        assert b"NP" not in summary.sealed_payload
        assert b'"nationality": "NP"' in crypto.unseal(consulate_keys.private_key,
                                                        summary.sealed_payload)


# -- the pages -----------------------------------------------------------------------------
def test_every_response_carries_the_security_headers_and_a_strict_cookie(world):
    browser = client(world)
    for path in ("/login", "/static/console.css", "/no-such-page", "/queue"):
        response = browser.get(path, follow_redirects=False)
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
    cookie = browser.get("/login").headers["set-cookie"]
    assert re.fullmatch(r"__Host-console=[\w-]{43}; HttpOnly; Path=/; SameSite=strict; "
                        r"Secure", cookie)
    assert browser.get("/no-such-page").status_code == 404


def test_the_queue_is_ordered_by_severity_then_age(world):
    browser = client(world)
    assert log_in(browser, "case@helpline.example").headers["location"] == "/queue"
    page = browser.get("/queue")
    assert page.status_code == 200
    ids = world.report_ids
    assert queue_ids(page.text) == [ids["locked_in"], ids["passport"], ids["old_wages"],
                                    ids["wages"]]
    assert ids["shelter"] not in page.text
    for account in ACCOUNTS.values():
        assert account not in page.text  # the queue shows no account
    filtered = browser.get("/queue", params={"category": "withheld_wages", "language": "tl"})
    assert queue_ids(filtered.text) == [ids["wages"]]


def test_a_report_opens_decrypted_for_its_partner_only(world):
    helpline, shelter = client(world), client(world)
    log_in(helpline, "case@helpline.example")
    log_in(shelter, "case@shelter.example")
    passport = world.report_ids["passport"]
    page = helpline.get(f"/reports/{passport}")
    assert page.status_code == 200
    assert ACCOUNTS["passport"] in page.text
    assert '<dd id="language">English</dd>' in page.text
    assert '<dd id="contact">Signal only, evenings</dd>' in page.text
    other = shelter.get(f"/reports/{passport}")
    assert other.status_code == 404
    assert ACCOUNTS["passport"] not in other.text
    assert other.text == shelter.get(f"/reports/{'0' * 32}").text  # same as nothing
    assert shelter.get("/reports/../admin").status_code == 404
    shelter_page = shelter.get(f"/reports/{world.report_ids['shelter']}")
    assert '<dd id="language">Arabic (العربية)</dd>' in shelter_page.text


def test_status_changes_need_the_csrf_token(world):
    browser = client(world)
    log_in(browser, "case@helpline.example")
    report = world.report_ids["old_wages"]
    page = browser.get(f"/reports/{report}")
    refused = browser.post(f"/reports/{report}/status", data={"status": "closed"})
    assert refused.status_code == 403
    wrong = browser.post(f"/reports/{report}/status",
                         data={"status": "closed", "csrf": "x" * 43})
    assert wrong.status_code == 403
    assert '<dd id="status">new</dd>' in browser.get(f"/reports/{report}").text
    done = browser.post(f"/reports/{report}/status",
                        data={"status": "acknowledged", "csrf": csrf_of(page.text)},
                        follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"/reports/{report}")
    assert '<dd id="status">acknowledged</dd>' in browser.get(f"/reports/{report}").text
    assert browser.post(f"/reports/{report}/status",
                        data={"status": "deleted", "csrf": csrf_of(page.text)}
                        ).status_code == 404
    stranger = client(world)
    log_in(stranger, "case@shelter.example")
    page = stranger.get("/queue")
    assert stranger.post(f"/reports/{report}/status",
                         data={"status": "closed", "csrf": csrf_of(page.text)}
                         ).status_code == 404
    rows = audit_rows(world)
    assert ("case@helpline.example", "csrf_rejected", "", f"/reports/{report}/status") in rows
    assert ("case@helpline.example", "status_change", report, "new->acknowledged") in rows
    assert ("case@shelter.example", "status_refused", report, "") in rows


def test_an_idle_session_ends_and_its_key_is_wiped(world):
    console = world.app(idle_seconds=900)
    browser = TestClient(console, base_url="https://testserver")
    log_in(browser, "case@helpline.example")
    assert browser.get("/queue").status_code == 200
    [session] = [s for s in console.sessions._sessions.values() if s.logged_in]
    key = session.private_key
    world.clock.advance(901)
    try:
        ended = browser.get("/queue", follow_redirects=False)
        assert (ended.status_code, ended.headers["location"]) == (303, "/login")
        assert key == bytearray(32) and session.private_key is None
        login = browser.get("/login")
        assert ("Your session ended after 15 minutes without activity. Please log in "
                "again.") in login.text
        assert browser.get("/queue", follow_redirects=False).status_code == 303
    finally:
        world.clock.advance(-901)


def test_logins_are_limited_per_account(world):
    browser = client(world)
    for _attempt in range(5):
        assert log_in(browser, "case@shelter.example", "wrong password").status_code == 401
    blocked = log_in(browser, "case@shelter.example")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    world.clock.advance(901)
    try:
        assert log_in(client(world), "case@shelter.example").status_code == 303
    finally:
        world.clock.advance(-901)


def test_the_second_factor(world):
    console = world.app()
    browser = TestClient(console, base_url="https://testserver")
    first = log_in(browser, "totp@helpline.example")
    assert first.status_code == 200 and 'name="code"' in first.text
    assert browser.get("/queue", follow_redirects=False).status_code == 303
    wrong = browser.post("/login/totp", data={"csrf": csrf_of(first.text), "code": "000000"})
    assert wrong.status_code == 401
    code = pyotp.TOTP(world.totp_secret).at(world.clock())
    done = browser.post("/login/totp", data={"csrf": csrf_of(wrong.text), "code": code},
                        follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/queue")
    assert queue_ids(browser.get("/queue").text)[0] == world.report_ids["locked_in"]
    again = TestClient(console, base_url="https://testserver")
    page = log_in(again, "totp@helpline.example")
    replayed = again.post("/login/totp", data={"csrf": csrf_of(page.text), "code": code})
    assert replayed.status_code == 401 and "used already" in replayed.text


def test_each_role_sees_only_its_pages(world, env):
    admin, consul, caseworker = client(world), client(world), client(world)
    assert log_in(admin, "admin@console.example").headers["location"] == "/admin"
    assert log_in(consul, "consul@np.example").headers["location"] == "/summaries"
    log_in(caseworker, "case@helpline.example")
    for browser, forbidden in ((admin, ["/queue", "/summaries"]),
                               (consul, ["/queue", "/admin", "/admin/audit"]),
                               (caseworker, ["/admin", "/admin/audit", "/summaries"])):
        for path in forbidden:
            assert browser.get(path).status_code == 404, path
    admin_page = admin.get("/admin").text
    for email in PASSWORDS:
        assert f"<td>{email}</td>" in admin_page
    assert "<td>helpline-qa</td><td>Gulf Workers Helpline</td><td>ngo</td><td>console</td>" \
        in admin_page
    for report_id in world.report_ids.values():
        assert report_id not in admin_page
        assert admin.get(f"/reports/{report_id}").status_code == 404


def test_a_consul_sees_only_consented_summaries_of_their_nationals(world):
    nepal, philippines = client(world), client(world)
    log_in(nepal, "consul@np.example")
    log_in(philippines, "consul@ph.example")
    np_list, ph_list = nepal.get("/summaries").text, philippines.get("/summaries").text
    passport, wages = world.summary_ids["passport"], world.summary_ids["wages"]
    assert re.findall(r'href="/summaries/([0-9a-f]{32})"', np_list) == [passport]
    assert re.findall(r'href="/summaries/([0-9a-f]{32})"', ph_list) == [wages]
    page = nepal.get(f"/summaries/{passport}").text
    assert '<dd id="employer">Al Example Trading</dd>' in page
    for secret in (ACCOUNTS["passport"], "Signal only"):
        assert secret not in page
    assert nepal.get(f"/summaries/{wages}").status_code == 404
    assert nepal.get(f"/reports/{world.report_ids['passport']}").status_code == 404


def test_views_are_audited_without_content_and_the_log_is_for_admins(world, env, caplog):
    caplog.set_level(logging.INFO)
    browser = client(world)
    log_in(browser, "case@helpline.example")
    report = world.report_ids["locked_in"]
    browser.get(f"/reports/{report}")
    browser.get(f"/reports/{world.report_ids['shelter']}")
    rows = audit_rows(world)
    user = "case@helpline.example"
    assert rows[-3:] == [(user, "login", "", ""), (user, "report_view", report, ""),
                         (user, "report_not_found", world.report_ids["shelter"], "")]
    admin = client(world)
    log_in(admin, "admin@console.example")
    page = admin.get("/admin/audit").text
    assert re.search(r'<p id="chain" class="ok">Chain intact: \d+ entries', page)
    database = sqlite3.connect(world.url.removeprefix("sqlite:///"))
    dump = "\n".join(database.iterdump())
    database.close()
    for secret in [*ACCOUNTS.values(), "Signal only", *PASSWORDS.values()]:
        assert secret not in dump
        assert secret not in caplog.text


def test_add_user_from_the_command_line(env, monkeypatch, capsys):
    world = env
    monkeypatch.setattr("sys.stdin", io.StringIO("a new caseworker password\n"))
    assert cli.main(["console", "add-user", "--email", "new@helpline.example", "--role",
                     "caseworker", "--partner", "helpline-qa", "--keys",
                     str(world.key_files["helpline-qa"])]) == 0
    assert capsys.readouterr().out == "added new@helpline.example (caseworker, helpline-qa)\n"
    with session_scope(world.url) as session:
        unlocked = accounts.authenticate(session, "new@helpline.example",
                                         "a new caseworker password")
        assert unlocked.user.organisation == "helpline-qa" and unlocked.private_key
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert cli.main(["console", "add-user", "--email", "wrong@helpline.example", "--role",
                     "caseworker", "--partner", "helpline-qa", "--keys",
                     str(world.key_files["shelter-ae"])]) == 1
    assert capsys.readouterr().err == ("error: this key file is not partner 'helpline-qa''s: "
                                       "its key does not match the registry's public_key\n")
    assert cli.main(["console", "add-user", "--email", "c@np.example", "--role",
                     "consular"]) == 2
    assert capsys.readouterr().err == "error: a consular needs --consulate ID\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("a second factor password\n"))
    assert cli.main(["console", "add-user", "--email", "boss@console.example", "--role",
                     "admin", "--totp"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"TOTP secret \(enter it in an authenticator app; shown only now\): "
                     r"[A-Z2-7]{32}\notpauth://totp/", out)
    assert ("", "user_added", unlocked.user.id, "caseworker helpline-qa") in audit_rows(world)


def test_verify_audit_from_the_command_line(env, capsys, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli-audit.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    with session_scope(url) as session:
        for action in ("login", "queue_view"):
            audit.record(session, action, "u", "a@b.example")
    assert cli.main(["console", "verify-audit"]) == 0
    assert capsys.readouterr().out == "audit log intact: 2 entries\n"
    with session_scope(url) as session:
        session.execute(text("UPDATE console_audit SET action = 'logout' WHERE seq = 2"))
    assert cli.main(["console", "verify-audit"]) == 1
    assert capsys.readouterr().out == ("audit log altered: entry 2 does not follow the one "
                                       "before it\n")


def test_the_created_on_dates_are_days(world):
    with session_scope(world.url) as session:
        days = {r.created_on for r in session.execute(select(Report)).scalars()}
    assert days == {created for _name, _fields, created in REPORTS}
    assert all(isinstance(day, date) for day in days)


def test_no_file_of_the_world_holds_a_password_or_an_account(world):
    for path in Path(world.directory).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in [*ACCOUNTS.values(), *PASSWORDS.values()]:
                assert secret.encode() not in data, path.name


def test_an_error_is_answered_and_logged_by_its_class_only(world, monkeypatch, caplog):
    def broken(*args):
        raise ValueError(f"cannot show {ACCOUNTS['passport']}")

    monkeypatch.setattr("bot.console.cases.open_report", broken)
    browser = TestClient(world.app(), base_url="https://testserver",
                         raise_server_exceptions=False)
    log_in(browser, "case@helpline.example")
    with caplog.at_level(logging.INFO):
        response = browser.get(f"/reports/{world.report_ids['passport']}")
    assert (response.status_code, response.text) == (500, "The console hit an internal "
                                                          "error.")
    assert response.headers["content-security-policy"] == CSP
    assert [record.getMessage() for record in caplog.records
            if record.name == "bot.console.app"] == [
        "console: ValueError while answering a request"]
    assert ACCOUNTS["passport"] not in caplog.text


def test_the_console_command_serves_and_logs_nothing_of_a_report(env, tmp_path, monkeypatch):
    import urllib.error

    from bot.servers import free_port, running_processes, server_env

    world = env
    port = free_port()
    log = tmp_path / "console.log"
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("BOT_CONSOLE_PORT", str(port))  # what `make console` passes on
    command = [sys.executable, "-m", "bot", "console", "serve"]
    with running_processes([(command, log, f"{base}/health")], server_env()):
        def fetch(path: str, data: dict | None = None, cookie: str = "") -> tuple:
            body = urlencode(data).encode() if data is not None else None
            request = urllib.request.Request(f"{base}{path}", data=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            opener = urllib.request.build_opener(_NoRedirect)
            try:
                with opener.open(request, timeout=30) as response:
                    return response.status, response.headers, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.headers, error.read().decode()

        status, headers, page = fetch("/login")
        assert status == 200 and headers["Content-Security-Policy"] == CSP
        cookie = headers["Set-Cookie"].split(";")[0]
        status, headers, _page = fetch("/login", {
            "csrf": csrf_of(page), "email": "case@helpline.example",
            "password": PASSWORDS["case@helpline.example"]}, cookie)
        assert (status, headers["Location"]) == (303, "/queue")
        cookie = headers["Set-Cookie"].split(";")[0]
        status, _headers, page = fetch(f"/reports/{world.report_ids['passport']}",
                                       cookie=cookie)
        assert status == 200 and ACCOUNTS["passport"] in page
        assert fetch(f"/reports/{world.report_ids['shelter']}", cookie=cookie)[0] == 404
        assert fetch("/login", {"csrf": "x", "email": "a@b.example", "password": "p"})[0] \
            == 403
    logged = log.read_text(encoding="utf-8")
    assert f"console on http://127.0.0.1:{port}/" in logged
    for secret in [*ACCOUNTS.values(), *PASSWORDS.values(), *world.report_ids.values(),
                   "case@helpline.example"]:
        assert secret not in logged


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _report_form(browser: TestClient, report_id: str, action: str, **fields: str):
    page = browser.get(f"/reports/{report_id}")
    return browser.post(f"/reports/{report_id}/{action}",
                        data={"csrf": csrf_of(page.text), **fields}, follow_redirects=False)


def test_a_reply_reaches_the_reporter_with_their_code_and_notes_stay_sealed(world):
    browser = client(world)
    log_in(browser, "case@helpline.example")
    report = world.report_ids["old_wages"]
    page = browser.get(f"/reports/{report}").text
    assert "Write in Nepali (नेपाली): the reporter reads it" in page
    answer = "नमस्ते, हामीले तपाईंको उजुरी पायौं। हामी सहयोग गर्छौं।"
    sent = _report_form(browser, report, "reply", text=answer)
    assert (sent.status_code, sent.headers["location"]) == (303, f"/reports/{report}")
    note = "Called the embassy labour attaché; waiting."
    assert _report_form(browser, report, "notes", text=note).status_code == 303
    assert _report_form(browser, report, "notes", text="   ").status_code == 404
    assert _report_form(browser, report, "reply", text="x" * 2001).status_code == 404
    page = browser.get(f"/reports/{report}").text
    assert re.findall(r'<span class="text">([^<]*)</span>', page) == [answer, note]
    with session_scope(world.url) as session:
        status = service.check_status(session, world.codes["old_wages"], "conversation-1")
    assert (status.found, status.status, status.replies) == (True, "answered", [answer])
    database = sqlite3.connect(world.url.removeprefix("sqlite:///"))
    dump = "\n".join(database.iterdump())
    database.close()
    assert note not in dump and answer not in dump
    user = "case@helpline.example"
    rows = audit_rows(world)
    assert (user, "reply_sent", report, "") in rows and (user, "note_added", report, "") in rows
    assert (user, "note_added_refused", report, "") in rows


def test_a_referral_seals_the_report_again_to_the_other_partner(tmp_path, monkeypatch):
    fresh = build_world(tmp_path, monkeypatch)
    helpline, shelter = client(fresh), client(fresh)
    log_in(helpline, "case@helpline.example")
    log_in(shelter, "case@shelter.example")
    report = fresh.report_ids["wages"]
    assert _report_form(helpline, report, "notes", text="Private to the helpline.").status_code \
        == 303
    assert _report_form(helpline, report, "refer", partner="no-such-partner").status_code == 404
    assert _report_form(helpline, report, "refer", partner="helpline-qa").status_code == 404
    referred = _report_form(helpline, report, "refer", partner="shelter-ae")
    assert (referred.status_code, referred.headers["location"]) == (303, "/queue")
    queue = helpline.get("/queue")
    assert "The report was referred to Emirates Shelter." in queue.text
    assert report not in queue_ids(queue.text)
    assert helpline.get(f"/reports/{report}").status_code == 404
    assert queue_ids(shelter.get("/queue").text) == [fresh.report_ids["shelter"], report]
    page = shelter.get(f"/reports/{report}").text
    assert ACCOUNTS["wages"] in page and '<p id="no-notes">No notes yet.</p>' in page
    with session_scope(fresh.url) as session:
        pending = session.execute(select(OutboxItem.partner_id).where(
            OutboxItem.report_id == report, OutboxItem.delivered_on.is_(None))).scalars().all()
        assert pending == ["shelter-ae"]
    assert ("case@helpline.example", "referred", report, "to shelter-ae") in audit_rows(fresh)


def test_the_dashboard_counts_without_personal_data_and_suppresses_small_counts(world):
    from bot import indicators

    with session_scope(world.url) as session:  # what the bot counts as it answers
        for _ in range(6):
            indicators.count_question(session, "wages", "ne", "sms", date(2026, 11, 3))
        indicators.count_question(session, "passport", "en", "telegram", date(2026, 12, 1))
    admin = client(world)
    log_in(admin, "admin@console.example")
    page = admin.get("/dashboard").text
    assert re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", page) == [
        ("confinement", "fewer than 5"), ("passport kept", "fewer than 5"),
        ("violence or threats", "fewer than 5"), ("withheld wages", "fewer than 5"),
        ("unknown → United Arab Emirates", "fewer than 5"),
        ("unknown → Qatar", "fewer than 5"), ("2026-11", "5"),
        ("Your wages", "6"), ("Your passport and documents", "fewer than 5"),
        ("Nepali (नेपाली)", "6"), ("English", "fewer than 5"),
        ("SMS", "6"), ("Telegram", "fewer than 5")]
    assert page.count("<rect ") == 4  # the month's and the questions': none for a suppressed count
    export = admin.get("/dashboard.csv")
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.text == (
        "dimension,value,count\n"
        "report_category,confinement,<5\nreport_category,passport_kept,<5\n"
        "report_category,violence_or_threats,<5\nreport_category,withheld_wages,<5\n"
        "report_corridor,unknown-AE,<5\nreport_corridor,unknown-QA,<5\n"
        "report_month,2026-11,5\n"
        "question_topic,wages,6\nquestion_topic,passport,<5\n"
        "question_language,ne,6\nquestion_language,en,<5\n"
        "question_channel,sms,6\nquestion_channel,telegram,<5\n")
    consul = client(world)
    log_in(consul, "consul@np.example")
    assert consul.get("/dashboard").status_code == 404


def test_counts_of_five_or_more_are_shown_largest_first(tmp_path, secrets_dir):
    from bot.console import dashboard

    url = f"sqlite:///{tmp_path / 'reports.db'}"
    partner = _partner("helpline-qa", crypto.new_partner_keys()[0].public_key)
    partner = Partner(**{**vars(partner), "countries": ("*",)})
    drafts = [(["withheld_wages"], "QA", "NP")] * 6 + [
        (["passport_kept", "withheld_wages"], "AE", "PH")] * 5 + [(["confinement"], "SA", None)] * 2
    with session_scope(url) as session:
        for number, (categories, destination, origin) in enumerate(drafts):
            submit(session, ReportDraft(categories=categories, destination=destination,
                                        account="x"), [partner],
                   date(2026, 10 + number % 2, 1), origin=origin)
    with session_scope(url) as session:
        table = dashboard.counts(session)
    shown = {dimension: [(row.value, row.number) for row in rows]
             for dimension, rows in table.items()}
    assert shown == {
        "report_category": [("withheld_wages", 11), ("passport_kept", 5), ("confinement", None)],
        "report_corridor": [("NP-QA", 6), ("PH-AE", 5), ("unknown-SA", None)],
        "report_month": [("2026-10", 7), ("2026-11", 6)],
        "question_topic": [], "question_language": [], "question_channel": []}
    bars, height = dashboard.bars(table["report_category"])
    assert [(bar.label, bar.width, bar.y) for bar in bars] == [
        ("withheld_wages", 360, 0), ("passport_kept", 164, 22), ("confinement", 0, 44)]
    assert height == 66


def test_the_audit_log_exports_with_hashes_that_check_out(world):
    import csv

    admin = client(world)
    log_in(admin, "admin@console.example")
    export = admin.get("/admin/audit.csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows[-1]["action"] == "audit_export"
    previous = audit.GENESIS
    for row in rows:
        assert row["prev_hash"] == previous
        assert row["hash"] == audit.entry_hash(previous, int(row["at"]), row["actor"],
                                               row["actor_email"], row["action"],
                                               row["target"], row["detail"])
        previous = row["hash"]
    caseworker = client(world)
    log_in(caseworker, "case@helpline.example")
    assert caseworker.get("/admin/audit.csv").status_code == 404


def test_a_password_change_wraps_the_key_again(tmp_path, monkeypatch):
    fresh = build_world(tmp_path, monkeypatch)
    email, old, new = "totp@helpline.example", PASSWORDS["totp@helpline.example"], \
        "a brand new passphrase"
    with session_scope(fresh.url) as session:
        before = accounts.authenticate(session, email, old)
        salt = before.user.key_salt
        assert accounts.change_password(session, before.user.id, "not the password", new) \
            is False
        with pytest.raises(accounts.AccountError):
            accounts.change_password(session, before.user.id, old, "short")
        assert accounts.change_password(session, before.user.id, old, new) is True
    with session_scope(fresh.url) as session:
        assert accounts.authenticate(session, email, old) is None
        after = accounts.authenticate(session, email, new)
        assert after.private_key == before.private_key
        assert after.totp_secret == before.totp_secret == fresh.totp_secret
        assert after.user.key_salt != salt
    browser = client(fresh)
    log_in(browser, "case@shelter.example")
    page = browser.get("/account")
    form = {"csrf": csrf_of(page.text), "current": PASSWORDS["case@shelter.example"],
            "new": "shelter new passphrase", "again": "shelter new passphrase"}
    assert browser.post("/account", data={**form, "again": "different"}).status_code == 400
    assert browser.post("/account", data={**form, "current": "wrong"}).status_code == 401
    done = browser.post("/account", data=form, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/queue")
    assert "Your password was changed." in browser.get("/queue").text
    assert log_in(client(fresh), "case@shelter.example", "shelter new passphrase"
                  ).headers["location"] == "/queue"
    assert ("case@shelter.example", "password_changed", "", "") in audit_rows(fresh)


def test_an_admin_removes_a_user_and_their_sessions_end(tmp_path, monkeypatch):
    fresh = build_world(tmp_path, monkeypatch)
    console = fresh.app()
    admin = TestClient(console, base_url="https://testserver")
    caseworker = TestClient(console, base_url="https://testserver")
    log_in(admin, "admin@console.example")
    log_in(caseworker, "case@shelter.example")
    assert caseworker.get("/queue").status_code == 200
    page = admin.get("/admin")
    target = fresh.user_ids["case@shelter.example"]
    me = fresh.user_ids["admin@console.example"]
    assert f'/admin/users/{me}/remove' not in page.text
    assert admin.post(f"/admin/users/{target}/remove", data={"csrf": "forged"}
                      ).status_code == 403
    done = admin.post(f"/admin/users/{target}/remove", data={"csrf": csrf_of(page.text)},
                      follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/admin")
    assert "case@shelter.example was removed and logged out." in admin.get("/admin").text
    assert caseworker.get("/queue", follow_redirects=False).status_code == 303
    assert log_in(client(fresh), "case@shelter.example").status_code == 401
    assert admin.post(f"/admin/users/{me}/remove", data={"csrf": csrf_of(page.text)}
                      ).status_code == 404
    assert ("admin@console.example", "user_removed", target, "caseworker shelter-ae") in \
        audit_rows(fresh)


def test_expiry_deletes_a_reports_status_and_notes_with_it(tmp_path, monkeypatch):
    fresh = build_world(tmp_path, monkeypatch)
    browser = client(fresh)
    log_in(browser, "case@helpline.example")
    report = fresh.report_ids["passport"]
    assert _report_form(browser, report, "notes", text="Seen.").status_code == 303
    assert _report_form(browser, report, "status", status="closed").status_code == 303
    with session_scope(fresh.url) as session:
        assert service.expire(session, date(2027, 12, 31)) == 5
    database = sqlite3.connect(fresh.url.removeprefix("sqlite:///"))
    counts = [database.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
              for table in ("reports", "console_cases", "console_notes")]
    database.close()
    assert counts == [0, 0, 0]


def test_failed_logins_are_audited_with_the_account_aimed_at_only(world):
    browser = client(world)
    log_in(browser, "consul@ph.example", "not the password")
    log_in(browser, "typo@nowhere.example", "consul@ph.example")
    assert audit_rows(world)[-2:] == [("", "login_failed", world.user_ids["consul@ph.example"],
                                       ""), ("", "login_failed", "", "")]


def test_a_flood_of_anonymous_visits_does_not_log_staff_out(monkeypatch):
    from bot.console import sessions

    monkeypatch.setattr(sessions, "MAX_SESSIONS", 3)
    store = sessions.SessionStore(900, FakeClock())
    staff = store.new()
    staff.user_id = "u1"
    for _visit in range(10):
        store.new()
    assert store.count() == 3
    assert store.get(staff.id)[0] is staff
