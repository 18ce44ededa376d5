"""Short-lived state that every server of a deployment must see: in Redis, or in memory.

Several Rasa servers behind a load balancer answer turns of the same conversation, so
what one server remembers between two requests must be where the others find it:

- the SMS pages waiting for "MORE" (:class:`bot.channels.sms.paging.PendingPages`), under
  the sender's pseudonym, never a phone number;
- the Telegram updates already seen (:class:`bot.channels.telegram.RecentIds`);
- the reports being submitted, so that a retried turn does not store a report twice
  (:mod:`bot.reports.idempotency`).

With ``BOT_REDIS_URL`` set, :func:`shared_state` is a :class:`RedisState` on that server;
without it, a new :class:`MemoryState` in this process for its caller (one server,
nothing to install).
Both implement :class:`SharedState`, a small interface: lists of text, one-time marks
and values, each with a time to live. Every key expires; keys are namespaced under
``bot:`` and are pseudonyms or keyed hashes, never an id a channel gave.

A Redis that does not answer never stops a turn: each call falls back to this
process's memory (what one server alone would do), and the failure is logged with the
exception's class only (its message may hold the server's address), at most once a
minute.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import redis

from bot.settings import settings

log = logging.getLogger(__name__)
PREFIX = "bot:"
# A Redis that is down must not hold a turn for long: local servers answer in a
# millisecond, and one that has not answered in half a second is treated as down.
REDIS_TIMEOUT_SECONDS = 0.5
FAILURE_LOG_INTERVAL = 60.0
DEFAULT_MAX_KEYS = 100_000

T = TypeVar("T")


class SharedState(ABC):
    """Lists of text, one-time marks and values, each key with a time to live (seconds).
    Keys are namespaced by the implementation; callers give pseudonymous keys."""

    @abstractmethod
    def replace_list(self, key: str, items: list[str], ttl: float) -> None:
        """``items`` under ``key`` in place of whatever was there; none: the key goes."""

    @abstractmethod
    def pop_first(self, key: str) -> str | None:
        """The first item of the list under ``key``, removed; None if there is none."""

    @abstractmethod
    def add_once(self, key: str, ttl: float, value: str = "1") -> bool:
        """Set ``key`` to ``value`` unless it is set: True if this call set it."""

    @abstractmethod
    def get(self, key: str) -> str | None:
        """The value under ``key``, or None."""

    @abstractmethod
    def put(self, key: str, value: str, ttl: float) -> None:
        """``value`` under ``key``, replacing it, for ``ttl`` seconds."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Drop ``key``."""


class MemoryState(SharedState):
    """:class:`SharedState` in this process only: one server. At most ``max_keys`` keys
    (the oldest go first); thread-safe."""

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, str | list[str]]] = OrderedDict()

    def _live(self, key: str) -> str | list[str] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def _store(self, key: str, value: str | list[str], expires: float) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (expires, value)
        while len(self._entries) > self._max_keys:
            self._entries.popitem(last=False)

    def replace_list(self, key: str, items: list[str], ttl: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            if items:
                self._store(key, list(items), self._clock() + ttl)

    def pop_first(self, key: str) -> str | None:
        with self._lock:
            items = self._live(key)
            if not isinstance(items, list) or not items:
                return None
            first, rest = items[0], items[1:]
            if rest:
                self._entries[key] = (self._entries[key][0], rest)
            else:
                del self._entries[key]
            return first

    def add_once(self, key: str, ttl: float, value: str = "1") -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._store(key, value, self._clock() + ttl)
            return True

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._live(key)
            return value if isinstance(value, str) else None

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._store(key, value, self._clock() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class RedisState(SharedState):
    """:class:`SharedState` on a Redis server, shared by every server of a deployment.

    When Redis fails, the call is answered from ``fallback`` (this process's memory) and
    the failure logged by class, at most once every :data:`FAILURE_LOG_INTERVAL` s."""

    def __init__(self, url: str, fallback: SharedState | None = None,
                 timeout: float = REDIS_TIMEOUT_SECONDS) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=timeout,
                                            socket_connect_timeout=timeout,
                                            decode_responses=True)
        self._fallback = fallback or MemoryState()
        self._last_failure_log = -FAILURE_LOG_INTERVAL
        self._lock = threading.Lock()

    def _call(self, operation: Callable[[redis.Redis], T], fallback: Callable[[], T]) -> T:
        try:
            return operation(self._client)
        except (redis.RedisError, OSError) as exc:
            now = time.monotonic()
            with self._lock:
                due = now - self._last_failure_log >= FAILURE_LOG_INTERVAL
                if due:
                    self._last_failure_log = now
            if due:
                log.error("shared state: Redis unavailable (%s); this server answers "
                          "from its own memory until it is back", type(exc).__name__)
            return fallback()

    def replace_list(self, key: str, items: list[str], ttl: float) -> None:
        name = PREFIX + key

        def operation(client: redis.Redis) -> None:
            pipe = client.pipeline(transaction=True)
            pipe.delete(name)
            if items:
                pipe.rpush(name, *items)
                pipe.pexpire(name, _millis(ttl))
            pipe.execute()
        self._call(operation, lambda: self._fallback.replace_list(key, items, ttl))

    def pop_first(self, key: str) -> str | None:
        return self._call(lambda client: client.lpop(PREFIX + key),
                          lambda: self._fallback.pop_first(key))

    def add_once(self, key: str, ttl: float, value: str = "1") -> bool:
        return self._call(
            lambda client: bool(client.set(PREFIX + key, value, nx=True, px=_millis(ttl))),
            lambda: self._fallback.add_once(key, ttl, value))

    def get(self, key: str) -> str | None:
        return self._call(lambda client: client.get(PREFIX + key),
                          lambda: self._fallback.get(key))

    def put(self, key: str, value: str, ttl: float) -> None:
        self._call(lambda client: client.set(PREFIX + key, value, px=_millis(ttl)),
                   lambda: self._fallback.put(key, value, ttl))

    def delete(self, key: str) -> None:
        self._call(lambda client: client.delete(PREFIX + key),
                   lambda: self._fallback.delete(key))


def _millis(ttl: float) -> int:
    return max(1, int(ttl * 1000))


def shared_state(max_keys: int = DEFAULT_MAX_KEYS) -> SharedState:
    """The deployment's shared state: Redis at ``BOT_REDIS_URL`` (one client per URL,
    made on first use), else a new :class:`MemoryState` of at most ``max_keys`` keys that
    the caller keeps, as each server did before there were several."""
    url = settings().redis_url
    return MemoryState(max_keys=max_keys) if url is None else _redis_for(url)


@lru_cache(maxsize=4)
def _redis_for(url: str) -> RedisState:
    return RedisState(url)
