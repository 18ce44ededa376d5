"""MORE pages: whole messages packed into pages within the segment budget, and the pages
waiting in memory."""

from __future__ import annotations

import pytest

from bot.channels.sms.encoding import segments
from bot.channels.sms.paging import PendingPages, join_messages, paginate
from bot.render import SMS

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
