"""The n-gram model's posteriors are the naive Bayes formula, however they are computed."""

from __future__ import annotations

import math

import pytest

from bot.langid import NgramModel, _ngrams

EXAMPLES = [("how much can the agency charge", "en"), ("magkano po ang singil", "tl"),
            ("berapa biaya agen", "id"), ("kati paisa lincha", "ne"), ("how much po", "tl")]


def _direct(model: NgramModel, text: str, candidates: list[str]) -> dict[str, float]:
    vocabulary = len({g for c in candidates for g in model.counts[c]}) + 1
    scores = {}
    for language in candidates:
        total = sum(model.counts[language].values()) + vocabulary
        scores[language] = sum(math.log((model.counts[language].get(g, 0) + 1) / total)
                               for g in _ngrams(text))
    top = max(scores.values())
    exp = {language: math.exp(score - top) for language, score in scores.items()}
    return {language: value / sum(exp.values()) for language, value in exp.items()}


@pytest.mark.parametrize("text", ["how much po", "biaya agen berapa", "kati kati paisa", "zzz"])
def test_posteriors_are_the_naive_bayes_formula(text):
    model = NgramModel.train(EXAMPLES)
    candidates = ["en", "tl", "id", "ne"]
    expected = _direct(model, text, candidates)
    got = model.posteriors(text, candidates)
    assert got.keys() == expected.keys()
    for language in candidates:
        assert got[language] == pytest.approx(expected[language], rel=1e-12, abs=1e-15)
    assert model.posteriors(text, candidates) == got  # the kept logarithms change nothing
