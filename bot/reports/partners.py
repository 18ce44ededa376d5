"""The partner registry (``content/partners.yml``): who may receive reports.

Only organisations that help workers may be registered as partners: NGOs, trade
unions, legal aid, shelters. The ``consulates`` list holds the consulates and
embassies of workers' own countries, which receive a short summary (never the
account) when the reporter consents to it.

An entry is used only when all of these hold (``python -m bot partner check``):

- a maintainer listed in the trust file signed it as it stands (:mod:`bot.reports.vetting`);
- nothing in its id, name, kind or webhook names an enforcement body, however it is
  spelt (:mod:`bot.reports.enforcement`), so that no mistake and no trick can send a
  report toward immigration or police;
- its webhook is https, with a host that is not a government police, interior,
  immigration or border service.

Any problem refuses the whole registry with every reason; the running bot then keeps
the last registry that passed (:mod:`bot.reports.runtime`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.reports.crypto import unb64
from bot.reports.enforcement import UnsafeUrl, enforcement_term, url_words, webhook_host
from bot.reports.vetting import Maintainer, vetting_problem
from bot.settings import settings

ALLOWED_KINDS = ("ngo", "trade_union", "legal_aid", "shelter")
CONSULATE_KINDS = ("consulate", "embassy")
# How reports reach an entry: signed POSTs to its webhook_url, or kept sealed in our
# database for its staff to read in the review console (bot/console/).
DELIVERIES = ("webhook", "console")
CATEGORIES = ("withheld_wages", "passport_kept", "confinement", "violence_or_threats",
              "sexual_abuse", "debt_or_illegal_fees", "contract_substitution",
              "excessive_hours", "other")


class PartnerRegistryError(ValueError):
    """The registry may not be used; the message names the file, each entry and why."""


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    kind: str
    countries: tuple[str, ...]  # destinations covered
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    public_key: str  # reports are sealed to it
    verify_key: str  # the partner signs its replies with the matching key ("" if none)
    webhook_url: str
    nationality: str | None = None  # a consulate's: whose nationals it serves
    priority: int = 0  # set by the vetting maintainer: the higher wins routing
    delivery: str = "webhook"  # or "console": webhook_url is then ""

    def covers(self, destination: str | None, categories: list[str]) -> bool:
        country_ok = destination in self.countries or "*" in self.countries
        category_ok = "*" in self.categories or bool(set(categories) & set(self.categories))
        return country_ok and category_ok


@dataclass(frozen=True)
class Registry:
    partners: list[Partner]
    consulates: list[Partner]


def allow_loopback_http() -> bool:
    """Plain http to 127.0.0.1 (tests, a one-machine demo), never in production."""
    return not settings().in_production


def check_registry(path: Path, maintainers: dict[str, Maintainer]) -> tuple[Registry, list[str]]:
    """The usable entries of the registry at ``path``, and every problem found."""
    if not path.exists():
        return Registry([], []), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return Registry([], []), [f"{path}: not valid YAML"]
    if not isinstance(data, dict):
        return Registry([], []), [f"{path}: must be a mapping with 'partners' and 'consulates'"]
    problems: list[str] = []
    lists: list[list[Partner]] = []
    for section, kinds in (("partners", ALLOWED_KINDS), ("consulates", CONSULATE_KINDS)):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            problems.append(f"{path}: '{section}' must be a list")
            entries = []
        usable = []
        for index, entry in enumerate(entries):
            partner, entry_problems = _entry(section, entry, kinds, maintainers)
            where = f"{path}: {section.rstrip('s')} {index + 1}"
            if isinstance(entry, dict):
                where += f" ({entry.get('id', '?')})"
            problems += [f"{where}: {problem}" for problem in entry_problems]
            if partner is not None and not entry_problems:
                usable.append(partner)
        lists.append(usable)
    ids = [entry.id for entries in lists for entry in entries]
    if len(ids) != len(set(ids)):
        problems.append(f"{path}: two entries share an id")
    return Registry(lists[0], lists[1]), problems


def check_with_trust_file(path: Path) -> tuple[Registry, list[str]]:
    """:func:`check_registry` against the trust file in force (``BOT_TRUST_FILE``); a
    trust file that cannot be read is one more problem. What ``partner check`` and
    ``content check`` report."""
    from bot.reports.vetting import TrustFileError, load_maintainers, trust_file

    try:
        maintainers = load_maintainers(trust_file())
    except TrustFileError as exc:
        return Registry([], []), [str(exc)]
    return check_registry(path, maintainers)


def load_registry(path: Path, maintainers: dict[str, Maintainer]) -> Registry:
    """The registry at ``path``, or :class:`PartnerRegistryError` with every problem."""
    registry, problems = check_registry(path, maintainers)
    if problems:
        raise PartnerRegistryError("\n".join(problems))
    return registry


def _entry(section: str, entry: Any, kinds: tuple[str, ...],
           maintainers: dict[str, Maintainer]) -> tuple[Partner | None, list[str]]:
    if not isinstance(entry, dict):
        return None, ["must be a mapping"]
    problems = []
    consulate = section == "consulates"
    delivery = entry.get("delivery", "webhook")
    if delivery not in DELIVERIES:
        return None, [f"delivery must be one of {', '.join(DELIVERIES)}"]
    on_console = delivery == "console"
    if on_console and entry.get("webhook_url"):
        return None, ["an entry with 'delivery: console' has no webhook_url"]
    required = ("id", "name", "public_key") + (() if on_console else ("webhook_url",)) \
        + (() if consulate else ("verify_key",))
    for key in required:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.append(f"missing '{key}'")
    if problems:
        return None, problems
    url = "" if on_console else entry["webhook_url"]
    searchable = [str(entry.get(key, "")) for key in ("id", "name", "kind")] \
        + ([] if on_console else [url_words(url)])
    term = next(filter(None, map(enforcement_term, searchable)), None)
    if term is not None:
        problems.append(f"looks like an enforcement body ({term!r}). Reports are never "
                        "shared with immigration, police or border services; register only "
                        "organisations that help workers")
    try:
        if not on_console:
            webhook_host(url, allow_loopback_http())
    except UnsafeUrl as exc:
        problems.append(str(exc))
    kind = str(entry.get("kind"))
    if kind not in kinds:
        problems.append(f"kind must be one of {', '.join(kinds)}")
    for key in ("public_key", "verify_key"):
        if key not in required and not entry.get(key):
            continue
        try:
            if len(unb64(str(entry[key]))) != 32:
                raise ValueError
        except ValueError:
            problems.append(f"'{key}' must be a base64 32-byte key (make one with "
                            "`python -m bot partner keygen`)")
    countries, categories, languages = (_codes(entry, key) for key in
                                        ("countries", "categories", "languages"))
    if countries is None or categories is None or languages is None:
        problems.append("countries, categories and languages must be lists of codes")
    elif set(categories) - set(CATEGORIES) - {"*"}:
        problems.append(f"unknown categories {sorted(set(categories) - set(CATEGORIES))}")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        problems.append("priority must be a whole number")
    nationality = entry.get("nationality")
    if consulate and not (isinstance(nationality, str)
                          and re.fullmatch(r"[A-Z]{2}", nationality)):
        problems.append("'nationality' must be the ISO code of the country whose nationals "
                        "it serves, like NP")
    vetting = vetting_problem(section, entry, maintainers)
    if vetting:
        problems.append(vetting)
    if problems:
        return None, problems
    return Partner(entry["id"], entry["name"], kind, tuple(countries or ["*"]),
                   tuple(categories or ["*"]), tuple(languages or ()), entry["public_key"],
                   entry.get("verify_key") or "", url, nationality if consulate else None,
                   priority, delivery), []


def _codes(entry: dict[str, Any], key: str) -> list[str] | None:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return None
    return value


def route(partners: list[Partner], destination: str | None, categories: list[str],
          language: str | None = None) -> Partner | None:
    """The partner that receives a report, by one documented rule:

    1. only partners that cover the destination (listed, or "*") and one of the report's
       categories (listed, or "*") are candidates;
    2. the highest ``priority`` wins: maintainers set it, and it is signed with the entry;
    3. then a partner that works in the reporter's language;
    4. then the first in the file.

    Listing fewer countries or categories wins nothing by itself, so an entry cannot
    capture reports by being narrow.
    """
    covering = [p for p in partners if p.covers(destination, categories)]
    covering.sort(key=lambda p: (-p.priority, language not in p.languages))
    return covering[0] if covering else None


def route_consulate(consulates: list[Partner], nationality: str | None,
                    destination: str | None) -> Partner | None:
    """The consulate of the reporter's country covering the destination, by the same rule
    (highest priority, then the first in the file)."""
    serving = [c for c in consulates if nationality and c.nationality == nationality
               and (destination in c.countries or "*" in c.countries)]
    serving.sort(key=lambda c: -c.priority)
    return serving[0] if serving else None
