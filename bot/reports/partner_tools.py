"""The partner's side: read a delivered report, and sign a reply to it.

A partner organisation receives reports as signed JSON POSTs (see
:mod:`bot.reports.outbox`) and answers through ``POST /webhooks/partners/reply``.
These helpers let a caseworker do both from the command line with the key file
that ``python -m bot partner keygen`` wrote, without writing any code.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from nacl.exceptions import CryptoError

from bot.reports import crypto


class PartnerToolError(ValueError):
    """What went wrong, in words a caseworker can act on (never report content)."""


def read_key_file(path: Path) -> dict[str, str]:
    """The ``decryption_key`` and ``signing_key`` from a keygen file."""
    try:
        keys = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PartnerToolError(f"cannot read the key file {path}: {type(exc).__name__}") from exc
    if not isinstance(keys, dict) or not {"decryption_key", "signing_key"} <= keys.keys():
        raise PartnerToolError(f"{path} is not a key file made by `partner keygen`")
    return keys


def verify_delivery(delivery: bytes, signature: str, bot_verify_key: str) -> None:
    """Check that the bot sent this delivery: ``signature`` is its ``X-Report-Signature``
    header, ``bot_verify_key`` what ``python -m bot partner verify-key`` printed."""
    if not crypto.verify_signature(bot_verify_key, delivery, signature):
        raise PartnerToolError("the signature does not match the bot's key: this delivery "
                               "may be forged or changed; do not act on it")


def open_delivery(delivery: bytes, decryption_key: str) -> dict[str, Any]:
    """The routing fields of a delivered report plus its decrypted answers."""
    try:
        envelope = json.loads(delivery)
        sealed = crypto.unb64(envelope["sealed_body"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PartnerToolError("this is not a report delivery (JSON with sealed_body)") from exc
    try:
        body = json.loads(crypto.unseal(decryption_key, sealed))
    except CryptoError as exc:
        raise PartnerToolError("this report was sealed to another partner's key") from exc
    opened = {key: value for key, value in envelope.items() if key != "sealed_body"}
    opened["report"] = body
    return opened


def signed_reply(partner_id: str, report_id: str, text: str, signing_key: str,
                 now: float | None = None) -> tuple[bytes, str]:
    """(body, signature) for ``POST /webhooks/partners/reply``. The body carries the time
    and a random nonce, so that the bot can refuse a copy replayed later."""
    body = json.dumps({"partner_id": partner_id, "report_id": report_id, "text": text,
                       "sent_at": int(time.time() if now is None else now),
                       "nonce": secrets.token_hex(16)}, ensure_ascii=False).encode("utf-8")
    return body, crypto.sign(crypto.unb64(signing_key), body)


def send_reply(bot_url: str, body: bytes, signature: str) -> str:
    """Post a signed reply to the bot; returns its status, raises with its reason."""
    request = urllib.request.Request(  # noqa: S310 - the bot's own URL, given by the partner
        f"{bot_url.rstrip('/')}/webhooks/partners/reply", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Partner-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read()).get("status", "stored")
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("error", error.reason)
        except ValueError:
            reason = error.reason
        raise PartnerToolError(f"the bot refused the reply ({error.code}): {reason}") from error
    except OSError as exc:
        raise PartnerToolError(f"cannot reach the bot at {bot_url}: {type(exc).__name__}") from exc
