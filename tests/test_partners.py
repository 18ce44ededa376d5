"""The partner registry: only vetted, non-enforcement entries; routing by one rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.reports import crypto
from bot.reports.partners import (
    Partner,
    PartnerRegistryError,
    check_registry,
    load_registry,
    route,
    route_consulate,
)
from bot.reports.vetting import load_maintainers, trust_file
from tests.support.registry import make_maintainer, vetted, write_registry

ROOT = Path(__file__).resolve().parent.parent
KEYS = crypto.new_partner_keys()


def _partner(**overrides) -> dict:
    entry = {"id": "helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
             "countries": ["QA"], "categories": ["*"], "languages": ["en"],
             "public_key": KEYS[0].public_key, "verify_key": KEYS[1].public_key,
             "webhook_url": "https://helpline.example.org/reports"}
    entry.update(overrides)
    return entry


def _consulate(**overrides) -> dict:
    entry = {"id": "np-embassy-doha", "name": "Embassy of Nepal, Doha", "kind": "embassy",
             "nationality": "NP", "countries": ["QA"], "public_key": KEYS[0].public_key,
             "webhook_url": "https://np-embassy.example.org/summaries"}
    entry.update(overrides)
    return entry


def test_the_shipped_registry_passes_the_check():
    registry, problems = check_registry(ROOT / "content" / "partners.yml",
                                        load_maintainers(trust_file()))
    assert problems == []
    assert (registry.partners, registry.consulates) == ([], [])


def test_a_vetted_registry_loads(tmp_path):
    maintainer = make_maintainer(tmp_path)
    path = write_registry(tmp_path / "partners.yml", maintainer, [_partner()], [_consulate()])
    registry = load_registry(path, load_maintainers(maintainer.trust_file))
    assert [p.id for p in registry.partners] == ["helpline"]
    assert registry.consulates[0].nationality == "NP"
    assert registry.partners[0] == Partner(
        "helpline", "Gulf Workers Helpline", "ngo", ("QA",), ("*",), ("en",),
        KEYS[0].public_key, KEYS[1].public_key, "https://helpline.example.org/reports")


def test_unvetted_or_edited_entries_refuse_the_registry_with_every_reason(tmp_path):
    maintainer = make_maintainer(tmp_path)
    edited = vetted("partners", _partner(id="edited"), maintainer)
    edited["webhook_url"] = "https://elsewhere.example.org/reports"
    path = tmp_path / "partners.yml"
    path.write_text(yaml.safe_dump({"partners": [_partner(id="unvetted"), edited]}),
                    encoding="utf-8")
    registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
    assert registry.partners == []
    assert problems == [
        f"{path}: partner 1 (unvetted): not vetted: a maintainer must sign it "
        "(`python -m bot partner vet ID --key FILE`)",
        f"{path}: partner 2 (edited): the vetting signature by test-maintainer does not "
        "match the entry: it was changed after vetting, so it must be vetted again"]
    with pytest.raises(PartnerRegistryError, match="partner 1 .*\n.*partner 2"):
        load_registry(path, load_maintainers(maintainer.trust_file))


ENFORCEMENT = [
    {"name": "ICE"},
    {"name": "Homeland Security Investigations"},
    {"name": "Jabatan Imigresen Malaysia"},
    {"name": "Kawanihan ng Imigrasyon"},
    {"name": "المديرية العامة للأمن العام"},
    {"name": "Royal Malaysia P\u03bflice"},
    {"name": "Immi\u00adgration Department"},
    {"name": "\uff29\uff2d\uff2d\uff29\uff27\uff32\uff21\uff34\uff29\uff2f\uff2e"},
    {"webhook_url": "https://intake.ice.gov/tips"},
    {"webhook_url": "https://www.rmp.gov.my/reports"},
    {"webhook_url": "http://localhost.attacker.example/reports"},
]


@pytest.mark.parametrize("change", ENFORCEMENT)
def test_partner_check_refuses_every_enforcement_example_even_when_vetted(tmp_path, change,
                                                                          capsys, monkeypatch):
    maintainer = make_maintainer(tmp_path)
    monkeypatch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
    path = write_registry(tmp_path / "partners.yml", maintainer, [_partner(**change)])
    assert main(["partner", "check", str(path)]) == 1
    output = capsys.readouterr().out
    assert ("looks like an enforcement body" in output or "must use https" in output), output
    assert output.endswith("partner check: 1 problems: the bot refuses this registry and "
                           "keeps using the last one that passed\n")


def test_an_embassy_whose_webhook_is_the_interior_ministry_is_refused(tmp_path):
    maintainer = make_maintainer(tmp_path)
    path = write_registry(tmp_path / "partners.yml", maintainer, [_partner()], [
        _consulate(webhook_url="https://portal.moi.gov.qa/reports")])
    _registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
    assert problems == [f"{path}: consulate 1 (np-embassy-doha): looks like an enforcement "
                        "body ('moi'). Reports are never shared with immigration, police or "
                        "border services; register only organisations that help workers"]


def test_partner_check_accepts_genuine_organisations(tmp_path, capsys, monkeypatch):
    maintainer = make_maintainer(tmp_path)
    monkeypatch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
    names = ["Migrant Forum in Asia", "Tenaganita", "Justice Centre Hong Kong",
             "Pourakhi Nepal", "منظمة كفى عنف واستغلال", "Sin Fronteras IAP",
             "移民工人權益協會", "Blas F. Ople Policy Center"]
    entries = [_partner(id=f"ngo-{number}", name=name) for number, name in enumerate(names)]
    path = write_registry(tmp_path / "partners.yml", maintainer, entries, [_consulate()])
    assert main(["partner", "check", str(path)]) == 0
    assert capsys.readouterr().out == (f"partner check: 8 partners and 1 consulates, all "
                                       f"vetted by maintainers in {maintainer.trust_file}\n")


@pytest.mark.parametrize(("change", "problem"), [
    ({"kind": "law_enforcement"}, "looks like an enforcement body ('enforcement')"),
    ({"kind": "company"}, "kind must be one of ngo, trade_union, legal_aid, shelter"),
    ({"public_key": "short"}, "'public_key' must be a base64 32-byte key"),
    ({"categories": ["gossip"]}, "unknown categories ['gossip']"),
    ({"countries": "QA"}, "countries, categories and languages must be lists of codes"),
    ({"priority": "high"}, "priority must be a whole number"),
    ({"webhook_url": "https://helpline.example.org/a b"},
     "webhook_url has spaces or invisible characters"),
])
def test_each_mistake_is_named(tmp_path, change, problem):
    maintainer = make_maintainer(tmp_path)
    path = write_registry(tmp_path / "partners.yml", maintainer, [_partner(**change)])
    _registry, problems = check_registry(path, load_maintainers(maintainer.trust_file))
    assert problem in problems[0], problems
    # A kind that names enforcement is refused twice: as enforcement and as a kind.
    assert len(problems) == (2 if change.get("kind") == "law_enforcement" else 1), problems


def test_broken_yaml_is_one_clear_problem(tmp_path):
    path = tmp_path / "partners.yml"
    path.write_text("partners: [\n  - id: x", encoding="utf-8")
    assert check_registry(path, {})[1] == [f"{path}: not valid YAML"]


def _routing_partner(partner_id: str, countries=("*",), categories=("*",), languages=(),
                     priority: int = 0) -> Partner:
    return Partner(partner_id, partner_id, "ngo", tuple(countries), tuple(categories),
                   tuple(languages), KEYS[0].public_key, KEYS[1].public_key,
                   f"https://{partner_id}.example.org", priority=priority)


def test_a_narrower_entry_does_not_capture_the_routing():
    genuine = _routing_partner("genuine-global", languages=("ne",))
    narrow = _routing_partner("narrow-qatar", countries=("QA",), categories=("passport_kept",))
    assert route([genuine, narrow], "QA", ["passport_kept"], "ne").id == "genuine-global"
    assert route([narrow, genuine], "QA", ["passport_kept"], "en").id == "narrow-qatar"
    assert route([narrow, genuine], "AE", ["passport_kept"], "en").id == "genuine-global"
    assert route([narrow], "QA", ["withheld_wages"], "en") is None


def test_priority_then_language_then_file_order_decide():
    first = _routing_partner("first")
    speaks_nepali = _routing_partner("speaks-nepali", languages=("ne",))
    preferred = _routing_partner("preferred", priority=1)
    assert route([first, speaks_nepali], "QA", ["other"], "ne").id == "speaks-nepali"
    assert route([first, speaks_nepali], "QA", ["other"], "en").id == "first"
    assert route([first, speaks_nepali, preferred], "QA", ["other"], "ne").id == "preferred"


def test_consulates_route_by_nationality_then_priority():
    ministry = Partner("np-ministry", "x", "consulate", ("*",), ("*",), (), KEYS[0].public_key,
                       "", "https://a.example.org", "NP")
    doha = Partner("np-doha", "x", "embassy", ("QA",), ("*",), (), KEYS[0].public_key, "",
                   "https://b.example.org", "NP", priority=1)
    assert route_consulate([ministry, doha], "NP", "QA").id == "np-doha"
    assert route_consulate([ministry, doha], "NP", "AE").id == "np-ministry"
    assert route_consulate([ministry, doha], "BD", "QA") is None
