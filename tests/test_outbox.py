"""The outbox against partners that misbehave over real localhost sockets (garbage,
hang-ups, redirects, malformed URLs); expiry that happens whatever delivery does;
and, on PostgreSQL, two servers delivering at once without sending anything twice."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.channels.partners import run_outbox_once
from bot.privacy import KeyFileError, secrets_dir
from bot.reports import crypto, runtime
from bot.reports.db import OutboxItem, Report, session_scope
from bot.reports.outbox import deliver_due
from bot.reports.partners import Partner
from bot.reports.service import RETENTION_DAYS, ReportDraft, add_reply, submit
from bot.reports.vetting import trust_file
from tests.support.partner_servers import (
    Answer,
    garbage,
    hang_up,
    ok,
    partner_server,
    redirect_to,
    slow_ok,
)
from tests.support.registry import make_maintainer, write_registry

TODAY = date(2026, 11, 22)
NOW = 1_000_000.0
FIRST_RETRY = int(NOW) + 60  # 30 s doubled after the first attempt
SIGNING_KEY = crypto.unb64(crypto.new_partner_keys()[1].private_key)


def _partner(partner_id: str, destination: str, webhook_url: str) -> Partner:
    encryption, signing = crypto.new_partner_keys()
    return Partner(partner_id, f"{partner_id} helpline", "ngo", (destination,), ("*",),
                   ("en",), encryption.public_key, signing.public_key, webhook_url)


def _submit(url: str, partners: list[Partner], *destinations: str,
            today: date = TODAY) -> list[str]:
    """One report per destination, each routed to the partner covering it."""
    draft = {"categories": ["withheld_wages"], "account": "Madam has not paid me since June."}
    with session_scope(url) as session:
        return [submit(session, ReportDraft(destination=destination, **draft), partners,
                       today).report_id for destination in destinations]


def _deliver(url: str, partners: list[Partner]) -> int:
    with session_scope(url) as session:
        return deliver_due(session, partners, SIGNING_KEY, TODAY, now=NOW)


def _outbox(url: str) -> dict[str, tuple[int, str | None, date | None, int]]:
    """Each report's delivery: (attempts, last_error, delivered_on, next_attempt_at)."""
    with session_scope(url) as session:
        return {item.report_id: (item.attempts, item.last_error, item.delivered_on,
                                 item.next_attempt_at)
                for item in session.execute(select(OutboxItem)).scalars()}


def _statuses(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        return dict(session.execute(select(Report.id, Report.status)).all())


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "bot.reports.outbox"]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reports.db'}"


@pytest.mark.parametrize(("answer", "error"), [(garbage, "BadStatusLine"),
                                               (hang_up, "RemoteDisconnected")])
def test_a_partner_answering_garbage_fails_alone_and_the_next_still_gets_its_report(
        db_url: str, caplog: pytest.LogCaptureFixture, answer: Answer, error: str) -> None:
    caplog.set_level(logging.WARNING, logger="bot.reports.outbox")
    with partner_server(answer) as bad, partner_server(ok) as good:
        partners = [_partner("bad", "QA", f"{bad.url}/reports"),
                    _partner("good", "AE", f"{good.url}/reports")]
        bad_id, good_id = _submit(db_url, partners, "QA", "AE")  # the bad one is tried first
        assert _deliver(db_url, partners) == 1
    assert bad.report_ids() == [bad_id]
    assert good.report_ids() == [good_id]
    assert _outbox(db_url) == {bad_id: (1, error, None, FIRST_RETRY),
                               good_id: (1, None, TODAY, 0)}
    assert _statuses(db_url) == {bad_id: "received", good_id: "delivered"}
    assert _warnings(caplog) == [f"report delivery to bad failed ({error}), attempt 1"]


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(db_url: str) -> None:
    with partner_server(ok) as elsewhere, \
            partner_server(redirect_to(f"{elsewhere.url}/reports")) as moved:
        partners = [_partner("moved", "QA", f"{moved.url}/reports")]
        [report_id] = _submit(db_url, partners, "QA")
        assert _deliver(db_url, partners) == 0
    assert moved.report_ids() == [report_id]
    assert elsewhere.received == []
    assert _outbox(db_url) == {report_id: (1, "HTTP 302", None, FIRST_RETRY)}
    assert _statuses(db_url) == {report_id: "received"}


def test_a_reply_stored_while_the_report_is_being_delivered_stays_answered(
        db_url: str) -> None:
    report_ids: list[str] = []

    def reply_at_once(handler: BaseHTTPRequestHandler) -> None:
        with session_scope(db_url) as session:  # the partner answers before its 200 arrives
            assert add_reply(session, report_ids[0], "quick", "We are calling you now.", TODAY)
        ok(handler)

    with partner_server(reply_at_once) as quick:
        partners = [_partner("quick", "QA", f"{quick.url}/reports")]
        report_ids += _submit(db_url, partners, "QA")
        assert _deliver(db_url, partners) == 1
    assert _outbox(db_url) == {report_ids[0]: (1, None, TODAY, 0)}
    assert _statuses(db_url) == {report_ids[0]: "answered"}


