"""The partner's commands: a delivery is opened only if the bot really signed it."""

from __future__ import annotations

import json

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from bot.cli import main
from bot.reports import crypto
from bot.reports.partner_tools import read_key_file


def _delivery(tmp_path, partner_keys_file, secrets_dir, capsys):
    """A sealed delivery signed with the bot's key, the bot's verify key as printed."""
    assert main(["partner", "keygen", "--id", "helpline", "--out", str(partner_keys_file)]) == 0
    capsys.readouterr()
    private = read_key_file(partner_keys_file)["decryption_key"]
    public = crypto.b64(bytes(PrivateKey(crypto.unb64(private)).public_key))
    body = json.dumps({"kind": "report", "report_id": "r1", "sealed_body": crypto.b64(
        crypto.seal(public, b'{"account": "We were not paid."}'))}).encode()
    assert main(["partner", "verify-key"]) == 0
    bot_key = capsys.readouterr().out.strip()
    signing = (secrets_dir / "webhook-signing.key").read_bytes()
    assert bot_key == crypto.b64(bytes(SigningKey(signing).verify_key))
    path = tmp_path / "delivery.json"
    path.write_bytes(body)
    return path, crypto.sign(signing, body), bot_key


def test_a_signed_delivery_opens(tmp_path, secrets_dir, capsys):
    keys = tmp_path / "helpline.partner-keys"
    path, signature, bot_key = _delivery(tmp_path, keys, secrets_dir, capsys)
    assert main(["partner", "open", str(path), "--keys", str(keys), "--signature", signature,
                 "--bot-key", bot_key]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert opened == {"kind": "report", "report_id": "r1",
                      "report": {"account": "We were not paid."}}


def test_a_changed_or_forged_delivery_is_refused(tmp_path, secrets_dir, capsys):
    keys = tmp_path / "helpline.partner-keys"
    path, signature, bot_key = _delivery(tmp_path, keys, secrets_dir, capsys)
    forged = crypto.b64(bytes(SigningKey.generate().verify_key))
    path.write_bytes(path.read_bytes().replace(b'"r1"', b'"r2"'))
    for key in (bot_key, forged):
        assert main(["partner", "open", str(path), "--keys", str(keys), "--signature",
                     signature, "--bot-key", key]) == 1
        assert capsys.readouterr().err == (
            "error: the signature does not match the bot's key: this delivery may be forged "
            "or changed; do not act on it\n")
