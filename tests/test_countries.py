"""Countries are recognised by name and demonym in every language (CLDR plus content)."""

from __future__ import annotations

import pytest

from bot.countries import assign_roles, find_countries


@pytest.mark.parametrize(("text", "codes"), [
    ("I am Nepali and I work in Qatar", ["NP", "QA"]),
    ("Pinay ako, nasa Saudi Arabia ngayon", ["PH", "SA"]),
    ("म नेपाली हुँ, कतारमा काम गर्छु", ["NP", "QA"]),
    ("saya orang Indonesia, kerja di Malaysia", ["ID", "MY"]),
    ("আমি বাংলাদেশি, সৌদি আরবে কাজ করি", ["BD", "SA"]),
    ("ኢትዮጵያዊ ነኝ በሊባኖስ እሰራለሁ", ["ET", "LB"]),
    ("أنا من الهند وأعمل في الكويت", ["IN", "KW"]),
    ("soy nepalí y trabajo en Catar", ["NP", "QA"]),
    ("je suis éthiopienne au Liban", ["ET", "LB"]),
    ("मैं भारत से हूँ, ओमान में काम करता हूँ", ["IN", "OM"]),
])
def test_origin_and_destination_in_every_language(content, text, codes):
    found = find_countries(text, content)
    assert found == codes
    assert assign_roles(found, content) == {"origin": codes[0], "destination": codes[1]}


@pytest.mark.parametrize("text", [
    "أنا مهندس وأعمل في الهندسة",  # engineering is not India
    "I work in Indiana",
    "my employer is from the company Omantel",
])
def test_words_that_contain_a_country_name_are_not_countries(content, text):
    assert find_countries(text, content) == []


def test_arabic_prefixes_and_adjectives_still_name_the_country(content):
    assert find_countries("ذهبت بالهند", content) == ["IN"]
    assert find_countries("عاملة من الجنسية الهندية", content) == ["IN"]


@pytest.mark.parametrize(("text", "code"), [
    ("two Qataris", "QA"), ("Nepalese workers", "NP"), ("the Indians", "IN"),
    ("Malaysian agency", "MY"), ("Saudis", "SA"), ("Kuwaiti sponsor", "KW"),
])
def test_the_names_of_peoples_are_countries_too(content, text, code):
    assert find_countries(text, content) == [code]
