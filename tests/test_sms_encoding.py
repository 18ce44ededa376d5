"""SMS arithmetic: GSM-7 or UCS-2, and how many segments a text costs."""

import pytest

from bot.channels.sms.encoding import is_gsm7, segments


@pytest.mark.parametrize(("text", "expected"), [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("€" * 80, 1),  # extension characters count twice: 160 units
    ("€" * 81, 2),
    ("न" * 70, 1),
    ("न" * 71, 2),
    ("न" * 134, 2),
    ("न" * 135, 3),
])
def test_segments_follow_gsm7_and_ucs2_limits(text, expected):
    assert segments(text) == expected


def test_accented_latin_outside_gsm7_forces_ucs2():
    assert is_gsm7("qué")  # é is in GSM-7, ó and á are not
    assert not is_gsm7("pasó")
    assert segments("ó" + "a" * 69) == 1
    assert segments("ó" + "a" * 70) == 2
