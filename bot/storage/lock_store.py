"""A Rasa lock store on Redis whose tickets are atomic: one turn of a conversation at a
time, in order, whichever server it reaches.

Rasa's own ``RedisLockStore`` (``lock_store: type: redis``) issues a ticket by reading
the conversation's lock, adding a ticket and writing it back: two servers receiving a
message of the same conversation at the same moment both read the same lock, both get
the first ticket, and both run the turn at once on the same tracker (measured with two
servers: both answered the same "1. Yes, send it", one turn's events were stored). Here
each step is one Redis command or script, so it cannot interleave:

- a ticket is ``INCR`` of the conversation's counter, queued in a sorted set by number
  with its expiry (from Redis's clock, not a server's), renewed while its turn waits
  or runs;
- a turn runs when its ticket is the lowest unexpired one (a server killed mid-turn
  holds the conversation for :data:`TICKET_SECONDS` at most);
- its ticket is removed when the turn ends; the keys expire by themselves.

Keys are ``<key_prefix>:lock:<conversation id>:...``; conversation ids are pseudonyms.
If Redis does not answer, the turn runs without the lock (what one server does) and
the failure is logged by class only, at most once a minute.

``endpoints.yml``::

    lock_store:
      type: bot.storage.lock_store.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0
      key_prefix: bot
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock_store import LOCK_LIFETIME, LockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)
POLL_SECONDS = 0.02
TICKET_SECONDS = 10.0  # a ticket not renewed for this long is dropped (its server died)
FAILURE_LOG_INTERVAL = 60.0

# KEYS: counter, queue, expiries. ARGV: lifetime in ms. Returns the new ticket.
_ISSUE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('HSET', KEYS[3], ticket, now_ms + tonumber(ARGV[1]))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 2 * tonumber(ARGV[1])) end
return ticket
"""

# KEYS: queue, expiries. ARGV: ticket, lifetime in ms. Renews the ticket (queued again
# if it was dropped), then 1 if it may run (expired ones before it are dropped), 0 if it
# must wait.
_TRY = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now_ms + tonumber(ARGV[2]))
while true do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if first == ARGV[1] then return 1 end
  local expires = tonumber(redis.call('HGET', KEYS[2], first) or '0')
  if expires > now_ms then return 0 end
  redis.call('ZREM', KEYS[1], first)
  redis.call('HDEL', KEYS[2], first)
end
"""

# KEYS: queue, expiries. ARGV: ticket, lifetime in ms. The holder's heartbeat.
_RENEW = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HSET', KEYS[2], ARGV[1], now_ms + tonumber(ARGV[2]))
  for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], 2 * tonumber(ARGV[2])) end
end
return 1
"""

# KEYS: counter, queue, expiries. ARGV: ticket. The ticket goes; with none left, the keys.
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Rasa's lock store interface (:meth:`lock`), with atomic tickets in Redis."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, *,
                 url: str | None = None, key_prefix: str = "bot",
                 socket_timeout: float = 2.0) -> None:
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        url = url or (endpoint_config.url if endpoint_config else None) \
            or "redis://127.0.0.1:6379/0"
        self._prefix = f"{kwargs.get('key_prefix', key_prefix)}:lock:"
        self._client = redis.Redis.from_url(
            url, socket_timeout=float(kwargs.get("socket_timeout", socket_timeout)),
            socket_connect_timeout=float(kwargs.get("socket_timeout", socket_timeout)))
        self._issue = self._client.register_script(_ISSUE)
        self._try = self._client.register_script(_TRY)
        self._release = self._client.register_script(_RELEASE)
        self._renew = self._client.register_script(_RENEW)
        self._last_failure_log = -FAILURE_LOG_INTERVAL
        super().__init__()

    def _keys(self, conversation_id: str) -> list[str]:
        base = self._prefix + conversation_id
        return [f"{base}:next", f"{base}:queue", f"{base}:expires"]

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_failure_log >= FAILURE_LOG_INTERVAL:
            self._last_failure_log = now
            log.error("lock store: Redis unavailable (%s); turns run without the "
                      "conversation lock until it is back", type(exc).__name__)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[None, None]:
        """Hold ``conversation_id``'s lock: wait for the turns that came before.

        A ticket lives :data:`TICKET_SECONDS` (at most ``lock_lifetime``) and is renewed
        while its turn waits or runs: a server killed mid-turn holds the conversation
        for seconds, not Rasa's minute."""
        counter, queue, expires = self._keys(conversation_id)
        lifetime_ms = int(min(lock_lifetime, TICKET_SECONDS) * 1000)
        ticket: int | None = None
        heartbeat: asyncio.Task | None = None
        try:
            ticket = int(self._issue(keys=[counter, queue, expires], args=[lifetime_ms]))
            while not self._try(keys=[queue, expires], args=[ticket, lifetime_ms]):
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            heartbeat = asyncio.create_task(self._beat(queue, expires, ticket, lifetime_ms))
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
        try:
            yield None
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            if ticket is not None:
                try:
                    self._release(keys=[counter, queue, expires], args=[ticket])
                except (redis.RedisError, OSError) as exc:
                    self._failed(exc)  # the ticket expires by itself

    async def _beat(self, queue: str, expires: str, ticket: int, lifetime_ms: int) -> None:
        while True:
            await asyncio.sleep(lifetime_ms / 3000)
            try:
                self._renew(keys=[queue, expires], args=[ticket, lifetime_ms])
            except (redis.RedisError, OSError) as exc:
                self._failed(exc)
