"""The trained model's understanding: test-story intents and language identification.

`rasa test core` checks the dialogue's action predictions of tests/stories; it does
not compare the intents predicted for their user lines, so that is done here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.servers import MODEL

pytestmark = pytest.mark.model
STORIES = Path(__file__).parent / "stories" / "test_stories.yml"


def _story_user_steps() -> list[tuple[str, str, str]]:
    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]
    return [(story["story"], step["user"].strip(), step["intent"])
            for story in stories for step in story["steps"] if "user" in step]


@pytest.fixture(scope="module")
def parse():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


@pytest.mark.parametrize(("story", "text", "intent"), _story_user_steps())
def test_story_lines_are_understood(parse, story, text, intent):
    assert parse(text)["intent"]["name"] == intent, story


@pytest.mark.parametrize(("text", "language"), [
    ("मलाई मेरो एजेन्सीले धेरै पैसा लियो, अब के गर्ने?", "ne"),
    ("मुझसे एजेंट ने बहुत पैसे ले लिए, अब क्या करूँ?", "hi"),
    ("mero agent le dherai paisa liyo aba k garne", "ne"),
    ("magkano po ang dapat bayaran sa ahensya", "tl"),
    ("berapa biaya yang harus saya bayar ke agen", "id"),
    ("cuánto me puede cobrar la agencia de empleo", "es"),
    ("combien l'agence peut-elle me demander pour le visa", "fr"),
    ("how much can the agency ask me to pay for the visa", "en"),
])
def test_language_of_each_message_is_identified_in_parse_data(parse, text, language):
    identification = parse(text)["language"]
    assert identification["language"] == language
    assert identification["confident"] is True
