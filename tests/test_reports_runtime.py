"""The registry in force: a refused registry leaves the last good one, never none."""

from __future__ import annotations

import logging

import pytest
import yaml

from bot.reports import crypto
from bot.reports.partners import PartnerRegistryError
from bot.reports.runtime import last_good_file, registry
from tests.support.registry import make_maintainer, write_registry

KEYS = crypto.new_partner_keys()


def _entry(partner_id: str, **overrides) -> dict:
    entry = {"id": partner_id, "name": "Gulf Workers Helpline", "kind": "ngo",
             "countries": ["QA"], "public_key": KEYS[0].public_key,
             "verify_key": KEYS[1].public_key,
             "webhook_url": f"https://{partner_id}.example.org/reports"}
    entry.update(overrides)
    return entry


@pytest.fixture
def setup(tmp_path, monkeypatch, secrets_dir):
    maintainer = make_maintainer(tmp_path)
    path = tmp_path / "partners.yml"
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(path))
    monkeypatch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
    return path, maintainer


def test_a_refused_registry_leaves_the_last_good_one_in_force(setup, caplog):
    path, maintainer = setup
    write_registry(path, maintainer, [_entry("helpline")])
    assert [p.id for p in registry().partners] == ["helpline"]
    assert last_good_file().read_bytes() == path.read_bytes()
    # A typo, then an unvetted entry that would take the reports: both refused.
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("kind: ngo", "kind: ngo\n  kind: ngo"), encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert [p.id for p in registry().partners] == ["helpline"]
    document = yaml.safe_load(good)
    document["partners"].insert(0, _entry("interloper", priority=5))
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert [p.id for p in registry().partners] == ["helpline"]
    assert [record.getMessage() for record in caplog.records] == [
        "partner registry refused, the last good one stays in force; run "
        "`python -m bot partner check` for the reasons"]


def test_without_a_good_registry_ever_reports_are_held(setup):
    path, _maintainer = setup
    path.write_text(yaml.safe_dump({"partners": [_entry("unvetted")]}), encoding="utf-8")
    with pytest.raises(PartnerRegistryError, match="no registry has passed the check yet"):
        registry()


def test_a_broken_trust_file_uses_no_partner(setup):
    path, maintainer = setup
    write_registry(path, maintainer, [_entry("helpline")])
    maintainer.trust_file.write_text("maintainers: [{id: x}]", encoding="utf-8")
    with pytest.raises(PartnerRegistryError, match="the trust file is invalid"):
        registry()
