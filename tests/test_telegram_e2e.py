"""Telegram conversations end to end: python-telegram-bot, the real model and servers,
and a fake Bot API on localhost in place of Telegram."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from bot.channels.telegram import TEXT_ONLY
from bot.channels.telegram_poll import poll
from bot.content import load_content
from bot.dialogue import COUNTRY_QUESTIONS
from bot.i18n import translator
from bot.servers import CHANNELS, MODEL, running_bot
from tests.support.fake_telegram import TOKEN, running_fake_telegram
from tests.support.rest import FEE_QUESTIONS
from tests.support.telegram_users import SECRET, USED_IDS, Bot, User, texts

pytestmark = pytest.mark.model

@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("telegram")
    with running_fake_telegram() as fake:
        # The secrets come from the environment, as in production: none in credentials.yml.
        credentials = CHANNELS + "bot.channels.telegram.TelegramChannel:\n"
        env = {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_SECRET": SECRET,
               "BOT_TELEGRAM_API_URL": fake.api_url}
        with running_bot(workdir, credentials=credentials, extra_env=env) as url:
            yield Bot(url, fake, workdir)


def test_start_greets_in_the_users_telegram_language_with_language_buttons(bot):
    replies = User(bot, language_code="es").says("/start")
    es = translator("es")
    assert replies[0].params["text"] == es.gettext(
        "Hello! I give free and confidential information about the rights of migrant workers.")
    menu = replies[-1]
    assert menu.params["text"] == es.gettext("Choose your language:")
    labels = [row[0]["text"] for row in menu.keyboard]
    assert "नेपाली" in labels and "Français" in labels and len(labels) == 10
    assert all(len(row) == 1 for row in menu.keyboard)
    assert "parse_mode" not in menu.params


def test_a_deep_link_chooses_the_language(bot):
    replies = User(bot).says("/start lang-fr")
    assert texts(replies) == translator("fr").gettext(
        "I will write in {language}. Ask me a question, or say \"help\" to see all topics."
    ).format(language="Français")


def test_pressing_a_button_chooses_it_and_answers_the_callback(bot):
    user = User(bot)
    menu = user.says("/start")[-1]
    nepali = next(row[0] for row in menu.keyboard if row[0]["text"] == "नेपाली")
    press = user.press(nepali["callback_data"])
    replies = user.send(press)
    ne = translator("ne")
    assert texts(replies).startswith(ne.gettext(
        "I will write in {language}. Ask me a question, or say \"help\" to see all "
        "topics.").format(language="नेपाली"))
    answered = [call for call in bot.fake.calls if call.method == "answerCallbackQuery"]
    assert press["callback_query"]["id"] in [call.params["callback_query_id"] for call in answered]
    # The conversation goes on in Nepali.
    replies = user.says("/help")
    assert replies[0].params["text"] == ne.gettext("I can tell you about these topics:")


def test_a_fee_question_in_nepali_gets_a_sourced_fact_then_the_likely_destinations(bot):
    replies = User(bot, language_code="ne").says(FEE_QUESTIONS["ne"])
    ne = translator("ne")
    unchecked = ne.gettext("({source}, not yet checked)").split("{source}")[1]
    assert unchecked in replies[0].params["text"]
    assert replies[-1].params["text"] == ne.gettext(COUNTRY_QUESTIONS["destination"])
    assert 2 <= len(replies[-1].keyboard) <= 7  # the likeliest few, then "another"


def test_a_conversation_in_tagalog_ends_with_the_philippine_fee_rule(bot):
    user = User(bot, language_code="fil")
    tl = translator("tl")
    replies = user.says("/start")
    assert replies[0].params["text"] == tl.gettext(
        "Hello! I give free and confidential information about the rights of migrant workers.")
    replies = user.says("Pinay po ako, papuntang Saudi. Magkano ang puwedeng singilin ng "
                        "agency sa akin?")
    content, _errors = load_content()
    [fee_cap] = [fact for fact in content.all_facts() if fact.id == "ph_fee_cap_one_month"]
    first = replies[0].params["text"]
    # The fee cap is the origin's to set: the Philippine rule comes first.
    assert first.startswith(tl.gettext(fee_cap.text, domain="content").split("{")[0])
    assert fee_cap.source.short_title in first and "https://" not in first
    # The rest waits behind "more"; the sources behind a button.
    labels = [button["text"] for row in replies[-1].keyboard for button in row]
    assert labels == [tl.gettext("More"), tl.gettext("Sources")]


def test_help_and_language_commands(bot):
    user = User(bot)
    topics = user.says("/help")
    assert topics[0].params["text"] == "I can tell you about these topics:"
    assert len(topics[0].keyboard) > 5
    languages = user.says("/language")
    assert languages[0].params["text"] == "Choose your language:"
    assert len(languages[0].keyboard) == 10


def test_a_topic_button_answers_the_topic(bot):
    user = User(bot)
    topics = user.says("/help")[0]
    fees = next(row[0] for row in topics.keyboard if row[0]["text"] == "Recruitment fees")
    replies = user.send(user.press(fees["callback_data"]))
    assert ", not yet checked)" in replies[0].params["text"]
    assert replies[-1].params["text"] == COUNTRY_QUESTIONS["origin"]  # fee caps: the origin


def test_a_repeated_update_is_answered_once(bot):
    user = User(bot)
    update = user.message("/help")
    user.send(update)
    assert bot.post(json.dumps(update).encode()) == 200
    replies_after_repeat = user.says("/language")
    assert len(bot.fake.sent(user.id)) == 2
    assert replies_after_repeat[0].params["text"] == "Choose your language:"


def test_forged_callback_data_is_acknowledged_but_does_nothing(bot):
    user = User(bot)
    update = user.press('/report_abuse{"report_account": "x"}')
    assert bot.post(json.dumps(update).encode()) == 200
    bot.fake.wait_for(lambda: any(call.params.get("callback_query_id")
                                  == update["callback_query"]["id"] for call in bot.fake.calls))
    assert "Choose your language:" in texts(user.says("/language"))
    assert len(bot.fake.sent(user.id)) == 1


@pytest.mark.parametrize(("body", "secret", "status"), [
    (b'{"update_id": 1, "message": {}}', "wrong-secret", 403),
    (b'{"update_id": 1, "message": {}}', None, 403),
    (b"{not json", SECRET, 400),
    (b"\xff\xfe\x00", SECRET, 400),
    (b'{"message": {"text": "hi"}}', SECRET, 400),
])
def test_bad_requests_are_refused_and_the_next_message_works(bot, body, secret, status):
    assert bot.post(body, secret) == status
    assert User(bot).says("/help")[0].params["text"] == "I can tell you about these topics:"


@pytest.mark.parametrize("fields", [
    {"sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}]},
    {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3}},
    {"kind": "edited_message", "text": "changed my mind", "edit_date": 1767225700},
])
def test_anything_but_new_text_gets_a_polite_answer_in_the_users_language(bot, fields):
    user = User(bot, language_code="ne")
    replies = user.says(**fields)
    assert texts(replies) == translator("ne").gettext(TEXT_ONLY)
    assert "ILO" in texts(user.says(FEE_QUESTIONS["ne"]))


def test_a_10_kb_message_gets_an_answer(bot):
    replies = User(bot).says("how much can the agency charge me? " * 300)
    assert replies and all(reply.params["text"] for reply in replies)


def test_forget_erases_the_conversation(bot):
    user = User(bot)
    user.says("/start ne")
    replies = user.says("/forget")
    assert texts(replies) == translator("ne").gettext(
        "Your conversation has been erased. If you write again, we start from the beginning.")
    # The chosen language is gone: /start offers the menu again, in English.
    assert user.says("/start")[-1].params["text"] == "Choose your language:"


def test_long_polling_forwards_updates_to_the_same_webhook(bot):
    user = User(bot)
    bot.fake.queue_update(user.message("/help"))
    forwarded = asyncio.run(poll(TOKEN, SECRET, bot.webhook, bot.fake.api_url, stop_after=1))
    assert forwarded == 1
    assert "deleteWebhook" in [call.method for call in bot.fake.calls]
    replies = bot.fake.replies_after(user.id, 0)
    assert replies[0].params["text"] == "I can tell you about these topics:"


def test_no_telegram_id_and_no_message_text_in_any_file_the_servers_write(bot):
    """Run last: audits what every test above left in the stores and logs."""
    marker = f"Janakpur{uuid.uuid4().hex[:6]}"
    user = User(bot, language_code="ne")
    user.says(f"my name is Sita {marker}, how much can the agency charge me?")
    user.says(f"my employer keeps my passport {marker}")
    audited = [path for path in bot.workdir.rglob("*") if path.is_file()]
    assert any(path.name == "tracker.db" for path in audited)
    needles = [marker, "Sita", "changed my mind", TOKEN, SECRET] + [str(i) for i in USED_IDS]
    for path in audited:
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, f"{needle!r} found in {path.name}"
