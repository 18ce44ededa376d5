"""Vetted partner registries for tests: a maintainer's trust file and signed entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from nacl.signing import SigningKey

from bot.reports.crypto import b64
from bot.reports.partners import Registry, load_registry
from bot.reports.vetting import load_maintainers, vetting_block

VETTED_ON = date(2026, 11, 30)


@dataclass(frozen=True)
class TestMaintainer:
    id: str
    signing_key: bytes
    trust_file: Path


def make_maintainer(directory: Path, maintainer_id: str = "test-maintainer") -> TestMaintainer:
    """A maintainer with a fresh key, listed in ``directory/maintainers.yml``."""
    signing = SigningKey.generate()
    trust_file = directory / "maintainers.yml"
    trust_file.write_text(yaml.safe_dump({"maintainers": [{
        "id": maintainer_id, "name": "Test Maintainer",
        "verify_key": b64(bytes(signing.verify_key))}]}), encoding="utf-8")
    return TestMaintainer(maintainer_id, bytes(signing), trust_file)


def vetted(section: str, entry: dict[str, Any], maintainer: TestMaintainer) -> dict[str, Any]:
    """``entry`` with the maintainer's vetting signature."""
    return {**entry, "vetted": vetting_block(section, entry, maintainer.id,
                                             maintainer.signing_key, VETTED_ON)}


def write_registry(path: Path, maintainer: TestMaintainer, partners: list[dict] = (),
                   consulates: list[dict] = ()) -> Path:
    """A registry at ``path`` whose every entry the maintainer vetted."""
    document = {"partners": [vetted("partners", entry, maintainer) for entry in partners],
                "consulates": [vetted("consulates", entry, maintainer) for entry in consulates]}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def load(path: Path, maintainer: TestMaintainer) -> Registry:
    """The registry at ``path`` as the bot loads it, trusting ``maintainer``."""
    return load_registry(path, load_maintainers(maintainer.trust_file))
