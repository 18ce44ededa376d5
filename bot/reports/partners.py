"""The partner registry (``content/partners.yml``): who may receive reports.

Only organisations that help workers may be registered as partners: NGOs, trade
unions, legal aid, shelters. The ``consulates`` list holds the consulates and
embassies of workers' own countries, which receive a short summary (never the
account) when the reporter consents to it. Immigration, police, border and other
enforcement bodies are refused in both lists, whatever they are called, so that no
configuration mistake can send a report toward enforcement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.reports.crypto import unb64

ALLOWED_KINDS = ("ngo", "trade_union", "legal_aid", "shelter")
CONSULATE_KINDS = ("consulate", "embassy")
CATEGORIES = ("withheld_wages", "passport_kept", "confinement", "violence_or_threats",
              "sexual_abuse", "debt_or_illegal_fees", "contract_substitution",
              "excessive_hours", "other")
# Words that mark an enforcement body, in the languages of our corridors.
_ENFORCEMENT = re.compile(
    r"immigra|police|polis|policía|policia|border|frontière|frontera|deport|"
    r"customs|douane|aduana|gendarm|interior|intérieur|jawazat|jawazath|passports? and |"
    r"residency affairs|naturali[sz]ation|enforcement|detention|rétention|"
    r"imigrasi|polri|bhansar|प्रहरी|अध्यागमन|पुलिस|आप्रवासन|পুলিশ|অভিবাসন|ፖሊስ|ኢሚግሬሽን|"
    r"شرطة|جوازات|هجرة|داخلية|حدود|ترحيل|إبعاد",
    re.IGNORECASE,
)


class PartnerRegistryError(ValueError):
    """The registry is invalid; the message names the file, the partner and why."""


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

    def covers(self, destination: str | None, categories: list[str]) -> bool:
        country_ok = destination in self.countries or "*" in self.countries
        category_ok = "*" in self.categories or bool(set(categories) & set(self.categories))
        return country_ok and category_ok


def load_partners(path: Path) -> list[Partner]:
    """The organisations that receive reports."""
    return load_registry(path)[0]


def load_consulates(path: Path) -> list[Partner]:
    """The consulates that receive summaries, with the reporter's consent."""
    return load_registry(path)[1]


def load_registry(path: Path) -> tuple[list[Partner], list[Partner]]:
    """(partners, consulates), from one reading of the file."""
    if not path.exists():
        return [], []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lists = []
    for section, kinds in (("partners", ALLOWED_KINDS), ("consulates", CONSULATE_KINDS)):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise PartnerRegistryError(f"{path}: '{section}' must be a list")
        lists.append([_entry(path, section, index, entry, kinds)
                      for index, entry in enumerate(entries)])
    ids = [entry.id for entries in lists for entry in entries]
    if len(ids) != len(set(ids)):
        raise PartnerRegistryError(f"{path}: two entries share an id")
    return lists[0], lists[1]


def _entry(path: Path, section: str, index: int, entry: dict, kinds: tuple[str, ...]
           ) -> Partner:
    label = section.rstrip("s")
    if not isinstance(entry, dict):
        raise PartnerRegistryError(f"{path}: {label} {index + 1}: must be a mapping")
    where = f"{path}: {label} {index + 1} ({entry.get('id', '?')})"
    kind = entry.get("kind")
    searchable = " ".join(str(entry.get(key, "")) for key in ("id", "name", "kind",
                                                               "webhook_url"))
    if _ENFORCEMENT.search(searchable):
        raise PartnerRegistryError(
            f"{where}: looks like an enforcement body (immigration, police, border...). "
            "Reports are never shared with enforcement; register only organisations that "
            "help workers")
    if kind not in kinds:
        raise PartnerRegistryError(f"{where}: kind must be one of {', '.join(kinds)}")
    consulate = section == "consulates"
    required = ("id", "name", "public_key", "webhook_url") + (() if consulate
                                                               else ("verify_key",))
    for key in required:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise PartnerRegistryError(f"{where}: missing '{key}'")
    if not entry["webhook_url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise PartnerRegistryError(f"{where}: webhook_url must use https")
    for key in ("public_key", "verify_key"):
        if key not in required and not entry.get(key):
            continue
        try:
            if len(unb64(entry[key])) != 32:
                raise ValueError
        except ValueError as exc:
            raise PartnerRegistryError(f"{where}: '{key}' must be a base64 32-byte key "
                                       "(make one with `python -m bot partner keygen`)") from exc
    categories = tuple(entry.get("categories") or ["*"])
    unknown = set(categories) - set(CATEGORIES) - {"*"}
    if unknown:
        raise PartnerRegistryError(f"{where}: unknown categories {sorted(unknown)}")
    nationality = entry.get("nationality")
    if consulate and not (isinstance(nationality, str) and re.fullmatch(r"[A-Z]{2}",
                                                                         nationality)):
        raise PartnerRegistryError(f"{where}: 'nationality' must be the ISO code of the "
                                   "country whose nationals it serves, like NP")
    return Partner(entry["id"], entry["name"], kind, tuple(entry.get("countries") or ["*"]),
                   categories, tuple(entry.get("languages") or ()), entry["public_key"],
                   entry.get("verify_key") or "", entry["webhook_url"],
                   nationality if consulate else None)


def route(partners: list[Partner], destination: str | None, categories: list[str]
          ) -> Partner | None:
    """The partner that receives a report: the most specific one that covers it."""
    covering = [p for p in partners if p.covers(destination, categories)]
    covering.sort(key=lambda p: ("*" in p.countries, "*" in p.categories))
    return covering[0] if covering else None


def route_consulate(consulates: list[Partner], nationality: str | None,
                    destination: str | None) -> Partner | None:
    """The consulate of the reporter's country in (or covering) the destination."""
    serving = [c for c in consulates if nationality and c.nationality == nationality
               and (destination in c.countries or "*" in c.countries)]
    serving.sort(key=lambda c: "*" in c.countries)
    return serving[0] if serving else None
