"""SMS arithmetic: which encoding a text needs and how many segments it costs."""

from __future__ import annotations

# GSM 03.38 default alphabet, and the extension table (each extension char costs 2).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(char in _GSM_BASIC or char in _GSM_EXTENSION for char in text)


def segments(text: str) -> int:
    """How many SMS a text is sent as (GSM-7: 160, or 153 each when split; UCS-2: 70 or 67)."""
    if not text:
        return 1
    if is_gsm7(text):
        units = sum(2 if char in _GSM_EXTENSION else 1 for char in text)
        single, part = 160, 153
    else:
        # UCS-2 counts UTF-16 code units: characters outside the BMP (emoji) take two.
        units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)
