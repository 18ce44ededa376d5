"""Recognising countries in what users type, in every supported language.

Every country is recognised, with or without a content file: its names come from
Babel's CLDR data in every supported locale (``COUNTRY_CODES``: ISO 3166-1 codes, not
CLDR's regions, groupings or parts of countries). The words for a country's people,
and short names or cities people use for it ("Saudi", "Dubai"), come from the
country's content file, where caseworkers can add them.

A name counts as a whole word: "Oman" is not in "woman" or "Romania", "Mali" not in
"Somalia", "China" not in "chinaware", "Niger" not in "Nigeria" (the longest name
wins, so "Papua New Guinea" is not also "Guinea"). A Latin name may take an ending of
its people ("Qataris", "Nepalese"); Arabic and Amharic glue prepositions before it,
Nepali and Bengali glue postpositions after it, from short lists.

Names that are also everyday words or first names in a language we speak
(``EVERYDAY_WORDS``: "Chad", "Turkey", Tagalog "mali" (wrong), Arabic "مالي" (my
money), Hindi "माली" (gardener)...) name a country only where a word around them makes
them a place: a preposition before ("from Chad", "sa Mali", "في مالي"), a postposition
after ("माली में", "मालीमा"), or, in Latin script, an ending of its people ("Malian").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.content.model import Content, Country
from bot.languages import LANGUAGES

ROLES = ("origin", "destination")
# CLDR territories that are not countries: groupings, pseudo-locales and the unknown
# region, and parts of countries that CLDR names apart (Ascension, the Canary Islands...).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ",
                            "AC", "CP", "CQ", "DG", "EA", "IC", "TA"})
# CLDR's other English names for a few countries (its alt="variant" and alt="short"
# forms), which Babel's data does not carry.
_CLDR_OTHER_NAMES = {"TR": ("Turkey",), "CI": ("Ivory Coast",), "CZ": ("Czech Republic",),
                     "SZ": ("Swaziland",), "TL": ("East Timor",), "PS": ("Palestine",),
                     "MO": ("Macao",)}
# Folded country names that are also common words or names in one of our languages.
EVERYDAY_WORDS = frozenset({
    "chad",  # a first name (en)
    "georgia",  # a first name, and a state of the United States (en)
    "jersey", "guernsey",  # clothes (en, es, fr)
    "turkey",  # the bird (en)
    "reunion",  # a meeting (en); Réunion folds to it
    "guinea",  # guinea pig, guinea fowl (en)
    "togo",  # "to go" typed as one word (en)
    "suede",  # the leather (en): Sweden in French
    "turki",  # a first name (ar, written in Latin letters): Türkiye in Indonesian
    "chine",  # "chine-check", "chine-charge" (tl, English verbs): China in French
    "cocos",  # coconuts (es)
    "mali",  # wrong (tl)
    "laos",  # galangal (id)
    "chile", "chili",  # chilli (es, fr)
    "granada",  # pomegranate, and a Spanish city (es): Grenada in Spanish
    "maurice",  # a first name (fr): Mauritius in French
    "مالي", "المغرب",  # my money, financial (ar); the sunset prayer, the West (ar)
    "माली", "चाड", "चिली", "जर्सी", "गिनी",  # gardener, festival (ne), chilli, jersey, counted
    "মালি", "চিলি", "জার্সি",  # gardener, chilli, jersey (bn)
})
# Words next to a name that make it a place, and say which: where the worker is from
# ("origin") or where they are or go ("destination"). Before the name, as a word:
_BEFORE = {
    "origin": {"from", "taga", "galing", "mula", "dari", "asal", "de", "desde", "du", "d",
               "من"},
    "destination": {"in", "to", "at", "sa", "nasa", "di", "ke", "en", "au", "aux", "في",
                    "إلى", "الى"},
}
_ARTICLES = {"the", "la", "le", "les", "l", "el", "sa"}
# Glued before the name (Arabic, Amharic):
_PREFIXES = {"origin": {"ከ"}, "destination": {"ب", "بال", "لل", "ل", "በ", "ወደ"}}
# Glued after the name (Nepali, Bengali), or the next word (Hindi, Bengali):
_AFTER = {
    "origin": {"बाट", "देखि", "से", "থেকে"},
    "destination": {"मा", "में", "ে", "তে", "য়", "য়ে"},
}
# A Latin name may take an ending of its people; all but the plurals make it a place.
_LATIN_ENDINGS = ("ese", "an", "ns", "is", "es", "n", "i", "s")
_PEOPLE_ENDINGS = frozenset({"ese", "an", "ns", "n", "i"})
_ARABIC = "\u0620-\u064a"
_ARABIC_PREFIX = r"[وف]?(?:بال|كال|لل|ال|[بلك])?"
_ARABIC_ENDINGS = ("ي", "ية", "يون", "يين", "يات")
_DEVANAGARI = "\u0900-\u097f"
_DEVANAGARI_ENDINGS = ("मा", "को", "का", "की", "के", "ले", "बाट", "देखि", "सम्म", "लाई",
                       "तिर", "ी", "ीहरू", "ीय", "वासी")
_BENGALI = "\u0980-\u09ff"
_BENGALI_ENDINGS = ("ে", "তে", "র", "ের", "ি", "ী", "ীয়", "য়", "য়ে", "কে")
_ETHIOPIC = "\u1200-\u139f"
_ETHIOPIC_PREFIX = r"(?:ወደ|በ|ከ|ለ|የ|እ)?"
_ETHIOPIC_ENDINGS = ("ዊ", "ዊት", "ዊያን", "ውያን", "ውያንን", "ን", "ም", "ና", "ው")
_ARABIC_MARKS = re.compile(r"[\u064b-\u0652\u0640]")  # vowel marks and the stretching line
# A word: what lies between spaces and punctuation (vowel signs are not letters to \w).
_WORD = re.compile(r"[^\s\d.,;:!?¿¡()\"'«»،؛؟।॥/\-–]+")


def fold(text: str) -> str:
    """Lowercase, strip Latin accents so that "Peru" finds "Perú" and Arabic vowel marks
    so that "عمان" finds "عُمان" (other scripts kept); one apostrophe."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", "".join(kept)))


