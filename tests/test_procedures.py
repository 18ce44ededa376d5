"""Procedures: loading ``procedures:``, the content check, "how do I...?" choosing a
procedure, and one step per page (SMS) or a "Next step" button (chat).

Loader and check tests use a small content directory written per test; choosing and
rendering use the real content, since Qatar's two procedures are the first real ones.
On SMS a step is one page, up to STEP_PAGE_CAP segments: through the SMS channel with
the dialogue in place of Rasa, and for every step of the content in every language.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import UserMessage

from bot import dialogue, languages
from bot.channels.base import ORIGIN_HINT
from bot.channels.sms import SmsChannel
from bot.channels.sms.encoding import segments
from bot.channels.sms.gateways import InboundSms
from bot.channels.sms.keywords import KEYWORDS
from bot.channels.sms.paging import STEP_PAGE_CAP, step_page, turn_messages
from bot.content.check import check_content
from bot.content.loader import CONTENT_DIR, load_content
from bot.i18n import translator
from bot.render import CHAT, MORE, SMS, SOURCES, render

SMALL_CONTENT = Path(__file__).parent / "support" / "answer_content"
TODAY = date(2026, 12, 2)
COMPLAINT_STEPS = ["qa_complaint_call", "qa_complaint_committee", "qa_complaint_fund"]

STEP = """      - id: {id}
        text: {text}
        source: {{title: Qatar Law No. 13 of 2017, short: Qatar Law 13/2017}}
        drafted: 2026-12-01
