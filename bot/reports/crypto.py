"""The cryptography of reports, all from PyNaCl and argon2-cffi.

- A report body is sealed (``SealedBox``) to the receiving partner's public key:
  a copy of our database alone reveals nothing.
- A receipt code ``XXXX-XXXX-XXXX`` is shown once. Its first group finds the
  report, through an HMAC with a deployment key (so the database alone tells no
  group); the whole code is stored only as an Argon2id hash. A lookup that finds
  nothing verifies a dummy hash, so that it takes as long as one that does.
- Each report gets a key pair for the reporter. Partner replies are sealed to its
  public key; its private key is stored encrypted with a key derived (Argon2id)
  from the receipt code, so only the code's holder can read replies.
- Webhooks to partners are signed with our Ed25519 key; partners sign theirs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from nacl import pwhash
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey
from nacl.utils import random as random_bytes

# Crockford's base32 without I, L, O, U: easy to copy on paper or into a contact.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
GROUP_LENGTH = 4
_HASHER = PasswordHasher()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_receipt_code() -> str:
    """A fresh code whose every group holds a digit, so that no word looks like one."""
    while True:
        groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(GROUP_LENGTH))
                  for _ in range(CODE_GROUPS)]
        code = "-".join(groups)
        if looks_like_code(code):
            return code


def looks_like_code(typed: str) -> bool:
    """Whether text is shaped like our codes: every group of four holds a digit and
    some hold a letter (words have no digits; phone numbers have no letters)."""
    compact = "".join(char for char in typed if char.isalnum())
    groups = [compact[i:i + GROUP_LENGTH] for i in range(0, len(compact), GROUP_LENGTH)]
    return (len(groups) == CODE_GROUPS and any(char.isalpha() for char in compact)
            and all(any(char.isdigit() for char in group) for group in groups))


def normalise_code(text: str) -> str | None:
    """A receipt code as typed ("k7qm 3x9p-2d0a", with O for 0) in canonical form, or None."""
    cleaned = "".join(char for char in text.upper() if char.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != CODE_GROUPS * GROUP_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i:i + GROUP_LENGTH]
                    for i in range(0, len(cleaned), GROUP_LENGTH))


def lookup_key(code: str, secret: bytes) -> str:
    """The stored form of the code's first group: HMAC-SHA256 with the deployment's
    ``receipt-lookup.key``, hex."""
    group = code.split("-", 1)[0]
    return hmac.new(secret, group.encode("ascii"), hashlib.sha256).hexdigest()


def hash_code(code: str) -> str:
    return _HASHER.hash(code)


@cache
def _dummy_hash() -> str:
    """An Argon2id hash of no code, with the same parameters as real ones."""
    return _HASHER.hash(secrets.token_hex(16))


def verify_code(code_hash: str | None, code: str) -> bool:
    """Whether ``code`` matches ``code_hash``; with no hash (no report has this lookup),
    the same Argon2 work against a dummy, and False."""
    try:
        return _HASHER.verify(code_hash or _dummy_hash(), code) and code_hash is not None
    except (VerifyMismatchError, VerificationError):
        return False


def seal(public_key_b64: str, plaintext: bytes) -> bytes:
    return SealedBox(PublicKey(unb64(public_key_b64))).encrypt(plaintext)


def unseal(private_key_b64: str, ciphertext: bytes) -> bytes:
    return SealedBox(PrivateKey(unb64(private_key_b64))).decrypt(ciphertext)


@dataclass(frozen=True)
class ReporterKeys:
    public_key: str  # base64: partners' replies are sealed to it
    locked_private_key: bytes  # the private key, encrypted with a key from the code
    salt: bytes


def _code_key(code: str, salt: bytes) -> bytes:
    return pwhash.argon2id.kdf(SecretBox.KEY_SIZE, code.encode(), salt,
                               opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                               memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE)


def new_reporter_keys(code: str) -> ReporterKeys:
    private = PrivateKey.generate()
    salt = random_bytes(pwhash.argon2id.SALTBYTES)
    locked = SecretBox(_code_key(code, salt)).encrypt(bytes(private))
    return ReporterKeys(b64(bytes(private.public_key)), bytes(locked), salt)


def open_replies(code: str, keys_locked: bytes, salt: bytes, sealed: list[bytes]) -> list[str]:
    """The reporter's view: replies decrypted with the key the code unlocks."""
    try:
        private = PrivateKey(SecretBox(_code_key(code, salt)).decrypt(keys_locked))
    except CryptoError:
        return []
    box = SealedBox(private)
    return [box.decrypt(item).decode("utf-8") for item in sealed]


@dataclass(frozen=True)
class KeyPair:
    public_key: str
    private_key: str


def new_partner_keys() -> tuple[KeyPair, KeyPair]:
    """(encryption, signing) key pairs for a partner, base64."""
    box = PrivateKey.generate()
    signing = SigningKey.generate()
    return (KeyPair(b64(bytes(box.public_key)), b64(bytes(box))),
            KeyPair(b64(bytes(signing.verify_key)), b64(bytes(signing))))


def sign(signing_key: bytes, body: bytes) -> str:
    return b64(SigningKey(signing_key).sign(body).signature)


def verify_signature(verify_key_b64: str, body: bytes, signature_b64: str) -> bool:
    try:
        VerifyKey(unb64(verify_key_b64)).verify(body, unb64(signature_b64))
    except (BadSignatureError, ValueError):
        return False
    return True
