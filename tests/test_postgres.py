"""The same stores on PostgreSQL, the production database: reports and the tracker store.

Each run creates a throw-away database (the ``postgres_url`` fixture, in conftest) on
the server at ``BOT_TEST_POSTGRES_URL`` (default: the local one with trust
authentication). Without a server the tests are skipped, unless
``BOT_TEST_POSTGRES=required`` (set by ``.ci/run``).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.reports import crypto
from bot.reports.db import session_scope
from bot.reports.outbox import deliver_due
from bot.reports.service import ReportDraft, add_reply, check_status, expire, submit
from bot.storage import tracker_store
from bot.storage.tracker_store import RedactingSQLTrackerStore
from tests.conftest import ROOT
from tests.support.registry import load, make_maintainer, write_registry

TODAY = date(2026, 11, 22)
ACCOUNT = "Madam locks the door at night and kept my passport"
PHONE = "+9779812345678"


def _all_rows_as_text(url) -> str:
    """Every value of every table of the database, as one string to search."""
    engine = create_engine(url, future=True)
    dump = []
    with engine.connect() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump.extend(value.hex() if isinstance(value, bytes | memoryview) else str(value)
                            for value in (bytes(v) if isinstance(v, memoryview) else v
                                          for v in row))
    engine.dispose()
    return "\n".join(dump)


def test_reports_on_postgres_are_sealed_answered_and_expire(tmp_path, postgres_url):
    encryption, signing = crypto.new_partner_keys()
    maintainer = make_maintainer(tmp_path)
    registry = write_registry(tmp_path / "partners.yml", maintainer, partners=[{
        "id": "helpline", "name": "Helpline", "kind": "ngo", "countries": ["LB"],
        "categories": ["*"], "languages": ["am"], "public_key": encryption.public_key,
        "verify_key": signing.public_key, "webhook_url": "https://helpline.example.org"}])
    partners = load(registry, maintainer).partners
    url = postgres_url.render_as_string(hide_password=False)
    draft = ReportDraft(categories=["confinement"], destination="LB", account=ACCOUNT,
                        contact=PHONE)
    with session_scope(url) as session:
        submission = submit(session, draft, partners, TODAY)
    with session_scope(url) as session:
        delivered = deliver_due(session, partners, crypto.unb64(signing.private_key), TODAY,
                                post=lambda _url, _body, _headers: 200)
        assert delivered == 1
        assert add_reply(session, submission.report_id, "helpline", "We can help.", TODAY)

    stored = _all_rows_as_text(postgres_url)
    assert "confinement" in stored  # the routing fields are there, in clear
    for secret in (ACCOUNT, "Madam", PHONE, PHONE[1:], submission.code, "We can help"):
        assert secret not in stored
        assert secret.encode().hex() not in stored

    with session_scope(url) as session:
        status = check_status(session, submission.code.lower(), "conversation-1", now=1.0)
        assert status.found and status.replies == ["We can help."]
        assert not check_status(session, "K7QM-3X9P-2D0A", "conversation-1", now=2.0).found
        assert expire(session, TODAY.replace(year=2027, month=6)) == 1
    assert _all_rows_as_text(postgres_url).count(submission.report_id) == 0


def test_tracker_store_on_postgres_keeps_no_text_and_forgets(tmp_path, monkeypatch,
                                                            postgres_url):
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path / "secrets"))
    tracker_store._slot_box.cache_clear()
    domain = Domain.from_file(ROOT / "domain.yml")
    store = RedactingSQLTrackerStore(
        domain, dialect="postgresql", host=postgres_url.host, port=postgres_url.port,
        db=postgres_url.database, username=postgres_url.username,
        password=postgres_url.password)
    sender = "pseudonym-" + uuid.uuid4().hex[:8]
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"),
        UserUttered(ACCOUNT, intent={"name": "inform", "confidence": 0.9},
                    parse_data={"text": ACCOUNT, "intent": {"name": "inform"}},
                    metadata={"language_hint": "am"}),
        SlotSet("report_account", ACCOUNT),
        SlotSet("report_contact", PHONE),
    ], domain.slots)
    asyncio.run(store.save(tracker))

    stored = _all_rows_as_text(postgres_url)
    assert sender in stored
    assert ACCOUNT not in stored and PHONE not in stored
    restored = asyncio.run(store.retrieve(sender))
    assert restored.get_slot("report_account") == ACCOUNT

    restored.update(UserUttered("forget me", intent={"name": "forget", "confidence": 0.9}))
    restored.update(SlotSet("forget", True))
    asyncio.run(store.save(restored))
    assert sender not in _all_rows_as_text(postgres_url)
    assert asyncio.run(store.retrieve(sender)) is None
    tracker_store._slot_box.cache_clear()


def test_the_aggregate_counters_add_up_on_postgresql(postgres_url):
    from bot import indicators

    url = postgres_url.render_as_string(hide_password=False)
    for _ in range(3):
        with session_scope(url) as session:
            indicators.count_question(session, "wages", "ne", "sms", TODAY)
    with session_scope(url) as session:
        indicators.count_report(session, ["withheld_wages"], "NP", "QA", TODAY)
        assert indicators.totals(session, "question_topic") == {"wages": 3}
        assert indicators.totals(session, "report_corridor")["NP-QA"] == 1
