"""What the bot should say, computed from the loaded content and the catalogs, for
end-to-end tests to compare with what it did say; and the SMS gateway a test can post to
without Kannel (the generic JSON one)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping

from bot.content.model import Amount, Content, CountryRef, Fact, Procedure, Step
from bot.countries import country_name
from bot.i18n import translator
from bot.render import SourceNote, source_line

FEE_SUB_QUESTION = "fee_cap"


def corridor_fee_rules(content: Content, origin: str, destination: str) -> list[Fact]:
    """What a worker on the corridor may be charged: the corridor file's
    ``recruitment_fees`` facts, then those of its other topics that answer ``fee_cap``,
    in file order; where the corridor file has none (no rule found that depends on both
    countries), the origin's own, which holds for every corridor from it: its facts
    answering ``fee_cap``, then its ``recruitment_fees`` facts."""
    corridor = content.corridors.get((origin, destination))
    facts = _fee_facts(corridor.facts) if corridor is not None else []
    if facts:
        return facts
    country = content.countries.get(origin)
    if country is None:
        return []
    own = country.facts
    return [fact for topic_facts in own.values() for fact in topic_facts
            if FEE_SUB_QUESTION in fact.answers] + [
        fact for fact in own.get("recruitment_fees", ()) if FEE_SUB_QUESTION not in fact.answers]


def _fee_facts(facts: Mapping[str, tuple[Fact, ...]]) -> list[Fact]:
    return list(facts.get("recruitment_fees", ())) + [
        fact for topic, topic_facts in facts.items() if topic != "recruitment_fees"
        for fact in topic_facts if FEE_SUB_QUESTION in fact.answers]


def sentence(text: str, values: Mapping[str, Amount | CountryRef | str], language: str) -> str:
    """A content text in ``language`` (its catalog translation), its values filled."""
    t = translator(language)
    formatted = {name: (country_name(value.code, language) if isinstance(value, CountryRef)
                        else t.format_amount(value.value, value.currency)
                        if isinstance(value, Amount) else value)
                 for name, value in values.items()}
    return t.gettext(text, domain="content").format(**formatted)


def is_translated(text: str, language: str) -> bool:
    """The content catalog of ``language`` has this text (English is its own)."""
    return translator(language).lookup(text, domain="content") is not None


def source_note(item: Fact | Step, language: str) -> str:
    """The few words after a fact or step: "(Qatar Law No. 13 of 2017, not yet checked)"."""
    t = translator(language)
    checked = t.format_date(item.verified.on) if item.verified else None
    return source_line(SourceNote(item.source.short_title, item.source.url, checked), t)


def fact_said(fact: Fact, language: str) -> str:
    """A fact as the bot says it: its sentence, then its source in a few words."""
    return f"{sentence(fact.text, fact.values, language)} {source_note(fact, language)}"


def step_said(procedure: Procedure, index: int, language: str, sms: bool) -> str:
    """One step as the bot says it: "Step 2 of 3: ..." on SMS, "2. ..." elsewhere, with
    the procedure's title before the first step and the source after the step."""
    t = translator(language)
    step = procedure.steps[index]
    text = sentence(step.text, step.values, language)
    line = (t.gettext("Step {number} of {total}: {text}").format(
        number=index + 1, total=len(procedure.steps), text=text) if sms
        else f"{index + 1}. {text}")
    assert not (step.bring or step.cost or step.takes), "add bring/cost/takes to step_said"
    said = f"{line} {source_note(step, language)}"
    if index == 0:
        said = t.gettext(procedure.title, domain="content") + "\n" + said
    return said


def generic_sms(url: str, secret: str, sender: str, text: str) -> list[str]:
    """One SMS through the generic JSON gateway (``X-Bot-Secret``): the pages sent back."""
    request = urllib.request.Request(  # noqa: S310 - localhost
        f"{url}/webhooks/sms/generic", data=json.dumps({"from": sender, "text": text}).encode(),
        headers={"Content-Type": "application/json", "X-Bot-Secret": secret})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
        return [message["text"] for message in json.loads(response.read())["messages"]]
