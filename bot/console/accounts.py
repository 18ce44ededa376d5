"""Staff accounts: Argon2id passwords, and the organisation's key wrapped per person.

A caseworker's row holds their partner's private key encrypted (``SecretBox``) with a
key derived from their password by Argon2id, with a salt of its own; a consular
reviewer's holds their consulate's. Nothing on the server opens it without the
password, so a seized database and disk hold no key to any report. The TOTP secret,
when a second factor is set, is wrapped with the same key.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.models import ConsoleUser
from bot.reports import crypto
from bot.reports.partners import Registry

ROLES = ("admin", "caseworker", "consular")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}")
_HASHER = PasswordHasher()  # Argon2id, argon2-cffi's RFC 9106 low-memory profile


class AccountError(ValueError):
    """Why an account cannot be made as asked (never a password or a key)."""


@dataclass(frozen=True)
class NewAccount:
    user: ConsoleUser
    totp_secret: str | None  # shown once, to put in an authenticator app


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_key(password: str, salt: bytes) -> bytes:
    """The key that wraps the organisation's key: Argon2id of the password."""
    return pwhash.argon2id.kdf(SecretBox.KEY_SIZE, password.encode("utf-8"), salt,
                               opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                               memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE)


def check_key(registry: Registry, role: str, organisation: str, private_key_b64: str) -> None:
    """Refuse an organisation that is not registered and vetted, or a key that is not its
    own (the decryption key from ``partner keygen`` must match the registry's public key)."""
    entries = registry.partners if role == "caseworker" else registry.consulates
    entry = next((e for e in entries if e.id == organisation), None)
    what = "partner" if role == "caseworker" else "consulate"
    if entry is None:
        raise AccountError(f"no vetted {what} '{organisation}' in the registry in force; "
                           "run `python -m bot partner check`")
    try:
        public = crypto.b64(bytes(PrivateKey(crypto.unb64(private_key_b64)).public_key))
    except (ValueError, TypeError) as exc:
        raise AccountError("the key file's decryption_key is not a key") from exc
    if public != entry.public_key:
        raise AccountError(f"this key file is not {what} '{organisation}''s: its key does "
                           "not match the registry's public_key")


def add_user(session: Session, email: str, role: str, password: str,
             organisation: str | None = None, private_key_b64: str | None = None,
             totp: bool = False, today: date | None = None) -> NewAccount:
    """Make an account. Caseworkers and consular reviewers need their organisation's id
    and private key (base64), which is stored only wrapped with their password."""
    email = normalise_email(email)
    if not _EMAIL.fullmatch(email):
        raise AccountError("the email address does not look like one")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AccountError(f"the password must have {MIN_PASSWORD_CHARS} to "
                           f"{MAX_PASSWORD_CHARS} characters")
    if role == "admin" and (organisation or private_key_b64):
        raise AccountError("an administrator belongs to no organisation and holds no key")
    if role != "admin" and not (organisation and private_key_b64):
        raise AccountError(f"a {role} needs their organisation's id and key file")
    taken = session.execute(select(func.count()).select_from(ConsoleUser).where(
        ConsoleUser.email == email)).scalar_one()
    if taken:
        raise AccountError("an account with this email exists")
    salt = random_bytes(pwhash.argon2id.SALTBYTES)
    box = SecretBox(password_key(password, salt))
    wrapped = bytes(box.encrypt(crypto.unb64(private_key_b64))) if private_key_b64 else None
    secret = pyotp.random_base32() if totp else None
    user = ConsoleUser(email=email, role=role, organisation=organisation or None,
                       password_hash=_HASHER.hash(password), key_salt=salt,
                       wrapped_key=wrapped,
                       sealed_totp=bytes(box.encrypt(secret.encode())) if secret else None,
                       created_on=today or date.today())
    session.add(user)
    session.flush()
    return NewAccount(user, secret)


def valid_email(email: str) -> bool:
    return bool(_EMAIL.fullmatch(normalise_email(email)))


def email_taken(session: Session, email: str) -> bool:
    return bool(session.execute(select(func.count()).select_from(ConsoleUser).where(
        ConsoleUser.email == normalise_email(email))).scalar_one())


@dataclass
class NewPassword:
    """A password chosen on an invitation page, ready to wrap a key it has not got yet:
    its Argon2id hash, a fresh salt, and the key derived from both (in memory only,
    overwritten by :meth:`wipe` once the key is wrapped or the invitation ends)."""

    password_hash: str
    salt: bytes
    key: bytearray

    def wipe(self) -> None:
        self.key[:] = bytes(len(self.key))