"""


def _procedure(purpose: str = "complaint", topic: str = "redress",
               answers: str = "[unpaid_wages]", steps: str | None = None) -> str:
    if steps is None:
        steps = STEP.format(id="xx_call", text="Call the ministry.") \
            + STEP.format(id="xx_committee", text="Go to the committee.")
    return (f"procedures:\n  - id: xx_complaint\n    purpose: {purpose}\n"
            f"    title: Complain in Qatar\n    topic: {topic}\n    answers: {answers}\n"
            f"    steps:\n{steps}")


def _small_content(tmp_path: Path, procedures: str) -> Path:
    """The small test content, with ``procedures`` added to its Qatar file."""
    directory = tmp_path / "content"
    shutil.copytree(SMALL_CONTENT, directory)
    qatar = directory / "countries" / "QA.yml"
    qatar.write_text(qatar.read_text(encoding="utf-8") + procedures, encoding="utf-8")
    return directory


def _errors(tmp_path: Path, procedures: str) -> list[str]:
    _content, errors = load_content(_small_content(tmp_path, procedures))
    return [f"{error.line}: {error.message}" for error in errors]


@pytest.fixture(scope="module")
def content():
    loaded, _errors = load_content(CONTENT_DIR)
    return loaded


# -- loader ----------------------------------------------------------------------


def test_a_procedure_is_loaded_with_its_steps_in_order(tmp_path):
    loaded, errors = load_content(_small_content(tmp_path, _procedure()))
    assert errors == []
    [procedure] = loaded.countries["QA"].procedures
    assert (procedure.id, procedure.purpose, procedure.title, procedure.topic,
            procedure.answers) == ("xx_complaint", "complaint", "Complain in Qatar", "redress",
                                   ("unpaid_wages",))
    assert [(step.id, step.text, step.source.short_title, step.bring)
            for step in procedure.steps] == [
        ("xx_call", "Call the ministry.", "Qatar Law 13/2017", None),
        ("xx_committee", "Go to the committee.", "Qatar Law 13/2017", None)]


def test_an_unknown_purpose_is_an_error(tmp_path):
    assert _errors(tmp_path, _procedure(purpose="welfare_claim")) == [
        "43: procedure 'xx_complaint': unknown purpose 'welfare_claim' (for this country: "
        "complaint, passport_back)"]


def test_an_unknown_topic_is_an_error(tmp_path):
    assert _errors(tmp_path, _procedure(topic="visas")) == [
        "43: procedure 'xx_complaint': unknown topic 'visas'"]


def test_an_unknown_sub_question_in_answers_is_an_error(tmp_path):
    assert _errors(tmp_path, _procedure(answers="[pay_day]")) == [
        "43: procedure 'xx_complaint': answers 'pay_day', which is not a sub-question in "
        "questions.yml"]


def test_a_procedure_has_at_least_two_steps(tmp_path):
    one = STEP.format(id="xx_call", text="Call the ministry.")
    assert _errors(tmp_path, _procedure(steps=one)) == [
        "43: procedure 'xx_complaint': has 1 steps: a procedure has 2 to 6"]


def test_a_step_without_source_is_an_error(tmp_path):
    steps = ("      - id: xx_call\n        text: Call the ministry.\n"
             "        drafted: 2026-12-01\n"
             + STEP.format(id="xx_committee", text="Go to the committee."))
    assert _errors(tmp_path, _procedure(steps=steps)) == [
        "49: step 'xx_call': missing 'source' (title, and url or a legal reference)"]


def test_a_placeholder_without_its_value_is_an_error(tmp_path):
    steps = (STEP.format(id="xx_call", text="Call {phone}.")
             + STEP.format(id="xx_committee", text="Go to the committee."))
    assert _errors(tmp_path, _procedure(steps=steps)) == [
        "49: step 'xx_call': text uses {phone} but 'values' has no 'phone'"]


def test_procedures_and_steps_share_the_id_space_of_facts(tmp_path):
    steps = (STEP.format(id="qa_minimum_wage", text="Call the ministry.")
             + STEP.format(id="xx_committee", text="Go to the committee."))
    assert _errors(tmp_path, _procedure(steps=steps)) == [
        "49: procedure 'xx_complaint': step: id 'qa_minimum_wage' is used twice"]


# -- content check ---------------------------------------------------------------


def _check(tmp_path: Path, procedures: str) -> list[str]:
    directory = _small_content(tmp_path, procedures)
    return [str(finding) for finding in check_content(directory, TODAY)
            if "procedure" in finding.message]


def test_the_check_counts_steps_without_bring_cost_takes_and_wants_required_purposes(
        tmp_path):
    assert _check(tmp_path, _procedure()) == [
        f"error: {tmp_path}/content/countries/NP.yml: NP: required procedure "
        "'legal_departure' is not written and is not named in 'nothing_verified'",
        f"error: {tmp_path}/content/countries/NP.yml: NP: required procedure 'welfare_claim' "
        "is not written and is not named in 'nothing_verified'",
        f"error: {tmp_path}/content/countries/PH.yml: PH: required procedure "
        "'legal_departure' is not written and is not named in 'nothing_verified'",
        f"error: {tmp_path}/content/countries/PH.yml: PH: required procedure 'welfare_claim' "
        "is not written and is not named in 'nothing_verified'",
        f"error: {tmp_path}/content/countries/QA.yml: QA: required procedure 'passport_back' "
        "is not written and is not named in 'nothing_verified'",
        "warning: content/countries: of 2 procedure steps: 2 without 'bring', 2 without "
        "'cost', 2 without 'takes'",
    ]


# -- choosing and rendering --------------------------------------------------------


def _ask(content, text: str, language: str, capabilities, slots: dict | None = None
         ) -> dialogue.Outcome:
    turn = dialogue.Turn(intent="ask_redress", text=text,
                         slots={"language": language, **(slots or {})},
                         identification={"language": language, "confident": True},
                         capabilities=capabilities)
    return dialogue.run(dialogue.answer_topic, turn, content, TODAY)


def _texts(outcome: dialogue.Outcome, capabilities) -> list[str]:
    t = translator(outcome.language)
    return [render(reply, capabilities, t)["text"] for reply in outcome.replies]


@pytest.mark.parametrize(("text", "language"), [
    ("how do I complain about unpaid wages in Qatar?", "en"),
    ("कतारमा तलब नपाएको उजुरी कसरी गर्ने?", "ne"),
    ("paano ako magrereklamo sa Qatar, hindi binayaran ang sahod ko?", "tl"),
])
def test_how_do_i_complain_gets_qatar_s_complaint_steps_in_order(content, text, language):
    outcome = _ask(content, text, language, SMS)
    assert outcome.slots["shown_facts"] == COMPLAINT_STEPS[:1]
    assert outcome.slots["more_facts"] == COMPLAINT_STEPS[1:]
    second = dialogue.run(dialogue.more, dialogue.Turn(
        intent="more", text="MORE", slots={**outcome.slots}, capabilities=SMS), content, TODAY)
    third = dialogue.run(dialogue.more, dialogue.Turn(
        intent="more", text="MORE", slots={**outcome.slots, **second.slots},
        capabilities=SMS), content, TODAY)
    assert [second.slots["shown_facts"], third.slots["shown_facts"]] == [
        COMPLAINT_STEPS[1:2], COMPLAINT_STEPS[2:]]
    assert third.slots["more_facts"] is None


def test_without_how_to_words_the_facts_answer(content):
    outcome = _ask(content, "my wages are unpaid in Qatar, where can I complain?", "en", SMS)
    assert outcome.slots["shown_facts"][0] == "qa_labour_ministry_complaints"


def test_on_sms_one_step_per_page_and_more_gives_the_next(content):
    outcome = _ask(content, "how do I complain about unpaid wages in Qatar?", "en", SMS)
    assert _texts(outcome, SMS) == [
        "Complain about unpaid wages or abuse in Qatar\nStep 1 of 3: Call the Ministry of "
        "Labour on 16008, or send an SMS to 92727, to make your complaint. (Gulf Times, Qatar "
        "labour hotlines (2020), not yet checked)",
        "Reply MORE for the next step, or SOURCES for the sources.",
        "To report this anonymously, write REPORT.",
    ]
    second = dialogue.run(dialogue.more, dialogue.Turn(
        intent="more", text="MORE", slots={"language": "en", **outcome.slots},
        capabilities=SMS), content, TODAY)
    assert _texts(second, SMS) == [
        "Step 2 of 3: If the Ministry of Labour cannot settle it, your complaint goes to a "
        "Labour Dispute Settlement Committee, which decides your case. (Qatar Law No. 13 of "
        "2017, not yet checked)",
        "Reply MORE for the next step, or SOURCES for the sources.",
    ]


class DialogueBot:
    """Rasa's part without Rasa: each SMS through the dialogue (MORE as the "more" choice),
    its replies rendered and sent as the actions and Rasa send them (a text, then its
    custom JSON), the slots kept between turns."""

    def __init__(self, content, language: str) -> None:
        self.content = content
        self.slots = {"language": language}

    async def __call__(self, message: UserMessage) -> None:
        metadata = message.metadata or {}
        choice = MORE if "more:answer" in message.text else None
        turn = dialogue.Turn(intent="ask_redress", text=message.text, slots=dict(self.slots),
                             identification={"language": self.slots["language"],
                                             "confident": True},
                             capabilities=SMS, origin_hint=metadata.get(ORIGIN_HINT),
                             choice=choice)
        outcome = dialogue.run(dialogue.more if choice else dialogue.answer_topic, turn,
                               self.content, TODAY)
        self.slots.update(outcome.slots)
        for reply in outcome.replies:
            rendered = render(reply, SMS, translator(outcome.language))
            await message.output_channel.send_text_message(message.sender_id, rendered["text"])
            if rendered.get("custom"):
                await message.output_channel.send_custom_json(message.sender_id,
                                                              rendered["custom"])


def _sms(channel: SmsChannel, bot: DialogueBot, text: str) -> str | None:
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace()))
    return asyncio.run(channel.answer("generic", InboundSms("+9779812345678", text), bot,
                                      request))


NE_COMPLAINT_PAGES = [
    "कतारमा तलब नपाएको वा दुर्व्यवहारको उजुरी गर्नुहोस्\n"
    "चरण 1 / 3: उजुरी गर्न श्रम मन्त्रालय (Ministry of Labour) मा 16008 मा फोन गर्नुहोस्, वा "
    "92727 मा SMS पठाउनुहोस्। (Gulf Times, Qatar labour hotlines (2020), अझै जाँचिएको छैन)\n"
    "(तपाईं नेपालबाट हुनुहुन्छ? बदल्न 0 लेख्नुहोस्।)\n"
    'अर्को चरण पढ्न "थप", स्रोत हेर्न "स्रोत" लेखेर पठाउनुहोस्।\n'
    'नाम नखुलाई यसको रिपोर्ट गर्न "रिपोर्ट" लेख्नुहोस्।',
    "चरण 2 / 3: श्रम मन्त्रालयले समाधान गर्न नसकेमा तपाईंको उजुरी श्रम विवाद समाधान समिति "
    "(Labour Dispute Settlement Committee) मा जान्छ, जसले तपाईंको मुद्दाको निर्णय गर्छ। "
    "(Qatar Law No. 13 of 2017, अझै जाँचिएको छैन)\n"
    'अर्को चरण पढ्न "थप", स्रोत हेर्न "स्रोत" लेखेर पठाउनुहोस्।',
    "चरण 3 / 3: समितिले मालिकले तपाईंलाई पैसा तिर्नुपर्ने निर्णय गरेपछि पनि मालिकले नतिरेमा, "
    "श्रमिक सहयोग तथा बीमा कोष (Workers' Support and Insurance Fund) लाई तपाईंलाई भुक्तानी "
    "गर्न अनुरोध गर्नुहोस्। (Qatar Law No. 17 of 2018, Art. 1, अझै जाँचिएको छैन)\n"
    'स्रोत हेर्न "स्रोत" लेखेर पठाउनुहोस्।',
]


def test_on_sms_in_nepali_each_step_is_one_whole_page_and_more_brings_the_next(
        content, secrets_dir):
    channel, bot = SmsChannel(), DialogueBot(content, "ne")
    more = KEYWORDS["ne"]["more"][0]
    pages = [_sms(channel, bot, "कतारमा तलब नपाएको उजुरी कसरी गर्ने?")]
    pages += [_sms(channel, bot, more) for _step in range(2)]
    assert pages == NE_COMPLAINT_PAGES
    assert [page.startswith(f"चरण {number} / 3: ") for number, page
            in enumerate(pages, start=1)] == [False, True, True]  # the title comes first
    # Over the budget of 3 segments (UCS-2: 201 characters), within the cap of 10.
    assert [segments(page) for page in pages] == [6, 5, 5]
    assert bot.slots["more_facts"] is None


def test_every_step_in_every_language_is_one_sms_page_within_the_cap(content):
    """The cap holds for the whole content: each step's turn, with the origin guess and
    the report offer on the first step, is one page, and the step and its "next step"
    line are always on it."""
    over_budget = 0
    for language in languages.CODES:
        t = translator(language)
        for procedure in content.all_procedures():
            for index in range(len(procedure.steps)):
                def say(conversation, procedure=procedure, index=index):
                    conversation.say_procedure(procedure, index, report=index == 0,
                                               hinted="NP" if index == 0 else None)
                outcome = dialogue.run(say, dialogue.Turn(
                    intent=None, text="", slots={"language": language}, capabilities=SMS),
                    content, TODAY)
                collected = []
                for reply in outcome.replies:
                    rendered = render(reply, SMS, t)
                    collected += [{"text": rendered["text"]},
                                  *([{"custom": rendered["custom"]}]
                                    if "custom" in rendered else [])]
                page = step_page(turn_messages(collected))
                where = (language, procedure.id, index)
                assert page is not None, where
                assert segments(page) <= STEP_PAGE_CAP, where
                step_line = render(outcome.replies[0], SMS, t)["text"]
                next_line = render(outcome.replies[2 if index == 0 else 1], SMS, t)["text"]
                assert page.startswith(step_line + "\n"), where
                assert next_line in page.split("\n"), where
                over_budget += segments(page) > SMS.segment_budget
    assert over_budget > 0  # the cap is needed: without it these steps would be cut


def test_on_chat_a_numbered_step_with_a_next_step_button(content):
    outcome = _ask(content, "how can I get my passport back in Qatar? my employer kept my "
                            "passport", "en", CHAT)
    t = translator("en")
    [message] = [render(reply, CHAT, t) for reply in outcome.replies]
    assert message["text"] == (
        "Get your passport back from your employer in Qatar\n1. Ask your employer to give your "
        "passport back. The law says they must return it once your residence permit is issued "
        "or renewed, or pay a fine of up to QAR 25,000. (Qatar Law No. 21 of 2015, Arts. 8, "
        "39, not yet checked)")
    assert len(message["text"]) <= CHAT.max_chars
    assert [choice.payload for choice in outcome.replies[-1].choices] == [
        MORE, SOURCES, dialogue.REPORT]
    assert [choice.label for choice in outcome.replies[-1].choices] == [
        "Next step", "Sources", "Report anonymously"]
    sources = dialogue.run(dialogue.sources, dialogue.Turn(
        intent="sources", text="sources", slots={"language": "en", **outcome.slots},
        capabilities=CHAT), content, TODAY)
    assert _texts(sources, CHAT) == [
        "Sources:\n- Qatar Law No. 21 of 2015 regulating the entry, exit and residence of "
        "expatriates, Articles 8 and 39, as summarised by the National Committee for Combating "
        "Human Trafficking (QatarDay): https://www.qatarday.com/news/legal/passport-"
        "confiscation-is-illegal-in-qatar-qr-25000-penalty-for-employers-caught-violating/79718"]


def test_a_required_procedure_named_in_nothing_verified_is_not_an_error(tmp_path):
    marker = "nothing_verified:\n  passport_back: No public source found (searched 2026-12-02).\n"
    findings = _check(tmp_path, _procedure() + marker)
    assert [finding for finding in findings if "QA.yml" in finding] == []
