"""The NLU part of a turn alone, in process (no HTTP, no tracker): issue 9's budget.

Both models parse the same messages, interleaved message by message: our own
training examples, every n-th, so that every language, intent and length is in.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.settings import NLU_DATA_DIR

NLU_BUDGET_P95_MS = 15.0  # issue 9: the NLU part of a turn, at the 95th percentile
NLU_SAMPLE = 300  # training examples parsed, spread over every intent


def nlu_sample(size: int = NLU_SAMPLE) -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [example.get("text") for example in load_data(str(NLU_DATA_DIR)).intent_examples]
    step = max(len(texts) // size, 1)
    return texts[::step][:size]


def nlu_ms(models: dict[str, Path], texts: list[str]) -> dict[str, list[float]]:
    """How long each model's NLU takes for one message, in milliseconds."""
    import asyncio

    from rasa.core.agent import Agent

    from bot.log_privacy import quiet_rasa_debug_events

    quiet_rasa_debug_events()  # as a served bot: no event per parse
    agents = {name: Agent.load(str(model)) for name, model in models.items()}
    samples: dict[str, list[float]] = {name: [] for name in models}

    async def parse_all() -> None:
        for text in texts[:20]:  # warm up
            for agent in agents.values():
                await agent.parse_message(text)
        for text in texts:
            for name, agent in agents.items():
                start = time.perf_counter()
                await agent.parse_message(text)
                samples[name].append((time.perf_counter() - start) * 1000)

    asyncio.run(parse_all())
    return samples
