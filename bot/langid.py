"""Language identification of one message.

Three sources, each used where it is strong:

- the script decides where it can (Ethiopic is Amharic, Bengali script Bengali,
  Arabic script Arabic; Cyrillic or Han is a language we do not speak);
- a character n-gram naive Bayes model trained on our own NLU examples tells
  Nepali from Hindi and recognises romanised Nepali, Hindi and Bengali, which no
  general-purpose model knows;
- py3langid's shipped model says when a message is clearly in a language we do
  not speak, and breaks ties between the Latin-script languages.

Short or ambiguous messages are reported as not confident, so that the dialogue
keeps the language it has instead of flipping on "ok" or "3". The exception is a short
message with a word that only one language uses: "hello po" is Tagalog, "bonjour"
French, "terima kasih" Indonesian. Such marker words are learnt from our examples too
(:meth:`NgramModel.train`); "hi", "ok", "salam" or "namaste" are used in several
languages and decide nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.languages import CODES

_SINGLE_LANGUAGE_SCRIPTS = {"ETHIOPIC": "am", "BENGALI": "bn", "ARABIC": "ar"}
_SCRIPT_CANDIDATES = {
    "DEVANAGARI": ("ne", "hi"),
    # Romanised Nepali, Hindi and Bengali are common on phones.
    "LATIN": ("en", "tl", "id", "es", "fr", "ne", "hi", "bn"),
}
_LATIN_STANDARD = ("en", "tl", "id", "es", "fr")
# py3langid answers that, for text in our languages, are near misses, not foreign:
# Malay for Indonesian, Portuguese or Galician for unaccented Spanish...
_LOOKALIKES = set(CODES) | {"fil", "ms", "jv", "su", "pt", "gl", "ca", "it", "oc", "la"}
_MIN_LETTERS = 8
_MIN_POSTERIOR = 0.80
_NGRAM_SIZES = (1, 2, 3, 4)
# A marker word appears in at least this many examples, nine in ten of them in one language.
_MARKER_MIN_EXAMPLES = 4
_MARKER_SHARE = 0.9
_MARKER_MAX_WORDS = 3  # markers decide only messages this short
# ...and a one-word message only from a word this long: "hai" is Hinglish's "is" in our
# examples, but alone it is an Indonesian or English greeting.
_MARKER_MIN_LETTERS_ALONE = 4
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Identification:
    """What the identifier thinks of one message."""

    language: str | None  # one of our codes, or None when no supported language fits
    confident: bool
    script: str | None
    unsupported: str | None = None  # a language we do not speak, when that is clear

    def as_dict(self) -> dict:
        return asdict(self)


def _ngrams(text: str) -> Iterable[str]:
    for word in text.lower().split():
        padded = f" {word} "
        for size in _NGRAM_SIZES:
            for start in range(max(len(padded) - size + 1, 0)):
                yield padded[start : start + size]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass
class NgramModel:
    """Multinomial naive Bayes over character n-grams, stored as plain counts (JSON-safe),
    and the marker words of each language (word -> language)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    # candidates -> each language's n-gram count plus the candidates' vocabulary: the
    # same for every message, and counting them took most of the time of a message.
    _denominators: dict[tuple[str, ...], dict[str, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _logs: dict[str, dict[str, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> NgramModel:
        counts: dict[str, Counter] = {}
        word_languages: dict[str, Counter] = {}
        for text, language in examples:
            counts.setdefault(language, Counter()).update(_ngrams(text))
            for word in set(_words(text)):
                word_languages.setdefault(word, Counter())[language] += 1
        markers = {}
        for word, languages in word_languages.items():
            (language, examples_in_it), = languages.most_common(1)
            total = sum(languages.values())
            if total >= _MARKER_MIN_EXAMPLES and examples_in_it >= _MARKER_SHARE * total:
                markers[word] = language
        return cls({language: dict(counter) for language, counter in counts.items()}, markers)

    def marked_language(self, text: str, candidates: Iterable[str]) -> str | None:
        """The one candidate language whose marker words a short message uses, if one."""
        words = _words(text)
        if not words or len(words) > _MARKER_MAX_WORDS:
            return None
        if len(words) == 1 and len(words[0]) < _MARKER_MIN_LETTERS_ALONE:
            return None
        marked = {self.markers[word] for word in words if word in self.markers}
        if len(marked) == 1 and (language := marked.pop()) in candidates:
            return language
        return None

    def posteriors(self, text: str, candidates: Iterable[str]) -> dict[str, float]:
        candidates = [c for c in candidates if c in self.counts]
        if not candidates:
            return {}
        grams = Counter(_ngrams(text))
        size = sum(grams.values())
        totals = self._totals(tuple(candidates))
        scores = {}
        for language in candidates:
            # log((count + 1) / total) summed over the grams, as log(count + 1) (kept per
            # gram) times how often the gram occurs, minus log(total) once per gram.
            logs = self._log_counts(language)
            scores[language] = (sum(logs.get(g, 0.0) * n for g, n in grams.items())
                                - size * math.log(totals[language]))
        top = max(scores.values())
        exp = {language: math.exp(score - top) for language, score in scores.items()}
        norm = sum(exp.values())
        return {language: value / norm for language, value in exp.items()}


    def _log_counts(self, language: str) -> dict[str, float]:
        """log(count + 1) of each of a language's n-grams, computed once: taking the
        logarithm of every n-gram of every candidate language took most of a message's
        identification."""
        if language not in self._logs:
            self._logs[language] = {gram: math.log(count + 1)
                                    for gram, count in self.counts[language].items()}
        return self._logs[language]

    def _totals(self, candidates: tuple[str, ...]) -> dict[str, int]:
        """Each candidate's n-gram count plus the candidates' vocabulary (add-one smoothing)."""
        if candidates not in self._denominators:
            vocabulary = len({g for c in candidates for g in self.counts[c]}) + 1
            self._denominators[candidates] = {
                c: sum(self.counts[c].values()) + vocabulary for c in candidates}
        return self._denominators[candidates]


@cache
def _langid(languages: tuple[str, ...] | None = None) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages(list(languages))
    return identifier


def dominant_script(text: str) -> tuple[str | None, int]:
    """The Unicode script with the most letters in ``text``, and its letter count."""
    counts: Counter = Counter()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            counts[name.split(" ")[0] if name else "UNKNOWN"] += 1
    if not counts:
        return None, 0
    script, letters = counts.most_common(1)[0]
    return script, letters


def identify(text: str, model: NgramModel | None = None) -> Identification:
    script, letters = dominant_script(text)
    if script is None:
        return Identification(None, False, None)
    title = script.title()
    if script in _SINGLE_LANGUAGE_SCRIPTS:
        return Identification(_SINGLE_LANGUAGE_SCRIPTS[script], True, title)
    if script not in _SCRIPT_CANDIDATES:
        guess, _ = _langid().classify(text)
        return Identification(None, letters >= 2, title, unsupported=guess)

    candidates = _SCRIPT_CANDIDATES[script]
    long_enough = letters >= _MIN_LETTERS
    if script == "LATIN":
        overall, overall_confidence = _langid().classify(text)
        if overall not in _LOOKALIKES and overall_confidence >= 0.999 and letters >= 12:
            return Identification(None, False, title, unsupported=overall)

    posteriors = model.posteriors(text, candidates) if model else {}
    if not posteriors:  # no trained model: py3langid alone, standard languages only
        restricted = candidates if script != "LATIN" else _LATIN_STANDARD
        guess, confidence = _langid(restricted).classify(text)
        return Identification(guess, long_enough and confidence >= _MIN_POSTERIOR, title)

    if script == "LATIN":
        # Blend in py3langid for the standard Latin languages it knows well.
        known, _ = _langid(_LATIN_STANDARD).classify(text)
        guess = max(posteriors, key=posteriors.__getitem__)
        if posteriors[guess] < _MIN_POSTERIOR and known in posteriors:
            posteriors[known] += 0.5
            norm = sum(posteriors.values())
            posteriors = {language: p / norm for language, p in posteriors.items()}
    guess = max(posteriors, key=posteriors.__getitem__)
    if long_enough and posteriors[guess] >= _MIN_POSTERIOR:
        return Identification(guess, True, title)
    marked = model.marked_language(text, candidates) if model else None
    if marked:
        return Identification(marked, True, title)
    return Identification(guess, False, title)
