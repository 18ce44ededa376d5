import pytest

from bot import languages
from bot.langid import NgramModel, identify


def test_ten_languages_with_native_names_from_cldr():
    assert len(languages.LANGUAGES) == 10
    names = {language.code: language.native_name for language in languages.LANGUAGES}
    assert names["ne"] == "नेपाली"
    assert names["am"] == "አማርኛ"
    assert names["tl"] == "Filipino"
    assert languages.get("ar").rtl and not languages.get("hi").rtl


@pytest.mark.parametrize(("tag", "code"), [
    ("fil", "tl"), ("fil-PH", "tl"), ("ne_NP", "ne"), ("FR", "fr"), ("pt-BR", None), (None, None),
])
def test_normalise_maps_outside_tags_to_our_codes(tag, code):
    assert languages.normalise(tag) == code


@pytest.mark.parametrize(("text", "code"), [
    ("can you speak nepali", "ne"),
    ("नेपालीमा लेख्नुहोस्", "ne"),
    ("en español por favor", "es"),
    ("بالعربية من فضلك", "ar"),
    ("bahasa indonesia saja", "id"),
    ("hindi mein batao", "hi"),
])
def test_find_named_language_in_any_language(text, code):
    assert languages.find_named_language(text) == code


def test_find_named_language_is_none_when_no_or_two_languages_named():
    assert languages.find_named_language("change the language") is None
    assert languages.find_named_language("english or french") is None


@pytest.mark.parametrize(("text", "code"), [
    ("ፓስፖርቴን ማን መያዝ አለበት", "am"),
    ("আমার বেতন দেরিতে দেয়", "bn"),
    ("راتبي يتأخر دائما", "ar"),
])
def test_single_language_scripts_decide(text, code):
    result = identify(text)
    assert (result.language, result.confident) == (code, True)


def test_short_or_letterless_messages_are_not_confident():
    assert identify("ok").confident is False
    assert identify("3").language is None
    assert identify("🙂🙂🙂").language is None


def test_foreign_scripts_and_clear_foreign_latin_are_flagged_unsupported():
    assert identify("我需要帮助").unsupported == "zh"
    assert identify("Здравствуйте, мне нужна помощь").unsupported in {"ru", "uk", "bg"}
    german = identify("Guten Tag, ich brauche Hilfe mit meinem Arbeitsvertrag")
    assert german.unsupported == "de" and german.language is None


def test_trained_model_tells_nepali_from_hindi_and_reads_romanised_text():
    model = NgramModel.train([
        ("मेरो तलब आएको छैन", "ne"), ("म नेपाली हुँ", "ne"), ("कति पैसा लाग्छ", "ne"),
        ("mero talab aayeko chaina", "ne"), ("kati paisa lagcha", "ne"),
        ("मेरी सैलरी नहीं आई है", "hi"), ("मैं भारतीय हूँ", "hi"), ("कितना पैसा लगेगा", "hi"),
        ("meri salary nahi aayi hai", "hi"), ("kitna paisa lagega", "hi"),
        ("my salary has not come", "en"), ("how much money is needed", "en"),
    ])
    assert identify("मेरो पासपोर्ट कहाँ छ, तलब पनि छैन", model).language == "ne"
    assert identify("मेरा पासपोर्ट कहाँ है, सैलरी भी नहीं है", model).language == "hi"
    assert identify("mero paisa kati lagcha", model).language == "ne"


MARKER_EXAMPLES = [
    ("hello po", "tl"), ("salamat po", "tl"), ("sahod ko po", "tl"), ("tulong po", "tl"),
    ("bonjour madame", "fr"), ("bonjour, mon salaire", "fr"), ("bonjour aidez moi", "fr"),
    ("bonjour merci", "fr"),
    ("kya hai", "hi"), ("paisa nahi hai", "hi"), ("kaam hai", "hi"), ("problem hai", "hi"),
    ("hello", "en"), ("hello sir", "en"), ("hello madam", "en"), ("hello there", "en"),
    ("hello ji", "hi"),
]


def test_words_used_by_one_language_only_become_its_markers():
    model = NgramModel.train(MARKER_EXAMPLES)
    assert {word: model.markers[word] for word in ("po", "bonjour", "hai")} == {
        "po": "tl", "bonjour": "fr", "hai": "hi"}
    assert "hello" not in model.markers  # in four English examples and one Hindi: 0.8
    assert "salamat" not in model.markers  # one example is too few


@pytest.mark.parametrize(("text", "language"), [("hello po", "tl"), ("bonjour", "fr")])
def test_a_short_message_with_one_language_s_markers_is_that_language(text, language):
    result = identify(text, NgramModel.train(MARKER_EXAMPLES))
    assert (result.language, result.confident) == (language, True)


@pytest.mark.parametrize("text", [
    "po hai",  # markers of two languages
    "hai",  # one word of three letters decides nothing
    "hello",  # no marker
])
def test_a_short_message_without_one_language_s_markers_stays_unsure(text):
    assert identify(text, NgramModel.train(MARKER_EXAMPLES)).confident is False
