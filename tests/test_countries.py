"""Countries are recognised by name and demonym in every language (CLDR plus content),
with or without a content file; names that are also everyday words need a place word."""

from __future__ import annotations

import pytest

from bot.countries import (
    COUNTRY_CODES,
    EVERYDAY_WORDS,
    assign_roles,
    find_countries,
    find_mentions,
    fold,
)


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
    assert assign_roles(find_mentions(text, content), content) == {
        "origin": codes[0], "destination": codes[1]}


@pytest.mark.parametrize(("text", "roles"), [
    ("I am from Ghana working in Kuwait", {"origin": "GH", "destination": "KW"}),
    ("Soy de Perú", {"origin": "PE"}),
    ("Soy de Perú y trabajo en Chile", {"origin": "PE", "destination": "CL"}),
    ("je viens du Sénégal, je travaille au Maroc", {"origin": "SN", "destination": "MA"}),
    ("taga-Peru ako, nasa Japan ngayon", {"origin": "PE", "destination": "JP"}),
    ("saya dari Ghana, kerja di Jepang", {"origin": "GH", "destination": "JP"}),
    ("أنا من غانا وأعمل في الكويت", {"origin": "GH", "destination": "KW"}),
    ("म घानाबाट आएँ, जापानमा काम गर्छु", {"origin": "GH", "destination": "JP"}),
    ("मैं नाइजीरिया से हूँ, जापान में काम करता हूँ", {"origin": "NG", "destination": "JP"}),
    ("আমি ঘানা থেকে এসেছি, জাপানে কাজ করি", {"origin": "GH", "destination": "JP"}),
    ("ከሱዳን ነኝ በጃፓን እሰራለሁ", {"origin": "SD", "destination": "JP"}),
])
def test_a_country_without_a_file_is_found_and_the_words_around_it_give_its_role(
        content, text, roles):
    assert set(roles.values()) & set(content.countries) <= {"KW"}  # the others have no file
    assert assign_roles(find_mentions(text, content), content) == roles


def test_a_country_named_alone_fills_the_role_asked_for_or_the_first_free(content):
    mentions = find_mentions("Ghana", content)
    assert assign_roles(mentions, content, lacking="destination") == {"destination": "GH"}
    assert assign_roles(mentions, content) == {"origin": "GH"}
    # A country with a file keeps the role its file gives it.
    assert assign_roles(find_mentions("Qatar", content), content, lacking="origin") == {
        "destination": "QA"}


@pytest.mark.parametrize(("text", "codes"), [
    ("Myanmar", ["MM"]), ("Burma", ["MM"]),  # both halves of "Myanmar (Burma)"
    ("Trinidad and Tobago", ["TT"]),  # CLDR writes "Trinidad & Tobago"
    ("Côte d’Ivoire", ["CI"]), ("Cote d'Ivoire", ["CI"]), ("Ivory Coast", ["CI"]),
    ("Guinea-Bissau", ["GW"]), ("Papua New Guinea", ["PG"]), ("Equatorial Guinea", ["GQ"]),
    ("workers from Niger and Nigeria", ["NE", "NG"]), ("a Nigerian agent", ["NG"]),
    ("a woman from Romania", ["RO"]), ("an Omani woman", ["OM"]), ("Somalia", ["SO"]),
    ("Malian workers", ["ML"]), ("عُمان", ["OM"]), ("عمان", ["OM"]),
])
def test_cldr_names_their_other_forms_and_the_longest_name_wins(content, text, codes):
    assert find_countries(text, content) == codes


@pytest.mark.parametrize(("text", "codes"), [
    # Rule: a name that is also an everyday word (EVERYDAY_WORDS) needs a word that
    # makes it a place: a preposition, a postposition, or (Latin) an ending of its people.
    ("my supervisor Chad took my passport", []), ("I am from Chad", ["TD"]),
    ("the agency gave us turkey for dinner", []), ("they sent me to Turkey", ["TR"]),
    ("I bought a football jersey", []), ("I live in New Jersey", []),
    ("I work in Jersey", ["JE"]),
    ("my employer Georgia is kind", []), ("I come from Georgia", ["GE"]),
    ("she keeps a guinea pig", []), ("I am from Guinea", ["GN"]),
    ("i want togo home", []), ("they sent me to Togo", ["TG"]),
    ("my sponsor Turki kept my passport", []), ("kerja di Turki", ["TR"]),
    ("chine-check ni madam ang phone ko", []), ("je travaille en Chine", ["CN"]),
    ("suede shoes", []), ("je vais en Suède", ["SE"]),
    ("mali ang sahod ko", []), ("taga-Mali ako", ["ML"]), ("galing sa Mali", ["ML"]),
    ("masak pakai laos", []), ("kerja di Laos", ["LA"]),
    ("me gusta el chile con carne", []), ("trabajo en Chile", ["CL"]),
    ("compré una granada", []),
    ("سرقوا مالي", []), ("أنا من مالي", ["ML"]),
    ("بعد المغرب", []), ("أنا من المغرب", ["MA"]),
    ("माली का काम करता हूँ", []), ("माली से आया हूँ", ["ML"]),
    ("दशैं ठूलो चाड हो", []),
])
def test_a_name_that_is_also_an_everyday_word_needs_a_place_word(content, text, codes):
    assert find_countries(text, content) == codes


@pytest.mark.parametrize("text", [
    "أنا مهندس وأعمل في الهندسة",  # engineering is not India
    "I work in Indiana",
    "my employer is from the company Omantel",
    "we eat on chinaware",  # China
    "a woman", "the Romani people",  # Oman, Romania
    "malik ne paisa nahi diya",  # Mali
    "إجمالي الراتب", "شمالي",  # total salary, northern: Mali (مالي)
    "प्राचीन मन्दिर",  # ancient: China (चीन)
    "মালিক বেতন দেয়নি",  # the owner did not pay: Mali (মালি)
    "ኩባንያው ደሞዝ አልከፈለም",  # the company did not pay: Cuba (ኩባ)
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


def test_every_iso_country_of_cldr_and_no_region():
    assert len(COUNTRY_CODES) == 250
    assert {"GH", "PE", "JP", "XK", "HK"} <= set(COUNTRY_CODES)
    assert {"001", "150", "419", "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "IC", "AC"} \
        & set(COUNTRY_CODES) == set()


def test_everyday_words_are_written_folded():
    assert {word for word in EVERYDAY_WORDS if fold(word) != word} == set()
