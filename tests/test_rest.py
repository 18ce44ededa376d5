"""The REST channel's body: sender, text, the one metadata key a client may set, and its size."""

from __future__ import annotations

import json

import pytest

from bot.channels.base import MAX_BODY_BYTES, InvalidMessage
from bot.channels.rest import parse_body


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_a_good_body_gives_sender_text_and_the_language_hint_only():
    assert parse_body(body(sender="u1", message="hi", metadata={
        "language": "ne", "capabilities": {"buttons": True}, "phone": "+9779812345678"})) == (
        "u1", "hi", {"language_hint": "ne"})
    assert parse_body(body(sender="u1")) == ("u1", "", {})
    assert parse_body(body(sender="u1", message=None, metadata=None)) == ("u1", "", {})
    assert parse_body(body(sender="u1", message="x" * 9000))[1] == "x" * 5000


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "the body must be a JSON object in UTF-8"),
    (b"[]", "the body must be a JSON object"),
    (body(message="hi"), "'sender' must be a non-empty string of at most 128 characters"),
    (body(sender=" ", message="hi"),
     "'sender' must be a non-empty string of at most 128 characters"),
    (body(sender="s" * 129), "'sender' must be a non-empty string of at most 128 characters"),
    (body(sender="x", message=5), "'message' must be a string"),
    (body(sender="x", message="hi", metadata=3), "'metadata' must be a JSON object"),
])
def test_malformed_bodies_are_refused_with_a_reason_and_no_content(raw, reason):
    with pytest.raises(InvalidMessage) as error:
        parse_body(raw)
    assert str(error.value) == reason


def test_a_body_over_the_cap_is_refused_before_it_is_parsed():
    at_cap = body(sender="u1", message="x" * 100).ljust(MAX_BODY_BYTES)
    assert len(at_cap) == MAX_BODY_BYTES == 65536
    assert parse_body(at_cap) == ("u1", "x" * 100, {})
    for raw in (at_cap + b" ", b"{not json" * 2_500_000):  # 20 MB, and not even JSON
        with pytest.raises(InvalidMessage) as error:
            parse_body(raw)
        assert str(error.value) == "the body must be at most 65536 bytes"
