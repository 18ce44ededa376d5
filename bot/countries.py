"""Recognising countries in what users type, in every supported language.

Country names come from Babel's CLDR data (every supported locale); the words for
a country's people, and short names or cities people use for it ("Saudi", "Dubai"),
come from the country's content file, where caseworkers can add them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bot.content.model import Content, Country
from bot.languages import LANGUAGES


def fold(text: str) -> str:
    """Lowercase, and strip Latin accents so that "Peru" finds "Perú" (other scripts kept)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept))


def country_name(code: str, language: str) -> str:
    from bot import languages

    return languages.get(language).locale.territories.get(code, code)


_LATIN_END = r"(?=(?:n|i|s|an|ns|is|es|ese)?(?![a-z]))"
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a]")
_ARABIC_END = r"(?=(?:ي|ية|يون|يين|يات)?(?![\u0620-\u064a]))"


@lru_cache(maxsize=8)
def _patterns(countries: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[re.Pattern, str]]:
    terms: dict[str, str] = {}
    listed: set[str] = set()  # words caseworkers listed: even two letters ("HK") count
    for code, extra in countries:
        for word in extra:
            terms.setdefault(fold(word), code)
            listed.add(fold(word))
        for language in LANGUAGES:
            name = language.locale.territories.get(code)
            if name:
                terms.setdefault(fold(name), code)
    patterns = []
    # Longest first, so "United Arab Emirates" wins over "Arab".
    for term in sorted(terms, key=len, reverse=True):
        if len(term) < 3 and term.isascii() and term not in listed:
            continue
        # Latin words need a boundary before them and may take an ending of their
        # people ("qataris", "nepalese") but not more ("indiana"); other scripts
        # glue prefixes and suffixes to names.
        if term.isascii():
            pattern = re.compile(r"(?<![a-z])" + re.escape(term) + _LATIN_END)
        elif _ARABIC_LETTER.match(term[-1]):
            # Arabic: prefixes glue on ("بالهند"), and so do the adjective endings
            # ("الهندية"), but not other words ("الهندسة", engineering).
            pattern = re.compile(re.escape(term) + _ARABIC_END)
        else:
            pattern = re.compile(re.escape(term))
        patterns.append((pattern, terms[term]))
    return patterns


def _country_terms(country: Country) -> tuple[str, ...]:
    words: list[str] = []
    for group in country.demonyms.values():
        words += group
    for group in country.aliases.values():
        words += group
    return tuple(words)


def find_countries(text: str, content: Content) -> list[str]:
    """Codes of the countries mentioned in ``text``, in the order they appear."""
    key = tuple(sorted((code, _country_terms(country))
                       for code, country in content.countries.items()))
    folded = fold(text)
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for pattern, code in _patterns(key):
        for match in pattern.finditer(folded):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            taken.append(span)
            found.append((match.start(), code))
    ordered: list[str] = []
    for _, code in sorted(found):
        if code not in ordered:
            ordered.append(code)
    return ordered


def assign_roles(codes: Iterable[str], content: Content) -> dict[str, str]:
    """Which of the mentioned countries is the origin and which the destination."""
    roles: dict[str, str] = {}
    for code in codes:
        country = content.countries.get(code)
        if country is None:
            continue
        for role in country.roles:
            roles.setdefault(role, code)
    return roles