def country_name(code: str, language: str) -> str:
    from bot import languages

    return languages.get(language).locale.territories.get(code, code)


def _cldr_codes() -> tuple[str, ...]:
    codes = {code for language in LANGUAGES for code in language.locale.territories
             if isinstance(code, str) and len(code) == 2 and code.isalpha()
             and code not in _NOT_COUNTRIES}
    return tuple(sorted(codes))


COUNTRY_CODES: tuple[str, ...] = _cldr_codes()


@dataclass(frozen=True)
class Mention:
    """A country named in a message: where, and the role the words around it give."""

    code: str
    start: int
    role: str | None = None  # "origin" ("from Ghana"), "destination" ("in Kuwait")


def _other_forms(name: str, and_word: str) -> list[str]:
    """Shorter forms of a CLDR name that people type: "Myanmar" and "Burma" of "Myanmar
    (Burma)", the halves of "Congo - Kinshasa", "and" for "&"."""
    forms = []
    base, paren, rest = name.partition("(")
    if paren:
        forms.append(base.strip())
        inner = rest.rstrip(")").strip()
        if " " not in inner:
            forms.append(inner)
    for dash in (" - ", " – "):
        if dash in name:
            forms += [part.strip() for part in name.split(dash)]
    if " & " in name:
        forms.append(name.replace(" & ", and_word))
    return [form for form in forms if form]


def _cldr_terms() -> dict[str, str]:
    """Every country's CLDR names, and their shorter forms where no other country
    claims them ("Congo" is two countries, and is left out)."""
    names: dict[str, str] = {}
    derived: dict[str, set[str]] = {}
    for language in LANGUAGES:
        territories = language.locale.territories
        pair = language.locale.list_patterns["standard"]["2"]  # "{0} and {1}"
        and_word = pair.replace("{0}", "").replace("{1}", "")
        for code in COUNTRY_CODES:
            name = territories.get(code)
            if not name:
                continue
            names.setdefault(fold(name), code)
            for form in _other_forms(name, and_word):
                derived.setdefault(fold(form), set()).add(code)
    for code, others in _CLDR_OTHER_NAMES.items():
        for other in others:
            derived.setdefault(fold(other), set()).add(code)
    for term, codes in derived.items():
        if term not in names and len(codes) == 1:
            names[term] = codes.pop()
    return names


def _alternatives(terms: Iterable[str]) -> str:
    # Longest first, so that "United Arab Emirates" wins over "Arab" where both start.
    return "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))


def _ends(endings: Sequence[str]) -> str:
    return "|".join(re.escape(fold(ending)) for ending in sorted(endings, key=len, reverse=True))


