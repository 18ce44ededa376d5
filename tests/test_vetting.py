"""Vetting signatures: a known-answer vector, and every change or forgery refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.reports.vetting import (
    Maintainer,
    TrustFileError,
    load_maintainers,
    signed_message,
    vetting_block,
    vetting_problem,
)

SEED = bytes(range(32))
VERIFY_KEY = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
ENTRY = {"id": "helpline", "name": "Gulf Workers Helpline", "kind": "ngo", "countries": ["QA"],
         "public_key": "A" * 43 + "=", "verify_key": "B" * 43 + "=",
         "webhook_url": "https://helpline.example.org/reports"}
MESSAGE = (
    b'migrant-bot partner vetting v1\n{"entry":{"categories":["*"],"countries":["QA"],'
    b'"id":"helpline","kind":"ngo","languages":[],"name":"Gulf Workers Helpline",'
    b'"nationality":null,"priority":0,"public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    b'AAAAAAA=","verify_key":"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=","webhook_url":'
    b'"https://helpline.example.org/reports"},"section":"partners","vetted_on":"2026-11-30"}')
SIGNATURE = ("RYfRL7fOvXPIS2Kfv1sYXBpgYNIJ6LmLrS9bwv5ninKQQNqQ/EsEtpjVklO86HSTNVHXJysr4oIl2AZk37Bl"
             "Ag==")
MAINTAINERS = {"alice": Maintainer("alice", "Alice", VERIFY_KEY)}


def test_known_answer_vector():
    assert signed_message("partners", ENTRY, "2026-11-30") == MESSAGE
    assert vetting_block("partners", ENTRY, "alice", SEED, date(2026, 11, 30)) == {
        "by": "alice", "date": "2026-11-30", "signature": SIGNATURE}
    vetted = {**ENTRY, "vetted": {"by": "alice", "date": date(2026, 11, 30),
                                  "signature": SIGNATURE}}
    assert vetting_problem("partners", vetted, MAINTAINERS) is None


def test_defaults_are_signed_as_written_out():
    explicit = {**ENTRY, "categories": ["*"], "languages": [], "priority": 0}
    assert signed_message("partners", explicit, "2026-11-30") == MESSAGE


CHANGED = "it was changed after vetting, so it must be vetted again"


@pytest.mark.parametrize(("change", "problem"), [
    ({"webhook_url": "https://moi.example.org/reports"}, CHANGED),
    ({"countries": ["QA", "*"]}, CHANGED),
    ({"priority": 9}, CHANGED),
    ({"public_key": "C" * 43 + "="}, CHANGED),
    ({"vetted": {"by": "alice", "date": "2026-12-01", "signature": SIGNATURE}}, CHANGED),
    ({"vetted": {"by": "alice", "date": "2026-11-30", "signature": SIGNATURE[:-8] + "AAAAAA=="}},
     CHANGED),
    ({"vetted": {"by": "alice", "date": "2026-11-30", "signature": SIGNATURE[:40]}}, CHANGED),
    ({"vetted": {"by": "alice", "date": "2026-11-30", "signature": "not base64!"}}, CHANGED),
    ({"vetted": {"by": "mallory", "date": "2026-11-30", "signature": SIGNATURE}},
     "vetted by 'mallory', who is not in the trust file"),
    ({"vetted": None}, "not vetted: a maintainer must sign it "
                       "(`python -m bot partner vet ID --key FILE`)"),
])
def test_a_changed_or_forged_entry_is_refused(change, problem):
    vetted = {**ENTRY, "vetted": {"by": "alice", "date": "2026-11-30", "signature": SIGNATURE}}
    vetted.update(change)
    found = vetting_problem("partners", vetted, MAINTAINERS)
    assert found == problem if problem != CHANGED else found.endswith(CHANGED)


def test_the_same_signature_does_not_vet_a_consulate():
    vetted = {**ENTRY, "vetted": {"by": "alice", "date": "2026-11-30", "signature": SIGNATURE}}
    assert vetting_problem("consulates", vetted, MAINTAINERS).endswith(CHANGED)


def test_trust_file(tmp_path):
    assert load_maintainers(tmp_path / "missing.yml") == {}
    path = tmp_path / "maintainers.yml"
    path.write_text(f"maintainers:\n  - {{id: alice, name: Alice, verify_key: '{VERIFY_KEY}'}}\n",
                    encoding="utf-8")
    assert load_maintainers(path) == MAINTAINERS
    path.write_text("maintainers:\n  - {id: bob, name: Bob, verify_key: 'short'}\n",
                    encoding="utf-8")
    with pytest.raises(TrustFileError, match="maintainer bob: verify_key is not a base64"):
        load_maintainers(path)
    path.write_text("maintainers:\n  - {id: bob}\n", encoding="utf-8")
    with pytest.raises(TrustFileError, match="maintainer 1 needs id, name and verify_key"):
        load_maintainers(path)
