"""Load on the running servers over HTTP: turns, concurrency, long conversations, SMS.

Every figure is taken on both bots in alternation, block by block (ours first in
one round, plain first in the next), so that whatever else the machine does at a
moment weighs on both alike. A turn's latency is the wall time of one REST request
(``POST /webhooks/rest/webhook``) as a client sees it; a block's throughput is its
turns over its wall time, with ``concurrency`` conversations at once, each one
sequential as a person's is.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.servers import post_message

MESSAGES = [
    "hello", "how much can the agency charge me?", "I am from Nepal", "2",
    "my employer keeps my passport", "मेरो तलब आएको छैन", "thank you", "bye",
]
# Conversations per block, two rounds (ours first, then plain first): 96, 192 and 256
# turns per bot at 1, 4 and 16 conversations at once.
CONVERSATIONS = {1: 6, 4: 12, 16: 16}
ROUNDS = 2
LONG_TURNS = 300
LONG_BUCKET = 30


def turn_ms(url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    post_message(url, sender, text)
    return (time.perf_counter() - start) * 1000


def _conversation(url: str) -> list[float]:
    sender = uuid.uuid4().hex
    return [turn_ms(url, sender, text) for text in MESSAGES]


def block(url: str, concurrency: int, conversations: int) -> tuple[list[float], float]:
    """``conversations`` conversations, ``concurrency`` at once: each turn's latency (ms)
    and the block's wall time (s)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(itertools.chain.from_iterable(
            pool.map(lambda _index: _conversation(url), range(conversations))))
    return latencies, time.perf_counter() - start


def interleaved(urls: dict[str, str], concurrency: int, rounds: int = ROUNDS,
                conversations: int | None = None) -> dict[str, dict]:
    """Each bot's turn latencies and throughput at ``concurrency``, the bots taking turns
    block by block."""
    conversations = conversations or CONVERSATIONS[concurrency]
    names = list(urls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    walls = dict.fromkeys(names, 0.0)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            latencies, wall = block(urls[name], concurrency, conversations)
            samples[name] += latencies
            walls[name] += wall
    return {name: {"latencies_ms": samples[name],
                   "turns_per_s": len(samples[name]) / walls[name]} for name in names}


def long_conversation(urls: dict[str, str], turns: int = LONG_TURNS) -> dict[str, list[float]]:
    """One conversation of ``turns`` turns per bot (our messages over and over), the bots
    at the same time, each in its own thread, so that they share the machine alike (and
    the step takes half as long as one after the other): each turn's latency, in order."""

    def one(url: str) -> list[float]:
        sender = uuid.uuid4().hex
        return [turn_ms(url, sender, text)
                for text in itertools.islice(itertools.cycle(MESSAGES), turns)]

    with ThreadPoolExecutor(len(urls)) as pool:
        futures = {name: pool.submit(one, url) for name, url in urls.items()}
        return {name: future.result() for name, future in futures.items()}


def read_timings(path: Path, skip_lines: int = 0, stop_line: int | None = None
                 ) -> dict[str, list[float]]:
    """The action server's ``--timings`` file, its lines ``skip_lines`` to ``stop_line``
    (not included): milliseconds per action name."""
    timings: dict[str, list[float]] = {}
    if not path.exists():
        return timings
    lines = path.read_text(encoding="utf-8").splitlines()[skip_lines:stop_line]
    for line in lines:
        name, _, value = line.partition("\t")
        if value:
            timings.setdefault(name, []).append(float(value))
    return timings


def count_lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


SMS_SECRET = secrets.token_hex(16)  # the generic gateway's secret, for this run only


def sms_numbers(region: str | None) -> Callable[[int], str]:
    """Distinct valid numbers of a region (the country code tells the bot the origin,
    as a real SMS would), made from the region's example mobile number."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(region or "NP",
                                                   phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"phonenumbers has no example mobile number for {region}")
    national = str(example.national_number)

    def number(index: int) -> str:
        candidate = national[:-3] + f"{index % 1000:03d}"
        parsed = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if not phonenumbers.is_valid_number(parsed):
            parsed = example
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    return number


def sms_answer(url: str, number: str, text: str) -> list[str]:
    """One SMS through the generic gateway: the texts of the SMS sent back."""
    body = json.dumps({"from": number, "text": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/sms/generic", data=body,  # noqa: S310
                                     headers={"Content-Type": "application/json",
                                              "X-Bot-Secret": SMS_SECRET})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
        return [message.get("text") or "" for message in json.loads(response.read())["messages"]]


def sms_segments(url: str, questions: list[dict]) -> dict[str, list[int]]:
    """Each question asked by SMS from a new number of its origin: the segments of the
    answer's first page (all its SMS together), per language."""
    from bot.channels.sms.encoding import segments

    counts: dict[str, list[int]] = {}
    for index, question in enumerate(questions):
        number = sms_numbers(question.get("origin"))(index)
        texts = sms_answer(url, number, question["text"])
        counts.setdefault(question["language"], []).append(sum(segments(t) for t in texts))
    return counts
