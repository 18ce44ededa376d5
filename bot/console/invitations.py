"""Invitations: how an administrator adds a user from the web without holding any key.

1. An administrator invites an email address with a role (and, for a caseworker or a
   consular reviewer, the vetted partner or consulate): the console makes a link with
   a random token, shown once to the administrator, who passes it on.
2. The invitee opens the link and chooses a password. An administrator's account is
   made at once. For the others, the password's Argon2id hash and the key derived from
   it wait in this process's memory: nothing opens with them yet.
3. A colleague of the same organisation, logged in (their session holds the
   organisation's key, unwrapped by their own password), hands the key over: it is
   wrapped with the invitee's key, the account is made, and the derived key is wiped.

Like sessions, invitations live in the console process only (a restart cancels them)
and end after :data:`INVITATION_SECONDS`. The token is kept only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field

from bot.console.accounts import NewPassword, normalise_email
from bot.console.sessions import Clock
from bot.reports.db import new_id

INVITATION_SECONDS = 3 * 24 * 3600
MAX_INVITATIONS = 500


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass
class Invitation:
    id: str  # for the audit log and the colleague's button (the link's token is not it)
    token_hash: bytes
    email: str
    role: str
    organisation: str | None
    created: float
    password: NewPassword | None = None  # chosen by the invitee: waiting for the key
    accepted: float | None = None

    @property
    def waiting_for_key(self) -> bool:
        return self.password is not None

    def expires(self, lifetime: float) -> float:
        return self.created + lifetime

    def wipe(self) -> None:
        if self.password is not None:
            self.password.wipe()
        self.password = None


class InvitationError(ValueError):
    """Why an invitation cannot be made (never a token)."""


@dataclass
class InvitationStore:
    clock: Clock
    lifetime: float = INVITATION_SECONDS
    _invitations: dict[str, Invitation] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, email: str, role: str, organisation: str | None) -> tuple[Invitation, str]:
        """A new invitation and its link's token (the only time the token is known)."""
        email = normalise_email(email)
        with self._lock:
            self._expire()
            if any(i.email == email for i in self._invitations.values()):
                raise InvitationError("an invitation for this email is pending")
            if len(self._invitations) >= MAX_INVITATIONS:
                raise InvitationError("too many invitations are pending")
            token = secrets.token_urlsafe(32)
            invitation = Invitation(new_id(), _token_hash(token), email, role,
                                    organisation or None, self.clock())
            self._invitations[invitation.id] = invitation
            return invitation, token

    def by_token(self, token: str) -> Invitation | None:
        wanted = _token_hash(token)
        with self._lock:
            self._expire()
            return next((i for i in self._invitations.values()
                         if hmac.compare_digest(i.token_hash, wanted)), None)

    def accept(self, invitation_id: str, password: NewPassword) -> bool:
        """The invitee's password, kept until a colleague hands over the key; False if
        the invitation ended or has a password already."""
        with self._lock:
            invitation = self._invitations.get(invitation_id)
            if invitation is None or invitation.waiting_for_key:
                return False
            invitation.password, invitation.accepted = password, self.clock()
            return True

    def pending(self) -> list[Invitation]:
        """Every invitation in force, oldest first."""
        with self._lock:
            self._expire()
            return sorted(self._invitations.values(), key=lambda i: (i.created, i.id))

    def waiting_for(self, role: str, organisation: str) -> list[Invitation]:
        """The invitations to this role in this organisation whose password is set."""
        return [i for i in self.pending() if i.waiting_for_key and i.role == role
                and i.organisation == organisation]

    def take(self, invitation_id: str, role: str, organisation: str) -> Invitation | None:
        """Remove and return an invitation waiting for this organisation's key (the
        caller wipes it once the key is wrapped), or None."""
        with self._lock:
            self._expire()
            invitation = self._invitations.get(invitation_id)
            if invitation is None or not invitation.waiting_for_key or \
                    (invitation.role, invitation.organisation) != (role, organisation):
                return None
            return self._invitations.pop(invitation_id)

    def end(self, invitation_id: str) -> Invitation | None:
        """Cancel an invitation (its derived key wiped); the invitation, or None."""
        with self._lock:
            invitation = self._invitations.pop(invitation_id, None)
        if invitation is not None:
            invitation.wipe()
        return invitation

    def _expire(self) -> None:
        now = self.clock()
        for invitation_id, invitation in list(self._invitations.items()):
            if now >= invitation.expires(self.lifetime):
                self._invitations.pop(invitation_id).wipe()
