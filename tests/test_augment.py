"""bot.nlu.augment: the same typos and romanisations for the same seed, every time."""

from __future__ import annotations

import random

from bot.nlu.augment import Example, augment, romanise, typo, variants


def test_each_kind_of_typo_for_fixed_seeds():
    made = {seed: typo("agency fee", random.Random(seed)) for seed in (0, 1, 2, 5, 7)}

    assert made == {
        0: "agencyfee",     # two words run together
        1: "aggency fee",   # a letter doubled
        2: "aency fee",     # a letter dropped
        5: "agency fee",    # lower case (it already was)
        7: "aegncy fee",    # two letters swapped
    }


def test_a_typo_leaves_a_text_without_letters_or_spaces_as_it_is():
    assert [typo("123", random.Random(seed)) for seed in range(6)] == ["123"] * 6


def test_romanise_writes_other_scripts_in_lower_case_latin_letters():
    assert romanise("मेरो पासपोर्ट") == "mero pasport"
    assert romanise("আমার পাসপোর্ট") == "amar pasport"
    assert romanise("ሰላም ነው") == "selam new"
    assert romanise("جواز السفر") == "jwz lsfr"


def test_romanise_leaves_latin_text_alone_accents_included():
    assert romanise("Salaire pas payé") is None
    assert romanise("sahod 2000") is None


def test_variants_are_typos_then_the_romanisation_and_its_typo_without_repeats():
    assert variants("my passport was taken", seed=7, typos=2) == [
        "my passoprt was taken", "my passport wastaken"]
    assert variants("मेरो पासपोर्ट", seed=7) == ["mero pasport", "mero paspor"]
    assert variants("Salaire pas payé", seed=3) == ["Salairepas payé"]


def test_an_examples_variants_depend_on_its_text_not_its_place_in_the_list():
    alone = augment([Example("hello friend", "greet", "en")], seed=7)
    after_another = augment([Example("नमस्ते", "greet", "ne"),
                             Example("hello friend", "greet", "en")], seed=7)

    assert alone == [Example("hello friend", "greet", "en"),
                     Example("hello friedn", "greet", "en")]
    assert after_another == [Example("नमस्ते", "greet", "ne"),
                             Example("ननमस्ते", "greet", "ne"),
                             Example("nmste", "greet", "ne"),
                             Example("nste", "greet", "ne"),
                             *alone]
