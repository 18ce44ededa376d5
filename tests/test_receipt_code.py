"""Receipt codes are recognised by their shape, in any message, and never stored."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import UserUttered

from bot.nlu.receipt_code import find_code
from bot.storage.tracker_store import redact


@pytest.mark.parametrize(("text", "code"), [
    ("K7QM-3X9P-2D0A", "K7QM-3X9P-2D0A"),
    ("k7qm 3x9p 2doa", "K7QM-3X9P-2D0A"),  # lower case, spaces, O for zero
    ("my code is K7QM-3X9P-2D0A any news?", "K7QM-3X9P-2D0A"),
    ("मेरो कोड K7QM.3X9P.2D0A हो", "K7QM-3X9P-2D0A"),
    ("k7qm3x9p2d0a", "K7QM-3X9P-2D0A"),
])
def test_codes_are_found_as_people_type_them(text, code):
    assert find_code(text)[0] == code


@pytest.mark.parametrize("text", [
    "informations",  # twelve letters of the code alphabet, but a word
    "Berapa biaya yang boleh diminta agen dari saya?",  # three four-letter words
    "call me on 9779 8123 4567",  # a phone number in groups
    "977981234567",
    "K7QM-3X9P",  # too short
    "K7QM-3X9P-2D0U",  # U is not in the alphabet
    "I want to report my employer",
])
def test_other_text_is_not_a_code(text):
    assert find_code(text) is None


def test_every_new_code_is_recognisable():
    from bot.reports.crypto import new_receipt_code

    for _ in range(200):
        code = new_receipt_code()
        assert find_code(f"code {code.lower()} please")[0] == code


def test_neither_a_code_entity_nor_a_menu_choice_is_stored():
    event = UserUttered("K7QM-3X9P-2D0A", intent={"name": "check_report_status"},
                        entities=[{"entity": "receipt_code", "value": "K7QM-3X9P-2D0A"},
                                  {"entity": "choice", "value": "language:ne"}],
                        parse_data={"entities": [{"entity": "receipt_code",
                                                  "value": "K7QM-3X9P-2D0A"}]})
    stored = redact(event).as_dict()
    assert "K7QM" not in str(stored)
    assert stored["parse_data"]["entities"] == []
    assert redact(event).entities == []