def test_a_malformed_url_is_a_failed_attempt_and_only_its_error_class_is_logged(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    partners = [_partner("typo", "QA", "partner.example.org/reports?token=s3cret")]
    [report_id] = _submit(db_url, partners, "QA")
    assert _deliver(db_url, partners) == 0  # urllib: ValueError("unknown url type: '...'")
    assert _outbox(db_url) == {report_id: (1, "ValueError", None, FIRST_RETRY)}
    assert _warnings(caplog) == ["report delivery to typo failed (ValueError), attempt 1"]
    assert "s3cret" not in caplog.text and "example.org" not in caplog.text


@pytest.fixture
def bot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database (its URL is returned), registry, trust file and secrets that
    ``run_outbox_once`` finds through the environment, as in the running bot."""
    url = f"sqlite:///{tmp_path / 'bot-reports.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(tmp_path / "partners.yml"))
    monkeypatch.setenv("BOT_TRUST_FILE", str(tmp_path / "maintainers.yml"))
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path / "secrets"))
    return url


def _register(partners: list[Partner], vetted: bool = True) -> None:
    """Write ``partners`` to the registry file the bot reads, vetted by a maintainer of
    its trust file, or not at all when ``vetted`` is False (then the bot refuses it)."""
    path = runtime.partners_file()
    entries = [{"id": p.id, "name": p.name, "kind": p.kind, "countries": list(p.countries),
                "categories": list(p.categories), "languages": list(p.languages),
                "public_key": p.public_key, "verify_key": p.verify_key,
                "webhook_url": p.webhook_url} for p in partners]
    if vetted:
        maintainer = make_maintainer(path.parent)
        assert maintainer.trust_file == trust_file()
        write_registry(path, maintainer, partners=entries)
    else:
        path.write_text(yaml.safe_dump({"partners": entries}), encoding="utf-8")


def _expired_and_fresh(url: str, partners: list[Partner], destination: str
                       ) -> tuple[str, str]:
    """A report one day past its retention, and one made today."""
    [old] = _submit(url, partners, destination,
                    today=date.today() - timedelta(days=RETENTION_DAYS + 1))
    [fresh] = _submit(url, partners, destination, today=date.today())
    return old, fresh


def test_a_run_expires_first_then_delivers_past_a_partner_answering_garbage(
        bot_env: str) -> None:
    with partner_server(garbage) as bad, partner_server(ok) as good:
        partners = [_partner("bad", "QA", f"{bad.url}/reports"),
                    _partner("good", "AE", f"{good.url}/reports")]
        _register(partners)
        _expired, good_id = _expired_and_fresh(bot_env, partners, "AE")
        [bad_id] = _submit(bot_env, partners, "QA", today=date.today())
        assert run_outbox_once() == 1
    assert good.report_ids() == [good_id]  # the expired report was deleted, never sent
    assert bad.report_ids() == [bad_id]
    assert {report_id: state[:3] for report_id, state in _outbox(bot_env).items()} == {
        bad_id: (1, "BadStatusLine", None), good_id: (1, None, date.today())}
    assert _statuses(bot_env) == {bad_id: "received", good_id: "delivered"}


def test_with_the_registry_refused_expiry_still_runs_and_nothing_is_sent(
        bot_env: str) -> None:
    with partner_server(ok) as good:
        partners = [_partner("good", "AE", f"{good.url}/reports")]
        _expired, fresh = _expired_and_fresh(bot_env, partners, "AE")
        _register(partners, vetted=False)
        assert run_outbox_once() == 0
    assert good.received == []
    assert _statuses(bot_env) == {fresh: "received"}
    assert _outbox(bot_env) == {fresh: (0, None, None, 0)}


def test_when_delivery_raises_the_expired_report_is_deleted_all_the_same(
        bot_env: str) -> None:
    with partner_server(ok) as good:
        partners = [_partner("good", "AE", f"{good.url}/reports")]
        _expired, fresh = _expired_and_fresh(bot_env, partners, "AE")
        _register(partners)
        key_file = secrets_dir() / "webhook-signing.key"  # damaged: delivery cannot sign
        key_file.parent.mkdir(mode=0o700, exist_ok=True)
        key_file.write_bytes(b"not 32 bytes")
        key_file.chmod(0o600)
        with pytest.raises(KeyFileError, match="is not a 32-byte key"):
            run_outbox_once()
    assert good.received == []
    assert _statuses(bot_env) == {fresh: "received"}
    assert _outbox(bot_env) == {fresh: (0, None, None, 0)}


def test_two_servers_delivering_at_once_send_each_report_exactly_once(postgres_url) -> None:
    url = postgres_url.render_as_string(hide_password=False)
    with partner_server(slow_ok(1.0)) as slow:
        partners = [_partner("slow", "QA", f"{slow.url}/reports")]
        report_ids = _submit(url, partners, "QA", "QA", "QA", "QA")
        together = threading.Barrier(2)
        delivered: list[int] = []

        def one_server() -> None:
            together.wait()
            delivered.append(_deliver(url, partners))

        servers = [threading.Thread(target=one_server) for _ in range(2)]
        for server in servers:
            server.start()
        for server in servers:
            server.join()
    assert sorted(slow.report_ids()) == sorted(report_ids)  # four requests, one per report
    # Each server locked one item at a time while posting it, so they shared the work;
    # had one locked every due item at once, it would have sent all four.
    assert delivered == [2, 2]
    assert _outbox(url) == {report_id: (1, None, TODAY, 0) for report_id in report_ids}
