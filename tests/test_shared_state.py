"""bot/storage/shared_state.py and bot/storage/lock_store.py against the real Redis (and a
closed port for a Redis that is down). Skipped without a Redis server, unless
``BOT_TEST_CLUSTER=required``."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
import redis

from bot.channels.sms.paging import PendingPages
from bot.channels.telegram import RecentIds
from bot.servers import free_port
from bot.storage import shared_state as shared_state_module
from bot.storage.lock_store import AtomicRedisLockStore
from bot.storage.shared_state import MemoryState, RedisState, SharedState, shared_state
from tests.support.cluster import require_redis

DOWN = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture(params=["memory", "redis"])
def state(request) -> SharedState:
    if request.param == "memory":
        return MemoryState()
    return RedisState(require_redis())


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_lists_are_replaced_popped_in_order_and_dropped(state):
    name = key()
    assert state.pop_first(name) is None
    state.replace_list(name, ["one", "two", "three"], ttl=60)
    state.replace_list(name, ["two", "three"], ttl=60)
    assert [state.pop_first(name) for _ in range(3)] == ["two", "three", None]
    state.replace_list(name, ["x"], ttl=60)
    state.replace_list(name, [], ttl=60)
    assert state.pop_first(name) is None
    state.replace_list(name, ["y"], ttl=60)
    state.delete(name)
    assert state.pop_first(name) is None


def test_marks_and_values_are_set_once_and_expire(state):
    name = key()
    assert state.add_once(name, ttl=0.3, value="first")
    assert not state.add_once(name, ttl=0.3, value="second")
    assert state.get(name) == "first"
    state.put(name, "third", ttl=0.3)
    assert state.get(name) == "third"
    time.sleep(0.4)
    assert state.get(name) is None
    assert state.add_once(name, ttl=60)
    state.replace_list(name + "l", ["page"], ttl=0.3)
    time.sleep(0.4)
    assert state.pop_first(name + "l") is None


def test_redis_keys_are_namespaced_with_a_ttl(redis_url):
    state = RedisState(redis_url)
    name = key()
    state.replace_list(name, ["a", "b"], ttl=120)
    state.put(name + "v", "1", ttl=120)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert client.lrange(f"bot:{name}", 0, -1) == ["a", "b"]
    assert 0 < client.pttl(f"bot:{name}") <= 120_000
    assert 0 < client.pttl(f"bot:{name}v") <= 120_000
    client.delete(f"bot:{name}", f"bot:{name}v")


def test_two_servers_share_the_pages_and_the_updates_seen(redis_url):
    one, two = RedisState(redis_url), RedisState(redis_url)  # as two processes would
    user = f"pseudonym-{uuid.uuid4().hex}"
    PendingPages(state=one).keep(user, ["page 2", "page 3"])
    assert PendingPages(state=two).next_page(user) == "page 2"
    assert PendingPages(state=one).next_page(user) == "page 3"
    assert PendingPages(state=two).next_page(user) is None
    namespace = uuid.uuid4().hex
    assert RecentIds(state=one, namespace=namespace).add(77)
    assert not RecentIds(state=two, namespace=namespace).add(77)
    assert RecentIds(state=two, namespace=namespace).add(78)


def test_a_redis_that_is_down_answers_from_memory_and_logs_the_class_once(caplog):
    state = RedisState(DOWN)
    caplog.set_level(logging.ERROR, logger="bot.storage.shared_state")
    user = "pseudonym-of-a-user"
    started = time.monotonic()
    PendingPages(state=state).keep(user, ["page 2"])
    assert PendingPages(state=state).next_page(user) == "page 2"  # this server's memory
    assert RecentIds(state=state).add(5) and not RecentIds(state=state).add(5)
    assert time.monotonic() - started < 2
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["shared state: Redis unavailable (ConnectionError); this server "
                        "answers from its own memory until it is back"]
    assert "127.0.0.1" not in caplog.text and user not in caplog.text


def test_without_a_redis_url_each_caller_gets_its_own_memory(monkeypatch, redis_url):
    monkeypatch.delenv("BOT_REDIS_URL", raising=False)
    first, second = shared_state(), shared_state()
    assert isinstance(first, MemoryState) and first is not second
    monkeypatch.setenv("BOT_REDIS_URL", redis_url)
    assert isinstance(shared_state(), RedisState) and shared_state() is shared_state()
    shared_state_module._redis_for.cache_clear()


def test_the_memory_keeps_at_most_max_keys_oldest_first():
    state = MemoryState(max_keys=2)
    for name in ("a", "b", "c"):
        state.put(name, name, ttl=60)
    assert (state.get("a"), state.get("b"), state.get("c")) == (None, "b", "c")


# -- the lock store ---------------------------------------------------------------------
def test_the_lock_store_runs_one_turn_at_a_time_in_order_across_servers(redis_url):
    stores = [AtomicRedisLockStore(url=redis_url, key_prefix="test"),
              AtomicRedisLockStore(url=redis_url, key_prefix="test")]  # two servers
    conversation = f"pseudonym-{uuid.uuid4().hex}"
    events: list[str] = []

    async def turn(index: int) -> None:
        await asyncio.sleep(index * 0.01)  # they arrive in this order
        async with stores[index % 2].lock(conversation):
            events.append(f"start {index}")
            await asyncio.sleep(0.05)
            events.append(f"end {index}")

    async def scenario() -> None:
        await asyncio.gather(*(turn(index) for index in range(6)))

    asyncio.run(scenario())
    assert events == [f"{what} {index}" for index in range(6) for what in ("start", "end")]
    client = redis.Redis.from_url(redis_url)
    assert client.keys(f"test:lock:{conversation}*") == []


def test_a_ticket_whose_server_died_is_dropped_after_its_lifetime(redis_url):
    store = AtomicRedisLockStore(url=redis_url, key_prefix="test")
    conversation = f"pseudonym-{uuid.uuid4().hex}"
    counter, queue, expires = store._keys(conversation)
    store._issue(keys=[counter, queue, expires], args=[300])  # taken, never renewed

    async def scenario() -> float:
        started = time.monotonic()
        async with store.lock(conversation):
            return time.monotonic() - started

    waited = asyncio.run(scenario())
    assert 0.2 < waited < 1.0


def test_a_lock_store_whose_redis_is_down_runs_the_turn_and_logs_the_class(caplog):
    store = AtomicRedisLockStore(url=DOWN, socket_timeout=0.5)
    ran = []

    async def scenario() -> None:
        async with store.lock("pseudonym-of-a-user"):
            ran.append(True)

    asyncio.run(scenario())
    assert ran == [True]
    assert [record.getMessage() for record in caplog.records
            if record.name == "bot.storage.lock_store"] == [
        "lock store: Redis unavailable (ConnectionError); turns run without the "
        "conversation lock until it is back"]
    assert "pseudonym-of-a-user" not in caplog.text
