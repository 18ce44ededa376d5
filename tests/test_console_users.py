"""Users added from the web: an administrator invites (email, role, organisation), the
invitee chooses a password on the link's page, and a colleague of the same organisation,
logged in, hands over the organisation's key (the administrator never holds one).
Through Starlette's test client; in Chromium: test_console_users_browser.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.console import accounts
from bot.console.app import Console
from bot.console.i18n import texts
from bot.console.invitations import INVITATION_SECONDS
from bot.console.models import AuditEntry, ConsoleUser
from bot.reports import crypto
from bot.reports.db import session_scope
from tests.support.console import World, build_world, csrf_of, log_in

NEW = "new@helpline.example"
NEW_PASSWORD = "a colleague's own passphrase"
LINK = re.compile(r'<code id="invitation-link" dir="ltr">https://testserver/invitation/'
                  r'([\w-]{43})</code>')
ACTIONS = ("invitation_created", "invitation_refused", "invitation_accepted",
           "invitation_cancelled", "invitation_not_found", "key_handover_refused",
           "user_added", "csrf_rejected", "colleagues_view")


@pytest.fixture
def world(tmp_path, monkeypatch) -> World:
    return build_world(tmp_path, monkeypatch)


@pytest.fixture
def console(world) -> Console:
    return world.app()


def client(console: Console) -> TestClient:
    return TestClient(console, base_url="https://testserver")


def admin(console: Console) -> TestClient:
    browser = client(console)
    assert log_in(browser, "admin@console.example").headers["location"] == "/admin"
    return browser


def invite(browser: TestClient, email: str, role: str, organisation: str = ""):
    page = browser.get("/admin")
    return browser.post("/admin/invitations", data={
        "csrf": csrf_of(page.text), "email": email, "role": role,
        "organisation": organisation})


def set_password(browser: TestClient, token: str, password: str, again: str | None = None):
    page = browser.get(f"/invitation/{token}")
    return browser.post(f"/invitation/{token}", data={
        "csrf": csrf_of(page.text), "password": password,
        "again": password if again is None else again}, follow_redirects=False)


def audited(world: World) -> list[tuple[str, str, str, str, str]]:
    """(actor, actor email, action, target, detail) of the user-management entries."""
    with session_scope(world.url) as session:
        return [(e.actor, e.actor_email, e.action, e.target, e.detail)
                for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
                if e.action in ACTIONS]


def key_of(world: World, organisation: str) -> bytes:
    text = world.key_files[organisation].read_text()
    return crypto.unb64(re.search(r"decryption_key: (\S+)", text).group(1))


def cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in
             re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_caseworker_is_invited_and_a_colleague_hands_over_the_key(world, console):
    boss = admin(console)
    made = invite(boss, NEW, "caseworker", "helpline-qa")
    assert made.status_code == 200
    token = LINK.search(made.text).group(1)
    assert "Send this link to new@helpline.example yourself" in made.text
    assert "a colleague at helpline-qa hands over the key." in made.text
    [invitation] = console.invitations.pending()
    assert cells(boss.get("/admin").text, "invitations") == [
        [NEW, "caseworker", "helpline-qa", "waiting for their password",
         texts("en").when(int(invitation.created + INVITATION_SECONDS)), "Cancel"]]

    invitee = client(console)
    page = invitee.get(f"/invitation/{token}")
    assert page.status_code == 200
    assert '<p id="invitee">For new@helpline.example: caseworker, helpline-qa.</p>' in page.text
    assert invitee.get(f"/invitation/{'x' * 43}").status_code == 404
    differ = set_password(invitee, token, NEW_PASSWORD, "another passphrase!!")
    assert (differ.status_code, "The two passwords differ." in differ.text) == (400, True)
    short = set_password(invitee, token, "too short")
    assert short.status_code == 400
    assert "The password must have 12 to 1,024 characters." in short.text
    chosen = set_password(invitee, token, NEW_PASSWORD)
    assert chosen.status_code == 200
    assert '<p id="waiting">Your password is set. Now a colleague at helpline-qa' in chosen.text
    again = set_password(invitee, token, "yet another passphrase")
    assert (again.status_code, "Your password is set already." in again.text) == (409, True)
    assert log_in(client(console), NEW, NEW_PASSWORD).status_code == 401
    assert cells(boss.get("/admin").text, "invitations")[0][3] == \
        "waiting for a colleague to hand over the key"

    stranger = client(console)  # another NGO's caseworker: nobody waiting, no handover
    log_in(stranger, "case@shelter.example")
    colleagues = stranger.get("/colleagues")
    assert '<p id="empty">Nobody is waiting for the key.</p>' in colleagues.text
    assert stranger.post(f"/colleagues/{invitation.id}/key",
                         data={"csrf": csrf_of(colleagues.text)}).status_code == 404
    colleague = client(console)
    log_in(colleague, "case@helpline.example")
    colleagues = colleague.get("/colleagues")
    assert [row[:2] for row in cells(colleagues.text, "waiting")] == [[NEW, "caseworker"]]
    assert colleague.post(f"/colleagues/{invitation.id}/key",
                          data={"csrf": "forged"}).status_code == 403
    done = colleague.post(f"/colleagues/{invitation.id}/key",
                          data={"csrf": csrf_of(colleagues.text)}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/colleagues")
    assert '<p class="notice" role="status" id="notice">new@helpline.example can now log ' \
           'in.</p>' in colleague.get("/colleagues").text
    assert console.invitations.pending() == []
    assert invitation.password is None  # the derived key is gone from memory
    assert invitee.get(f"/invitation/{token}").status_code == 404

    newcomer = client(console)
    assert log_in(newcomer, NEW, NEW_PASSWORD).headers["location"] == "/queue"
    queue = newcomer.get("/queue").text
    assert re.findall(r'href="/reports/([0-9a-f]{32})"', queue) == [
        world.report_ids[name] for name in ("locked_in", "passport", "old_wages", "wages")]
    with session_scope(world.url) as session:
        user = session.execute(select(ConsoleUser).where(ConsoleUser.email == NEW)).scalar_one()
        new_id = user.id
        assert (user.role, user.organisation, user.sealed_totp) == \
            ("caseworker", "helpline-qa", None)
        assert key_of(world, "helpline-qa") not in user.wrapped_key
        assert accounts.authenticate(session, NEW, NEW_PASSWORD).private_key == \
            key_of(world, "helpline-qa")
    ids = world.user_ids
    assert audited(world) == [
        (ids["admin@console.example"], "admin@console.example", "invitation_created",
         invitation.id, "caseworker helpline-qa"),
        ("", "", "invitation_not_found", "", ""),
        ("", NEW, "invitation_accepted", invitation.id, "caseworker helpline-qa"),
        (ids["case@shelter.example"], "case@shelter.example", "colleagues_view", "", ""),
        (ids["case@shelter.example"], "case@shelter.example", "key_handover_refused",
         invitation.id, ""),
        (ids["case@helpline.example"], "case@helpline.example", "colleagues_view", "", ""),
        (ids["case@helpline.example"], "case@helpline.example", "csrf_rejected", "",
         f"/colleagues/{invitation.id}/key"),
        (ids["case@helpline.example"], "case@helpline.example", "user_added", new_id,
         "caseworker helpline-qa"),
        (ids["case@helpline.example"], "case@helpline.example", "colleagues_view", "", ""),
        ("", "", "invitation_not_found", "", ""),
    ]
    with session_scope(world.url) as session:
        entries = [f"{e.target} {e.detail}" for e in session.execute(select(AuditEntry)).scalars()]
    assert not [entry for entry in entries if token in entry or NEW_PASSWORD in entry]


def test_a_consular_reviewer_gets_the_key_from_a_consular_colleague(world, console):
    made = invite(admin(console), "second@np.example", "consular", "np-embassy-doha")
    token = LINK.search(made.text).group(1)
    assert set_password(client(console), token, NEW_PASSWORD).status_code == 200
    [invitation] = console.invitations.pending()
    caseworker = client(console)  # same key-holding role required: a caseworker cannot
    log_in(caseworker, "case@helpline.example")
    assert caseworker.post(f"/colleagues/{invitation.id}/key", data={
        "csrf": csrf_of(caseworker.get("/colleagues").text)}).status_code == 404
    other = client(console)
    log_in(other, "consul@ph.example")
    assert other.post(f"/colleagues/{invitation.id}/key", data={
        "csrf": csrf_of(other.get("/colleagues").text)}).status_code == 404
    consul = client(console)
    log_in(consul, "consul@np.example")
    page = consul.get("/colleagues")
    assert [row[:2] for row in cells(page.text, "waiting")] == [
        ["second@np.example", "consular reviewer"]]
    assert consul.post(f"/colleagues/{invitation.id}/key", data={"csrf": csrf_of(page.text)},
                       follow_redirects=False).status_code == 303
    newcomer = client(console)
    assert log_in(newcomer, "second@np.example", NEW_PASSWORD).headers["location"] == \
        "/summaries"
    assert re.findall(r'href="/summaries/([0-9a-f]{32})"', newcomer.get("/summaries").text) \
        == [world.summary_ids["passport"]]


def test_an_administrator_invited_is_made_at_once(world, console):
    made = invite(admin(console), "Boss2@Console.example ", "admin")
    token = LINK.search(made.text).group(1)
    invitee = client(console)
    assert '<p id="invitee">For boss2@console.example: administrator.</p>' in \
        invitee.get(f"/invitation/{token}").text
    done = set_password(invitee, token, NEW_PASSWORD)
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    assert "Your account is ready: log in with your email and your new password." in \
        invitee.get("/login").text
    assert console.invitations.pending() == []
    assert log_in(client(console), "boss2@console.example", NEW_PASSWORD
                  ).headers["location"] == "/admin"
    with session_scope(world.url) as session:
        user = session.execute(select(ConsoleUser).where(
            ConsoleUser.email == "boss2@console.example")).scalar_one()
        assert (user.role, user.organisation, user.wrapped_key) == ("admin", None, None)
    assert audited(world) == [
        (world.user_ids["admin@console.example"], "admin@console.example",
         "invitation_created", made_id(world), "admin"),
        (user.id, "boss2@console.example", "user_added", user.id, "admin")]


def made_id(world: World) -> str:
    with session_scope(world.url) as session:
        return session.execute(select(AuditEntry.target).where(
            AuditEntry.action == "invitation_created")).scalar_one()


@pytest.mark.parametrize(("email", "role", "organisation", "error"), [
    ("not-an-email", "caseworker", "helpline-qa", "This email address does not look like one."),
    ("x@helpline.example", "root", "", "Choose a role."),
    ("x@helpline.example", "admin", "helpline-qa",
     "An administrator belongs to no organisation."),
    ("x@helpline.example", "caseworker", "", "A caseworker works for a vetted partner, a "
     "consular reviewer for a vetted consulate: choose theirs."),
    ("x@helpline.example", "caseworker", "np-embassy-doha", "A caseworker works for a vetted "
     "partner, a consular reviewer for a vetted consulate: choose theirs."),
    ("x@np.example", "consular", "helpline-qa", "A caseworker works for a vetted partner, a "
     "consular reviewer for a vetted consulate: choose theirs."),
    ("x@helpline.example", "caseworker", "no-such-ngo", "A caseworker works for a vetted "
     "partner, a consular reviewer for a vetted consulate: choose theirs."),
    ("Case@Helpline.example", "caseworker", "helpline-qa", "An account with this email exists."),
    ("first@helpline.example", "caseworker", "helpline-qa", "An invitation for this email is "
     "pending already: cancel it first, or wait until it ends."),
])
def test_invitations_refused(world, console, email, role, organisation, error):
    boss = admin(console)
    assert invite(boss, "first@helpline.example", "caseworker", "helpline-qa"
                  ).status_code == 200
    refused = invite(boss, email, role, organisation)
    assert refused.status_code == 400
    assert re.search(r'<p class="error" role="alert" id="error">([^<]*)</p>',
                     refused.text).group(1) == error.replace("'", "&#39;")
    assert len(console.invitations.pending()) == 1
    assert [row[2] for row in audited(world)] == ["invitation_created", "invitation_refused"]


def test_only_an_administrator_invites_and_cancels(world, console):
    caseworker = client(console)
    log_in(caseworker, "case@helpline.example")
    page = caseworker.get("/queue")
    assert caseworker.post("/admin/invitations", data={
        "csrf": csrf_of(page.text), "email": NEW, "role": "admin"}).status_code == 404
    boss = admin(console)
    assert boss.post("/admin/invitations", data={"email": NEW, "role": "admin"}
                     ).status_code == 403
    assert boss.get("/colleagues").status_code == 404  # an administrator holds no key
    token = LINK.search(invite(boss, NEW, "caseworker", "helpline-qa").text).group(1)
    [invitation] = console.invitations.pending()
    assert set_password(client(console), token, NEW_PASSWORD).status_code == 200
    assert caseworker.post(f"/admin/invitations/{invitation.id}/cancel",
                           data={"csrf": csrf_of(page.text)}).status_code == 404
    key = invitation.password.key
    page = boss.get("/admin")
    done = boss.post(f"/admin/invitations/{invitation.id}/cancel",
                     data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/admin")
    after = boss.get("/admin").text
    assert "The invitation of new@helpline.example was cancelled." in after
    assert '<table id="invitations">' not in after
    assert key == bytearray(32) and invitation.password is None
    assert client(console).get(f"/invitation/{token}").status_code == 404
    assert boss.post(f"/admin/invitations/{invitation.id}/cancel",
                     data={"csrf": csrf_of(page.text)}).status_code == 404
    admin_id = world.user_ids["admin@console.example"]
    assert [row[2:] for row in audited(world)] == [
        ("csrf_rejected", "", "/admin/invitations"),
        ("invitation_created", invitation.id, "caseworker helpline-qa"),
        ("invitation_accepted", invitation.id, "caseworker helpline-qa"),
        ("invitation_cancelled", invitation.id, "caseworker helpline-qa"),
        ("invitation_not_found", "", "")]
    assert audited(world)[3][:2] == (admin_id, "admin@console.example")


def test_an_invitation_ends_after_three_days_and_its_key_is_wiped(world, console):
    token = LINK.search(invite(admin(console), NEW, "caseworker", "helpline-qa").text
                        ).group(1)
    assert set_password(client(console), token, NEW_PASSWORD).status_code == 200
    [invitation] = console.invitations.pending()
    key = invitation.password.key
    world.clock.advance(INVITATION_SECONDS - 5)
    try:
        assert client(console).get(f"/invitation/{token}").status_code == 200
        world.clock.advance(5)
        assert client(console).get(f"/invitation/{token}").status_code == 404
        assert key == bytearray(32) and console.invitations.pending() == []
    finally:
        world.clock.advance(-INVITATION_SECONDS)


def test_a_key_that_is_not_the_vetted_one_is_not_handed_over(world, console):
    token = LINK.search(invite(admin(console), NEW, "caseworker", "helpline-qa").text
                        ).group(1)
    assert set_password(client(console), token, NEW_PASSWORD).status_code == 200
    [invitation] = console.invitations.pending()
    colleague = client(console)
    log_in(colleague, "case@helpline.example")
    page = colleague.get("/colleagues")
    [session] = [s for s in console.sessions._sessions.values()
                 if s.email == "case@helpline.example"]
    session.private_key = bytearray(key_of(world, "shelter-ae"))  # a stale or wrong key
    refused = colleague.post(f"/colleagues/{invitation.id}/key",
                             data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 409
    assert re.search(r'<p id="message">([^<]*)</p>', refused.text).group(1) == (
        "The key was not handed over: the account exists already, or your organisation&#39;s "
        "key is not the one vetted in the registry. The invitation is cancelled.")
    assert console.invitations.pending() == [] and invitation.password is None
    assert log_in(client(console), NEW, NEW_PASSWORD).status_code == 401
    assert audited(world)[-1][2:] == ("key_handover_refused", invitation.id,
                                      "caseworker helpline-qa")


def test_the_invitation_pages_are_in_the_chosen_language(world, console):
    boss = TestClient(console, base_url="https://testserver",
                      headers={"Accept-Language": "ne"})
    log_in(boss, "admin@console.example")
    page = boss.get("/admin").text
    assert "<h2>प्रयोगकर्तालाई निमन्त्रणा दिनुहोस्</h2>" in page
    assert '<button type="submit" id="send-invitation">निमन्त्रणा लिङ्क बनाउनुहोस्</button>' \
        in page
    refused = invite(boss, "x@helpline.example", "admin", "helpline-qa")
    assert '<p class="error" role="alert" id="error">प्रशासक कुनै संस्थाको हुँदैन।</p>' in \
        refused.text
    token = LINK.search(invite(boss, NEW, "caseworker", "helpline-qa").text).group(1)
    invitee = TestClient(console, base_url="https://testserver",
                         headers={"Accept-Language": "ar"})
    page = invitee.get(f"/invitation/{token}").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>دعوتك</h1>" in page
    assert '<p id="invitee">لـ new@helpline.example: أخصائي حالات، helpline-qa.</p>' in page
    differ = set_password(invitee, token, NEW_PASSWORD, "another passphrase!!")
    assert '<p class="error" role="alert" id="error">كلمتا المرور مختلفتان.</p>' in differ.text


def test_a_forged_password_form_is_refused_and_audited_without_the_token(world, console):
    token = "abcdefghijklmnopqrstuvwxyz0123456789-_abcde"  # all lower case, as a token may be
    invitation, real = console.invitations.create(NEW, "caseworker", "helpline-qa")
    for path in (f"/invitation/{token}", f"/invitation/{real}"):
        refused = client(console).post(path, data={"csrf": "forged", "password": NEW_PASSWORD,
                                                   "again": NEW_PASSWORD})
        assert refused.status_code == 403
    assert [row[2:] for row in audited(world)] == [
        ("csrf_rejected", "", "/invitation/(token)"),
        ("csrf_rejected", "", "/invitation/(token)")]
    assert not invitation.waiting_for_key