def new_password(password: str) -> NewPassword:
    """Hash a new password and derive its wrapping key (:class:`AccountError` if it is
    too short or too long)."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AccountError(f"the password must have {MIN_PASSWORD_CHARS} to "
                           f"{MAX_PASSWORD_CHARS} characters")
    salt = random_bytes(pwhash.argon2id.SALTBYTES)
    return NewPassword(_HASHER.hash(password), salt, bytearray(password_key(password, salt)))


def add_invited_user(session: Session, email: str, role: str, password: NewPassword,
                     organisation: str | None = None, private_key: bytes | None = None,
                     today: date | None = None) -> ConsoleUser:
    """Make the account of an invitation: ``private_key`` (the organisation's, from a
    colleague's session) is wrapped with the key of the password the invitee chose."""
    email = normalise_email(email)
    if not _EMAIL.fullmatch(email):
        raise AccountError("the email address does not look like one")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role == "admin" and (organisation or private_key):
        raise AccountError("an administrator belongs to no organisation and holds no key")
    if role != "admin" and not (organisation and private_key):
        raise AccountError(f"a {role} needs their organisation's id and key")
    if email_taken(session, email):
        raise AccountError("an account with this email exists")
    box = SecretBox(bytes(password.key))
    user = ConsoleUser(email=email, role=role, organisation=organisation or None,
                       password_hash=password.password_hash, key_salt=password.salt,
                       wrapped_key=bytes(box.encrypt(private_key)) if private_key else None,
                       sealed_totp=None, created_on=today or date.today())
    session.add(user)
    session.flush()
    return user


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Unlocked:
    """What a correct password opens: the organisation's key and the TOTP secret."""

    user: ConsoleUser
    private_key: bytes | None
    totp_secret: str | None


def authenticate(session: Session, email: str, password: str) -> Unlocked | None:
    """The account and what its password unwraps, or None. An unknown email costs the
    same Argon2 work as a known one."""
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    user = session.execute(select(ConsoleUser).where(
        ConsoleUser.email == normalise_email(email))).scalar_one_or_none()
    ok: bool
    try:
        ok = _HASHER.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    box = SecretBox(password_key(password, user.key_salt if user else bytes(16)))
    if not ok or user is None:
        return None
    try:
        key = box.decrypt(user.wrapped_key) if user.wrapped_key else None
        totp = box.decrypt(user.sealed_totp).decode() if user.sealed_totp else None
    except CryptoError:
        return None
    return Unlocked(user, key, totp)


def change_password(session: Session, user_id: str, current: str, new: str) -> bool:
    """Re-wrap the account's key (and TOTP secret) with a key from the new password, under
    a new salt. False if the current password is wrong; :class:`AccountError` if the new
    one is too short or too long."""
    if not MIN_PASSWORD_CHARS <= len(new) <= MAX_PASSWORD_CHARS:
        raise AccountError(f"the password must have {MIN_PASSWORD_CHARS} to "
                           f"{MAX_PASSWORD_CHARS} characters")
    user = session.get(ConsoleUser, user_id)
    if user is None:
        return False
    unlocked = authenticate(session, user.email, current)
    if unlocked is None:
        return False
    salt = random_bytes(pwhash.argon2id.SALTBYTES)
    box = SecretBox(password_key(new, salt))
    user.key_salt, user.password_hash = salt, _HASHER.hash(new)
    user.wrapped_key = bytes(box.encrypt(unlocked.private_key)) \
        if unlocked.private_key is not None else None
    user.sealed_totp = bytes(box.encrypt(unlocked.totp_secret.encode())) \
        if unlocked.totp_secret else None
    session.flush()
    return True


def remove_user(session: Session, user_id: str) -> ConsoleUser | None:
    """Delete an account (its wrapped key goes with it); the account, or None."""
    user = session.get(ConsoleUser, user_id)
    if user is not None:
        session.delete(user)
        session.flush()
    return user


def totp_ok(secret: str, code: str, now: float) -> int | None:
    """The time step a six-digit code is valid for (this one or the one before or
    after, for clocks that differ), or None."""
    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def user_id_for(session: Session, email: str) -> str:
    """The id of the account with this email, or "" (for the audit of failed logins)."""
    return session.execute(select(ConsoleUser.id).where(
        ConsoleUser.email == normalise_email(email))).scalar_one_or_none() or ""


def users(session: Session) -> list[ConsoleUser]:
    return list(session.execute(select(ConsoleUser).order_by(
        ConsoleUser.role, ConsoleUser.email)).scalars())
