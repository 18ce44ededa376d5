"""Reports: sealed storage, delivery after failure, expiry, codes, consulate summaries.

The registry's own rules (vetting, enforcement refused, routing) are in test_partners.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from nacl.signing import SigningKey
from sqlalchemy import func, select

from bot.privacy import receipt_lookup_key
from bot.reports import crypto, service
from bot.reports.db import CodeAttempt, OutboxItem, Reply, ReplyNonce, Report, session_scope
from bot.reports.outbox import SIGNATURE_HEADER, deliver_due
from bot.reports.partner_tools import PartnerToolError, open_delivery, read_key_file, signed_reply
from bot.reports.partners import Registry, load_registry
from bot.reports.service import (
    MAX_FAILED_ATTEMPTS,
    REPORT_LOCK_FAILURES,
    ReportDraft,
    add_reply,
    check_status,
    expire,
    fresh_reply,
    submit,
)
from bot.reports.vetting import load_maintainers
from tests.support.registry import make_maintainer, write_registry

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _deployment_keys(secrets_dir):
    """Every test gets its own receipt-lookup key, in a temporary BOT_SECRETS_DIR."""


@pytest.fixture
def partner_keys():
    return crypto.new_partner_keys()


def _registry(tmp_path: Path, partner_keys, **overrides) -> Path:
    encryption, signing = partner_keys
    entry = {"id": "helpline-qa", "name": "Migrant Workers Helpline", "kind": "ngo",
             "countries": ["QA", "AE"], "categories": ["*"], "languages": ["en", "ne"],
             "public_key": encryption.public_key, "verify_key": signing.public_key,
             "webhook_url": "https://partner.example.org/reports"}
    entry.update(overrides)
    return write_registry(tmp_path / "partners.yml", make_maintainer(tmp_path), [entry])


def _load(path: Path) -> Registry:
    """The registry as the bot loads it, trusting the maintainer who vetted it."""
    return load_registry(path, load_maintainers(path.parent / "maintainers.yml"))


def load_partners(path: Path) -> list:
    return _load(path).partners


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reports.db'}"


def _draft(**overrides) -> ReportDraft:
    values = {"categories": ["withheld_wages", "passport_kept"], "destination": "QA",
              "account": "Madam keeps my passport and has not paid me since June.",
              "employer": "Al Example Trading", "city": "Al Wakrah"}
    values.update(overrides)
    return ReportDraft(**values)


def test_report_is_stored_sealed_and_only_the_partner_can_read_it(tmp_path, partner_keys,
                                                                   db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        submission = submit(session, _draft(), partners, TODAY)
        report_id = submission.report_id
    raw = (tmp_path / "reports.db").read_bytes()
    for secret in (b"Madam keeps my passport", b"Al Example Trading", b"Al Wakrah",
                   submission.code.encode()):
        assert secret not in raw
    with session_scope(db_url) as session:
        report = session.get(Report, report_id)
        body = json.loads(crypto.unseal(partner_keys[0].private_key, report.sealed_body))
        assert body["account"].startswith("Madam keeps my passport")
        assert report.severity == "document_retention"


def test_no_covering_partner_means_nothing_is_stored(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        assert submit(session, _draft(destination="LB"), partners, TODAY) is None
        assert session.execute(select(func.count(Report.id))).scalar() == 0


def test_delivery_is_retried_until_the_partner_comes_back(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    sent: list[tuple[str, bytes, dict]] = []
    answers = iter([OSError("connection refused"), 503, 200])

    def flaky_post(url, body, headers):
        sent.append((url, body, headers))
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    signing_key = crypto.unb64(crypto.new_partner_keys()[1].private_key)
    with session_scope(db_url) as session:
        report_id = submit(session, _draft(), partners, TODAY).report_id
    now = 1_000_000.0
    for _ in range(3):
        with session_scope(db_url) as session:
            deliver_due(session, partners, signing_key, TODAY, now=now, post=flaky_post)
        now += 4000  # past any backoff
    with session_scope(db_url) as session:
        item = session.execute(select(OutboxItem)).scalar_one()
        assert item.delivered_on == TODAY and item.attempts == 3
        assert session.get(Report, report_id).status == "delivered"
        assert deliver_due(session, partners, signing_key, TODAY, now=now, post=flaky_post) == 0
    assert len(sent) == 3 and {url for url, _, _ in sent} == {partners[0].webhook_url}
    body, headers = sent[-1][1], sent[-1][2]
    verify_key = crypto.b64(bytes(SigningKey(signing_key).verify_key))
    assert crypto.verify_signature(verify_key, body, headers[SIGNATURE_HEADER])
    assert b"Madam" not in body


def test_receipt_code_unlocks_status_and_reply_and_a_wrong_code_reveals_nothing(
        tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        submission = submit(session, _draft(), partners, TODAY)
        assert add_reply(session, submission.report_id, "helpline-qa",
                         "We called your embassy; write to us at any time.", TODAY)
        assert not add_reply(session, submission.report_id, "someone-else", "x", TODAY)
    typed = submission.code.lower().replace("-", " ")
    with session_scope(db_url) as session:
        result = check_status(session, typed, "conversation-1")
    assert result.found and result.status == "answered"
    assert result.replies == ["We called your embassy; write to us at any time."]
    wrong = submission.code[:-1] + ("0" if submission.code[-1] != "0" else "1")
    with session_scope(db_url) as session:
        result = check_status(session, wrong, "conversation-2")
    assert result == type(result)(found=False)
    raw = (tmp_path / "reports.db").read_bytes()
    assert b"We called your embassy" not in raw


def test_wrong_codes_are_rate_limited(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        code = submit(session, _draft(), partners, TODAY).code
    for _ in range(MAX_FAILED_ATTEMPTS):
        with session_scope(db_url) as session:
            assert not check_status(session, "AAAA-BBBB-CCCC", "guesser", now=5000).found
    with session_scope(db_url) as session:
        limited = check_status(session, code, "guesser", now=5001)
    assert limited.rate_limited and not limited.found
    with session_scope(db_url) as session:
        assert check_status(session, code, "guesser", now=5000 + 3601).found


def _wrong_rest(code: str) -> str:
    """The code with its first group right and the rest wrong."""
    return code[:5] + ("0000-0000" if code[5:] != "0000-0000" else "1111-1111")


def test_the_lookup_is_an_hmac_and_the_first_group_is_nowhere(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        submission = submit(session, _draft(), partners, TODAY)
    group = submission.code.split("-")[0]
    expected = hmac.new(receipt_lookup_key(), group.encode(), hashlib.sha256).hexdigest()
    with session_scope(db_url) as session:
        assert session.get(Report, submission.report_id).lookup == expected
    assert group.encode() not in (tmp_path / "reports.db").read_bytes()


def test_a_missing_lookup_costs_the_same_argon2_work(tmp_path, partner_keys, db_url,
                                                      monkeypatch):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        code = submit(session, _draft(), partners, TODAY).code
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        """The real Argon2 hasher, noting the parameters of each hash it verifies."""

        def verify(self, code_hash, typed):
            verified.append(code_hash.split("$")[3])  # m=...,t=...,p=...
            return super().verify(code_hash, typed)

    monkeypatch.setattr(crypto, "_HASHER", CountingHasher())
    with session_scope(db_url) as session:
        assert not check_status(session, "ZZZZ-0000-0000", "c1", now=10.0).found
        assert not check_status(session, _wrong_rest(code), "c2", now=10.0).found
    assert verified == [verified[0], verified[0]] and verified[0].startswith("m=")


def test_a_report_is_locked_after_wrong_codes_from_any_sender_then_opens(
        tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        code = submit(session, _draft(), partners, TODAY).code
    for sender in range(REPORT_LOCK_FAILURES):
        with session_scope(db_url) as session:
            assert not check_status(session, _wrong_rest(code), f"new-sender-{sender}",
                                    now=100.0).found
    with session_scope(db_url) as session:
        locked = check_status(session, code, "the-reporter", now=101.0)
        assert (locked.found, locked.rate_limited) == (False, True)
        # Other reports are not locked, and the lock ends.
        assert not check_status(session, "ZZZZ-0000-0000", "other", now=101.0).rate_limited
        assert check_status(session, code, "the-reporter", now=100.0 + 901).found


def test_a_global_limit_stops_guessing_from_many_senders(tmp_path, partner_keys, db_url,
                                                        monkeypatch):
    monkeypatch.setattr(service, "GLOBAL_MAX_FAILURES", 3)
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        code = submit(session, _draft(), partners, TODAY).code
    for sender in range(3):
        with session_scope(db_url) as session:
            assert not check_status(session, f"ZZZ{sender}-0000-0000", f"bot-{sender}",
                                    now=100.0).rate_limited
    with session_scope(db_url) as session:
        assert check_status(session, code, "anyone", now=101.0).rate_limited
        assert check_status(session, code, "anyone", now=100.0 + 601).found


def test_attempt_rows_name_nobody_and_expire(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        submit(session, _draft(), partners, TODAY)
        check_status(session, "ZZZZ-0000-0000", "conversation-pseudonym", now=100.0)
        keys = session.execute(select(CodeAttempt.key)).scalars().all()
        unkeyed = hashlib.blake2b(b"conversation-pseudonym", digest_size=16).hexdigest()
        assert len(keys) == 3 and unkeyed not in keys
        assert all(len(key) == 64 and "conversation" not in key for key in keys)
        check_status(session, "ZZZZ-0000-0000", "someone-else", now=100.0 + 3601)
        assert session.execute(select(func.count(CodeAttempt.key))).scalar() == 3


def test_row_ids_are_random_not_numbered(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        first = submit(session, _draft(), partners, TODAY)
        submit(session, _draft(), partners, TODAY)
        assert add_reply(session, first.report_id, "helpline-qa", "We can help.", TODAY)
    with session_scope(db_url) as session:
        ids = session.execute(select(OutboxItem.id)).scalars().all()
        ids += session.execute(select(Reply.id)).scalars().all()
    assert len(ids) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)


def test_a_signed_reply_is_accepted_once_and_only_while_fresh(db_url):
    with session_scope(db_url) as session:
        assert fresh_reply(session, "helpline", "n1", sent_at=1000, now=1000.0)
        assert not fresh_reply(session, "helpline", "n1", sent_at=1000, now=1001.0)  # replay
        assert fresh_reply(session, "other-partner", "n1", sent_at=1000, now=1001.0)
        assert not fresh_reply(session, "helpline", "n2", sent_at=1000, now=1000.0 + 601)
        assert not fresh_reply(session, "helpline", "n3", sent_at=2000, now=1000.0)  # ahead
        # Nonces are forgotten once no reply that old could be accepted anyway.
        assert fresh_reply(session, "helpline", "n4", sent_at=5000, now=5000.0)
        assert session.execute(select(func.count(ReplyNonce.key))).scalar() == 1


def test_expiry_deletes_everything_belonging_to_a_report(tmp_path, partner_keys, db_url):
    partners = load_partners(_registry(tmp_path, partner_keys))
    with session_scope(db_url) as session:
        old = submit(session, _draft(), partners, TODAY - timedelta(days=200))
        add_reply(session, old.report_id, "helpline-qa", "reply", TODAY)
        recent = submit(session, _draft(), partners, TODAY)
    with session_scope(db_url) as session:
        assert expire(session, TODAY) == 1
    with session_scope(db_url) as session:
        assert session.get(Report, old.report_id) is None
        assert session.execute(select(func.count(Reply.id))).scalar() == 0
        remaining = session.execute(select(OutboxItem.report_id)).scalars().all()
        assert remaining == [recent.report_id]
        assert session.execute(select(func.count(CodeAttempt.key))).scalar() == 0


def _delivered_body(tmp_path: Path, partner_keys, db_url: str) -> bytes:
    partners = load_partners(_registry(tmp_path, partner_keys))
    sent: list[bytes] = []

    def post(_url, body, _headers):
        sent.append(body)
        return 200

    with session_scope(db_url) as session:
        submit(session, _draft(), partners, TODAY)
        deliver_due(session, partners, crypto.unb64(partner_keys[1].private_key), TODAY,
                    post=post)
    return sent[0]


def test_partner_tool_opens_a_delivery_with_its_own_key_only(tmp_path, partner_keys, db_url):
    delivery = _delivered_body(tmp_path, partner_keys, db_url)
    opened = open_delivery(delivery, partner_keys[0].private_key)
    assert opened["report"]["account"].startswith("Madam keeps my passport")
    assert opened["destination"] == "QA" and "document_retention" in opened["severity"]
    with pytest.raises(PartnerToolError, match="another partner's key"):
        open_delivery(delivery, crypto.new_partner_keys()[0].private_key)
    with pytest.raises(PartnerToolError, match="not a report delivery"):
        open_delivery(b"<html>", partner_keys[0].private_key)


def test_partner_tool_reads_the_keygen_file_and_signs_replies_the_bot_accepts(tmp_path):
    from bot.cli import main

    key_file = tmp_path / "helpline.partner-keys"
    assert main(["partner", "keygen", "--id", "helpline", "--out", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o077 == 0
    keys = read_key_file(key_file)
    body, signature = signed_reply("helpline", "r1", "We will call the employer.",
                                   keys["signing_key"])
    verify_key = crypto.b64(bytes(SigningKey(crypto.unb64(keys["signing_key"])).verify_key))
    assert crypto.verify_signature(verify_key, body, signature)
    assert not crypto.verify_signature(verify_key, body.replace(b"r1", b"r2"), signature)
    (tmp_path / "broken").write_text("not: keys", encoding="utf-8")
    with pytest.raises(PartnerToolError, match="not a key file"):
        read_key_file(tmp_path / "broken")


def _with_consulate(tmp_path: Path, partner_keys, consulate_keys, **overrides) -> Path:
    encryption, signing = partner_keys
    partner = {"id": "helpline-qa", "name": "Migrant Workers Helpline", "kind": "ngo",
               "countries": ["QA", "AE"], "categories": ["*"], "languages": ["en", "ne"],
               "public_key": encryption.public_key, "verify_key": signing.public_key,
               "webhook_url": "https://partner.example.org/reports"}
    consulate = {"id": "np-embassy-doha", "name": "Embassy of Nepal, Doha", "kind": "embassy",
                 "nationality": "NP", "countries": ["QA"],
                 "public_key": consulate_keys[0].public_key,
                 "webhook_url": "https://np-embassy.example.org/summaries"}
    consulate.update(overrides)
    return write_registry(tmp_path / "partners.yml", make_maintainer(tmp_path), [partner],
                          [consulate])


def test_consented_summary_goes_sealed_to_the_consulate_without_the_account(
        tmp_path, partner_keys, db_url):
    consulate_keys = crypto.new_partner_keys()
    path = _with_consulate(tmp_path, partner_keys, consulate_keys)
    partners, consulates = _load(path).partners, _load(path).consulates
    assert [c.id for c in consulates] == ["np-embassy-doha"] and len(partners) == 1
    draft = _draft(consent_consulate=True, nationality="NP", contact="+97455123456")
    with session_scope(db_url) as session:
        submission = submit(session, draft, partners, TODAY, consulates=consulates)
        assert submission.consulate.id == "np-embassy-doha"
        # Without consent, or for another nationality, no summary is queued.
        assert submit(session, _draft(nationality="NP"), partners, TODAY,
                      consulates=consulates).consulate is None
        assert submit(session, _draft(consent_consulate=True, nationality="BD"), partners,
                      TODAY, consulates=consulates).consulate is None

    sent: dict[str, list[bytes]] = {}

    def post(url, body, _headers):
        sent.setdefault(url, []).append(body)
        return 200

    signing_key = crypto.unb64(crypto.new_partner_keys()[1].private_key)
    with session_scope(db_url) as session:
        assert deliver_due(session, partners + consulates, signing_key, TODAY, post=post) == 4
        summary_item = session.execute(select(OutboxItem).where(
            OutboxItem.partner_id == "np-embassy-doha")).scalar_one()
        assert summary_item.sealed_payload is None  # delivered: no copy kept
        assert session.get(Report, submission.report_id).status == "delivered"
    [delivery] = sent["https://np-embassy.example.org/summaries"]
    opened = open_delivery(delivery, consulate_keys[0].private_key)
    assert opened["kind"] == "consulate_summary"
    summary = opened["report"]
    assert summary["nationality"] == "NP" and summary["destination"] == "QA"
    assert summary["employer"] == "Al Example Trading"
    assert "document_retention" in summary["severity"]
    assert "Madam" not in json.dumps(summary) and "+97455123456" not in json.dumps(summary)
    assert b"Madam" not in delivery
    with pytest.raises(PartnerToolError):  # the partner's key cannot open it
        open_delivery(delivery, partner_keys[0].private_key)
