"""Deterministic augmentation of NLU training examples: typos and romanisation.

Workers type on cheap phones, in a hurry, often in Latin letters: a letter dropped,
doubled or swapped, two words run together, everything in lower case, and Nepali,
Hindi or Bengali written in Latin letters. These functions make such variants of our
own examples. Each example's variants depend only on the seed and its text, never on
its position in a list, so a cross-validation fold augments a training example the
same way whichever fold it falls in.

Romanisation uses ``anyascii`` (Unicode to ASCII, per character): it drops inherent
vowels (``नमस्ते`` -> ``nmste``), much as people abbreviate in chat ("nhi", "mjhe").
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from anyascii import anyascii

TYPOS = ("drop", "double", "swap", "join", "lower")


class Example(NamedTuple):
    text: str
    intent: str
    language: str


def typo(text: str, rng: random.Random) -> str:
    """One typo of ``text``, chosen with ``rng``; the text itself if none applies."""
    kind = rng.choice(TYPOS)
    if kind == "lower":
        return text.lower()
    if kind == "join":
        spaces = [i for i, char in enumerate(text) if char == " "]
        if not spaces:
            return text
        at = rng.choice(spaces)
        return text[:at] + text[at + 1:]
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if kind == "swap":
        pairs = [i for i in letters if i + 1 < len(text) and text[i + 1].isalpha()]
        if not pairs:
            return text
        at = rng.choice(pairs)
        return text[:at] + text[at + 1] + text[at] + text[at + 2:]
    if not letters:
        return text
    at = rng.choice(letters)
    if kind == "drop":
        return text[:at] + text[at + 1:]
    return text[:at] + text[at] + text[at:]  # double


def romanise(text: str) -> str | None:
    """``text`` in lower-case Latin letters, or None if it has no letter of another script."""
    if all(not char.isalpha() or "LATIN" in unicodedata.name(char, "") for char in text):
        return None
    return anyascii(text).lower()


def variants(text: str, seed: int, typos: int = 1) -> list[str]:
    """Up to ``typos`` typo variants of ``text``, then its romanisation and a typo of that,
    without repeats or the text itself."""
    rng = random.Random(f"{seed}\x00{text}")  # noqa: S311 - not for security
    made = [typo(text, rng) for _ in range(typos)]
    romanised = romanise(text)
    if romanised is not None:
        made += [romanised, typo(romanised, rng)]
    unique: list[str] = []
    for variant in made:
        if variant.strip() and variant != text and variant not in unique:
            unique.append(variant)
    return unique


def augment(examples: Iterable[Example], seed: int, typos: int = 1) -> list[Example]:
    """The examples, each followed by its variants (same intent and language)."""
    augmented: list[Example] = []
    for example in examples:
        augmented.append(example)
        augmented += [example._replace(text=variant)
                      for variant in variants(example.text, seed, typos)]
    return augmented
