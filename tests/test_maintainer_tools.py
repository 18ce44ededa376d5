"""Maintainers' commands: a vetting key, vetting an entry in place, refusing to vet."""

from __future__ import annotations

import yaml

from bot.cli import main
from bot.reports import crypto
from bot.reports.partners import check_registry
from bot.reports.vetting import load_maintainers

KEYS = crypto.new_partner_keys()
REGISTRY = f"""\
# Partner organisations (a caseworker's comment that must survive vetting).
partners:
  - id: helpline   # the Doha helpline
    name: Gulf Workers Helpline
    kind: ngo
    countries: [QA]
    public_key: {KEYS[0].public_key}
    verify_key: {KEYS[1].public_key}
    webhook_url: https://helpline.example.org/reports
  - id: raid-unit
    name: Immigration Enforcement Unit
    kind: ngo
    public_key: {KEYS[0].public_key}
    verify_key: {KEYS[1].public_key}
    webhook_url: https://raids.example.org/reports
consulates: []
"""


def _maintainer(tmp_path, monkeypatch, capsys):
    key_file = tmp_path / "alice.maintainer-key"
    assert main(["partner", "maintainer-keygen", "--id", "alice", "--name", "Alice",
                 "--out", str(key_file)]) == 0
    printed = capsys.readouterr().out
    entry = printed[printed.index("  - id: alice"):]
    trust = tmp_path / "maintainers.yml"
    trust.write_text("maintainers:\n" + entry, encoding="utf-8")
    monkeypatch.setenv("BOT_TRUST_FILE", str(trust))
    return key_file, trust


def test_maintainer_key_is_private_and_its_public_half_is_printed(tmp_path, monkeypatch,
                                                                  capsys):
    key_file, trust = _maintainer(tmp_path, monkeypatch, capsys)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert list(load_maintainers(trust)) == ["alice"]
    assert main(["partner", "maintainer-keygen", "--id", "alice", "--name", "Alice",
                 "--out", str(key_file)]) == 1
    assert "exists; a key is never overwritten" in capsys.readouterr().err


def test_vet_signs_the_entry_in_place_and_keeps_comments(tmp_path, monkeypatch, capsys):
    key_file, trust = _maintainer(tmp_path, monkeypatch, capsys)
    registry = tmp_path / "partners.yml"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert main(["partner", "vet", "helpline", "--key", str(key_file),
                 "--registry", str(registry)]) == 0
    assert capsys.readouterr().out == f"vetted helpline in partners of {registry}\n"
    text = registry.read_text(encoding="utf-8")
    assert "# Partner organisations (a caseworker's comment that must survive vetting)." in text
    assert "  - id: helpline   # the Doha helpline" in text
    vetted = yaml.safe_load(text)["partners"][0]["vetted"]
    assert vetted["by"] == "alice" and len(crypto.unb64(vetted["signature"])) == 64
    registry_now, problems = check_registry(registry, load_maintainers(trust))
    assert [p.id for p in registry_now.partners] == ["helpline"]
    assert len(problems) == 2 and all("(raid-unit)" in problem for problem in problems)


def test_nobody_can_vet_an_enforcement_body(tmp_path, monkeypatch, capsys):
    key_file, _trust = _maintainer(tmp_path, monkeypatch, capsys)
    registry = tmp_path / "partners.yml"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert main(["partner", "vet", "raid-unit", "--key", str(key_file),
                 "--registry", str(registry)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: not vetted:\n")
    assert "looks like an enforcement body ('immigration')" in error
    assert registry.read_text(encoding="utf-8") == REGISTRY
    assert [path.name for path in tmp_path.iterdir() if "vetting" in path.name] == []


def test_a_key_outside_the_trust_file_cannot_vet(tmp_path, monkeypatch, capsys):
    _key_file, trust = _maintainer(tmp_path, monkeypatch, capsys)
    other = tmp_path / "mallory.maintainer-key"
    assert main(["partner", "maintainer-keygen", "--id", "alice", "--name", "Mallory",
                 "--out", str(other)]) == 0
    capsys.readouterr()
    registry = tmp_path / "partners.yml"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert main(["partner", "vet", "helpline", "--key", str(other),
                 "--registry", str(registry)]) == 1
    assert capsys.readouterr().err == (f"error: {other} is not the key of a maintainer in "
                                       f"{trust}\n")
    assert main(["partner", "vet", "nobody", "--key", str(_key_file),
                 "--registry", str(registry)]) == 1
    assert capsys.readouterr().err == f"error: no entry with id 'nobody' in {registry}\n"