@lru_cache(maxsize=8)
def _patterns(extra: tuple[tuple[str, tuple[str, ...]], ...]
              ) -> tuple[dict[str, str], tuple[re.Pattern[str], ...]]:
    terms = _cldr_terms()
    listed: set[str] = set()  # words caseworkers listed: even two letters ("HK") count
    for code, words in extra:
        for word in words:
            terms[fold(word)] = code
            listed.add(fold(word))
    terms = {term: code for term, code in terms.items()
             if len(term) >= 3 or not term.isascii() or term in listed}
    by_script: dict[str, list[str]] = {"latin": [], "arabic": [], "devanagari": [],
                                       "bengali": [], "ethiopic": [], "other": []}
    for term in terms:
        by_script[_script(term)].append(term)
    templates = {
        "latin": r"(?<![a-z])(?P<pre>)(?P<term>{terms})(?P<end>{ends})?(?![a-z])",
        "arabic": rf"(?<![{_ARABIC}])(?P<pre>{_ARABIC_PREFIX})(?P<term>{{terms}})"
                  rf"(?P<end>{{ends}})?(?![{_ARABIC}])",
        "devanagari": rf"(?<![{_DEVANAGARI}])(?P<pre>)(?P<term>{{terms}})(?P<end>{{ends}})?"
                      rf"(?![{_DEVANAGARI}])",
        "bengali": rf"(?<![{_BENGALI}])(?P<pre>)(?P<term>{{terms}})(?P<end>{{ends}})?"
                   rf"(?![{_BENGALI}])",
        "ethiopic": rf"(?<![{_ETHIOPIC}])(?P<pre>{_ETHIOPIC_PREFIX})(?P<term>{{terms}})"
                    rf"(?P<end>{{ends}})?(?![{_ETHIOPIC}])",
        "other": r"(?P<pre>)(?P<term>{terms})(?P<end>)",
    }
    endings = {"latin": _LATIN_ENDINGS, "arabic": _ARABIC_ENDINGS,
               "devanagari": _DEVANAGARI_ENDINGS, "bengali": _BENGALI_ENDINGS,
               "ethiopic": _ETHIOPIC_ENDINGS, "other": ()}
    patterns = tuple(re.compile(templates[script].format(terms=_alternatives(group),
                                                         ends=_ends(endings[script])))
                     for script, group in by_script.items() if group)
    return terms, patterns


def _script(term: str) -> str:
    if term.isascii():
        return "latin"
    first = term[0]
    for script, block in (("arabic", _ARABIC), ("devanagari", _DEVANAGARI),
                          ("bengali", _BENGALI), ("ethiopic", _ETHIOPIC)):
        if re.match(f"[{block}]", first):
            return script
    return "other"


def _country_terms(country: Country) -> tuple[str, ...]:
    words: list[str] = []
    for group in country.demonyms.values():
        words += group
    for group in country.aliases.values():
        words += group
    return tuple(words)


def _role(match: re.Match[str], folded: str) -> str | None:
    """The role the words around a name give it: "from", "sa", "में", a glued "ب"...
    Past an article, the word before it counts too ("galing sa Mali", "de la Guinée")."""
    words = _WORD.findall(folded[:match.start()])
    before = words[-2:] if words[-1:] and words[-1] in _ARTICLES else words[-1:]
    after = _WORD.findall(folded[match.end():])[:1]
    prefix = match.group("pre")
    if len(prefix) > 1 and prefix[0] in "وف":  # "and", "so" glue before any preposition
        prefix = prefix[1:]
    for role in ROLES:
        if prefix in _PREFIXES[role] or match.group("end") in _AFTER[role] \
                or set(before) & _BEFORE[role] or (not match.group("end")
                                                   and set(after) & _AFTER[role]):
            return role
    return None


def find_mentions(text: str, content: Content) -> list[Mention]:
    """Every country named in ``text``, in the order they appear."""
    key = tuple(sorted((code, _country_terms(country))
                       for code, country in content.countries.items()))
    terms, patterns = _patterns(key)
    folded = fold(text)
    found: list[Mention] = []
    for pattern in patterns:
        for match in pattern.finditer(folded):
            term = match.group("term")
            role = _role(match, folded)
            if term in EVERYDAY_WORDS and role is None \
                    and match.group("end") not in _PEOPLE_ENDINGS:
                continue
            found.append(Mention(terms[term], match.start("term"), role))
    return sorted(found, key=lambda mention: mention.start)


def find_countries(text: str, content: Content) -> list[str]:
    """Codes of the countries mentioned in ``text``, in the order they appear."""
    ordered: list[str] = []
    for mention in find_mentions(text, content):
        if mention.code not in ordered:
            ordered.append(mention.code)
    return ordered


def assign_roles(mentions: Iterable[Mention], content: Content,
                 lacking: str | None = None) -> dict[str, str]:
    """Which of the mentioned countries is the origin and which the destination.

    A country with a content file has the roles its file gives it. One without takes
    the role the words around it give ("from Ghana"), else ``lacking`` (the role the
    conversation asked for, or still lacks), else the first one still free.
    """
    mentions = list(mentions)
    roles: dict[str, str] = {}
    for mention in mentions:
        country = content.countries.get(mention.code)
        for role in country.roles if country else ():
            roles.setdefault(role, mention.code)
    for mention in mentions:
        if mention.code in content.countries or mention.code in roles.values():
            continue
        free = [role for role in ROLES if role not in roles]
        if mention.role is not None:
            wanted = mention.role if mention.role in free else None
        else:
            wanted = lacking if lacking in free else next(iter(free), None)
        if wanted:
            roles[wanted] = mention.code
    return roles
