"""Console sessions and login limits, in the console process's memory only.

A session holds its CSRF token and, once logged in, the organisation's private key
unwrapped by the password: it lives in this process only, is wiped when the session
ends, and a session idle for longer than the idle limit ends at its next request. A
restart ends every session (everyone logs in again), which is the point: no key is
ever written down.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
MAX_SESSIONS = 10_000
# Failed logins: per account, per client address, and in all, within the window.
LOGIN_WINDOW_SECONDS = 900
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
GLOBAL_FAILURES = 200
PENDING_TOTP_SECONDS = 300


@dataclass
class PendingLogin:
    """A correct password waiting for its TOTP code."""

    user_id: str
    email: str
    role: str
    organisation: str | None
    private_key: bytearray | None
    totp_secret: str
    started: float


@dataclass
class ConsoleSession:
    id: str
    csrf: str
    last_seen: float
    user_id: str | None = None
    email: str = ""
    role: str = ""
    organisation: str | None = None
    private_key: bytearray | None = None
    pending: PendingLogin | None = None
    notice: str = ""  # shown once on the next page (e.g. why the last session ended)
    language: str = "en"  # the console language of its latest request (bot.console.i18n)
    page: str = "/"  # the path of its latest request, for the language selector's return

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None

    def key(self) -> bytes | None:
        return bytes(self.private_key) if self.private_key is not None else None

    def holder(self) -> tuple[str, str, bytes]:
        """(user id, organisation, private key) of a logged-in member of staff who holds
        their organisation's key; ValueError otherwise (an administrator holds none)."""
        key = self.key()
        if self.user_id is None or self.organisation is None or key is None:
            raise ValueError("this session holds no organisation's key")
        return self.user_id, self.organisation, key

    def wipe(self) -> None:
        """Overwrite the keys this session holds (as far as Python lets us)."""
        for key in (self.private_key, self.pending.private_key if self.pending else None):
            if key is not None:
                key[:] = bytes(len(key))
        self.private_key = None
        self.pending = None


@dataclass
class SessionStore:
    idle_seconds: float
    clock: Clock
    _sessions: dict[str, ConsoleSession] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new(self, notice: str = "") -> ConsoleSession:
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._evict()
            session = ConsoleSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                                     self.clock(), notice=notice)
            self._sessions[session.id] = session
            return session

    def get(self, session_id: str | None) -> tuple[ConsoleSession | None, bool]:
        """(the session, whether one just ended because it was idle too long)."""
        if not session_id:
            return None, False
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None, False
            now = self.clock()
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[session_id]
                session.wipe()
                return None, session.logged_in or session.pending is not None
            session.last_seen = now
            return session, False

    def rotate(self, old: ConsoleSession) -> ConsoleSession:
        """A new id and CSRF token for a session changing privilege (logging in)."""
        self.end(old.id, wipe=False)
        fresh = self.new()
        return fresh

    def end(self, session_id: str, wipe: bool = True) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None and wipe:
            session.wipe()

    def end_user(self, user_id: str) -> int:
        """End every session of an account (removed, or its password changed elsewhere)."""
        with self._lock:
            ended = [s for s in self._sessions.values() if s.user_id == user_id]
            for session in ended:
                del self._sessions[session.id]
        for session in ended:
            session.wipe()
        return len(ended)

    def count(self) -> int:
        return len(self._sessions)

    def _evict(self) -> None:
        """Drop the idle sessions, then (if still full) the longest idle ones, those of
        nobody logged in first: a flood of visits cannot log staff out."""
        now = self.clock()
        for session_id, session in list(self._sessions.items()):
            if now - session.last_seen > self.idle_seconds:
                self._sessions.pop(session_id).wipe()
        by_age = sorted(self._sessions.values(), key=lambda s: (s.logged_in, s.last_seen))
        for session in by_age[:max(0, len(by_age) - MAX_SESSIONS + 1)]:
            self._sessions.pop(session.id).wipe()


@dataclass
class LoginLimiter:
    """Failed logins counted per account, per client address and in all."""

    clock: Clock
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _scopes(self, email: str, address: str) -> list[tuple[str, int]]:
        return [(f"account:{email}", ACCOUNT_FAILURES),
                (f"address:{address}", ADDRESS_FAILURES), ("everyone", GLOBAL_FAILURES)]

    def _recent(self, scope: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(scope, []) if now - t < LOGIN_WINDOW_SECONDS]
        if times:
            self._failures[scope] = times
        else:
            self._failures.pop(scope, None)
        return times

    def blocked(self, email: str, address: str) -> bool:
        now = self.clock()
        with self._lock:
            return any(len(self._recent(scope, now)) >= limit
                       for scope, limit in self._scopes(email, address))

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for scope, _limit in self._scopes(email, address):
                self._failures.setdefault(scope, []).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{email}", None)
