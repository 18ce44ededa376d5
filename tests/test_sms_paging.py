"""MORE pages: whole messages packed into pages within the segment budget, a procedure
step's turn as one page up to its cap, and the pages waiting in memory."""

from __future__ import annotations

import pytest

from bot.channels.sms.encoding import segments
from bot.channels.sms.paging import (
    STEP_PAGE_CAP,
    PendingPages,
    join_messages,
    paginate,
    step_page,
    turn_messages,
)
from bot.render import OPTIONAL_LINE, PAGE_KEY, SMS, STEP_PAGE

HINT = "Reply MORE for the rest."
BUDGET = SMS.segment_budget  # 3: a GSM-7 page holds 434 characters before "\n" + HINT


def test_the_budget_is_three_segments():
    assert BUDGET == 3


def test_a_short_answer_is_one_page_of_all_its_messages():
    assert paginate(["Hello", "", "Choose:\n1. A\n2. B"], HINT, BUDGET) == [
        "Hello\nChoose:\n1. A\n2. B"]
    assert paginate([], HINT, BUDGET) == [""]


def test_whole_messages_are_packed_greedily_in_order():
    assert paginate(["A" * 200, "B" * 200, "C" * 200], HINT, BUDGET) == [
        "A" * 200 + "\n" + "B" * 200 + "\n" + HINT,
        "C" * 200,
    ]


def test_a_question_keeps_its_menu_on_one_page():
    fact = "x" * 250 + "\nSource: " + "s" * 50
    question = "Which one?\n" + "\n".join(f"{n}. " + "o" * 30 for n in range(1, 6))
    assert paginate([fact, question], HINT, BUDGET) == [fact + "\n" + HINT, question]


def test_only_a_message_too_long_alone_is_cut_at_line_breaks():
    long = "\n".join(["a" * 200, "b" * 200, "c" * 200])
    assert paginate(["Hi", long, "Bye"], HINT, BUDGET) == [
        "Hi\n" + "a" * 200 + "\n" + "b" * 200 + "\n" + HINT,
        "c" * 200 + "\nBye",
    ]


def test_a_line_too_long_for_a_page_is_cut_at_spaces():
    assert paginate([" ".join(["word"] * 120)], HINT, BUDGET) == [
        " ".join(["word"] * 87) + "\n" + HINT,
        " ".join(["word"] * 33),
    ]


def test_a_word_too_long_for_a_page_is_cut_anywhere():
    assert paginate(["y" * 500], HINT, BUDGET) == ["y" * 434 + "\n" + HINT, "y" * 66]


def test_ucs2_pages_hold_fewer_characters():
    # UCS-2: three segments are 201 units; a page holds 176 before "\n" + HINT.
    assert paginate(["न" * 100, "म" * 100, "क" * 10], HINT, BUDGET) == [
        "न" * 100 + "\n" + HINT,
        "म" * 100 + "\n" + "क" * 10,
    ]


@pytest.mark.parametrize("texts", [
    [f"{n}. " + "word " * 20 for n in range(1, 15)],
    ["नमस्ते " * 200],
    ["x" * 2000],
    ["short line", "y" * 700, "last line"],
    ["About: Wages", "z" * 420 + "\nSource: ILO", "Reply with a number.\n1. a\n2. b"],
])
def test_pages_stay_within_the_budget_and_lose_nothing(texts):
    pages = paginate(texts, HINT, BUDGET)
    assert len(pages) > 1
    assert all(segments(page) <= BUDGET for page in pages)
    assert all(page.endswith("\n" + HINT) for page in pages[:-1])
    assert not pages[-1].endswith(HINT)
    joined = "".join(page.removesuffix("\n" + HINT) for page in pages)
    assert joined.replace("\n", "").replace(" ", "") == "".join(texts).replace(
        "\n", "").replace(" ", "")


def test_a_step_page_is_ten_segments_at_most():
    # 10 GSM-7 segments (1,530 characters) are the most within Twilio's 1,600.
    assert STEP_PAGE_CAP == 10
    assert 10 * 153 <= 1600 < 11 * 153


def test_a_step_and_its_lines_are_one_page_beyond_the_budget():
    step = "चरण 2 / 3: " + "क" * 250  # 261 UCS-2 units: 4 segments, over the budget of 3
    messages = [(step, STEP_PAGE), ("Reply MORE for the next step.", None)]
    assert step_page(messages) == step + "\nReply MORE for the next step."
    assert segments(step_page(messages)) == 5


def test_a_step_page_too_long_leaves_out_its_optional_lines_the_last_first():
    step = "न" * 500  # 8 segments; each line of 67 below adds one
    messages = [(step, STEP_PAGE), ("ग" * 66, OPTIONAL_LINE), ("म" * 66, None),
                ("र" * 66, OPTIONAL_LINE)]
    assert segments(join_messages([text for text, _page in messages])) == 11
    assert step_page(messages) == "\n".join([step, "ग" * 66, "म" * 66])
    assert step_page(messages, cap=9) == "\n".join([step, "म" * 66])
    # The step and its required lines never go beyond the cap: then it is paged as usual.
    assert step_page(messages, cap=8) is None


def test_a_turn_without_a_step_has_no_step_page():
    assert step_page([("x" * 600, None), ("y", OPTIONAL_LINE)]) is None


def test_turn_messages_read_how_each_text_is_paged_from_the_custom_json_after_it():
    collected = [{"recipient_id": "p", "text": "Title\nStep 1 of 2: Call."},
                 {"recipient_id": "p", "custom": {PAGE_KEY: STEP_PAGE}},
                 {"recipient_id": "p", "text": "(From Nepal? Reply 0 to change.)"},
                 {"recipient_id": "p", "custom": {PAGE_KEY: OPTIONAL_LINE}},
                 {"recipient_id": "p", "text": "Reply MORE for the next step."},
                 {"recipient_id": "p", "custom": {"something": "else"}},
                 {"recipient_id": "p", "image": "https://example.org/x.png"}]
    assert turn_messages(collected) == [
        ("Title\nStep 1 of 2: Call.", STEP_PAGE),
        ("(From Nepal? Reply 0 to change.)", OPTIONAL_LINE),
        ("Reply MORE for the next step.", None)]


def test_join_messages_skips_empty_ones():
    assert join_messages(["a", "", "b"]) == "a\nb"


def test_pending_pages_come_one_by_one_and_expire():
    now = [0.0]
    pending = PendingPages(ttl=60, clock=lambda: now[0])
    pending.keep("user", ["two", "three"])
    assert pending.next_page("user") == "two"
    assert pending.next_page("user") == "three"
    assert pending.next_page("user") is None
    pending.keep("user", ["later"])
    now[0] = 61
    assert pending.next_page("user") is None
    pending.keep("user", ["x"])
    pending.forget("user")
    assert pending.next_page("user") is None


def test_pending_pages_are_bounded():
    pending = PendingPages(max_users=2)
    for user in ("a", "b", "c"):
        pending.keep(user, ["page"])
    assert pending.next_page("a") is None and pending.next_page("c") == "page"
