"""Production mode: two Rasa servers and two action servers behind HAProxy, on
PostgreSQL (reports and tracker store) and Redis (lock store, shared state), with the
trained model (bot/cluster.py).

Skipped without HAProxy, PostgreSQL or Redis, unless ``BOT_TEST_CLUSTER=required``
(``.ci/run`` sets it). The servers are started once for the module (about 40 s on two
cores); the test that kills a server runs last.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import yaml

from bot.channels.sms.channel import MORE_HINT
from bot.cluster import Plan, endpoints_config, haproxy_config, running_cluster
from bot.countries import country_name
from bot.i18n import translator
from bot.reports import crypto
from bot.reports.db import session_scope, today
from bot.reports.idempotency import submit_once
from bot.reports.runtime import registry
from bot.reports.service import ReportDraft, submit
from bot.servers import MODEL, post_message
from tests.support.cluster import (
    deliver_in_another_process,
    post_json,
    query,
    require_haproxy,
    require_redis,
    stored_slots,
    throwaway_databases,
)
from tests.support.fake_partner import running_fake_partner
from tests.support.registry import make_maintainer, write_registry

pytestmark = [pytest.mark.cluster, pytest.mark.model]
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
SMS_SECRET = "cluster-test-secret"
PHONE_PREFIX = "+9779813"
GREETING = [
    "Hello! I give free and confidential information about the rights of migrant workers.",
    "Choose your language:\n1. English\n2. Filipino\n3. नेपाली\n4. Indonesia\n5. বাংলা\n"
    "6. አማርኛ\n7. العربية\n8. Español\n9. Français\n10. हिन्दी\nReply with a number.",
]
ENGLISH = 'I will write in English. Ask me a question, or say "help" to see all topics.'
FEES = ("Countries that ratified ILO Convention 181 must make sure private employment "
        "agencies do not charge workers fees or costs, directly or indirectly. The "
        "government may allow exceptions for some workers or services. (ILO Convention "
        "181, Art. 7, not yet checked)")
QATAR_FEES = ("Under Qatar's Labour Law, a licensed recruitment agency must not take any "
              "recruitment fee, expense or other cost from you. (Qatar Labour Law 2004, "
              "Art. 33, not yet checked)")
CREDENTIALS = ("bot.channels.rest.RestChannel:\nbot.channels.partners.PartnerApi:\n"
               "bot.channels.sms.SmsChannel:\n  default_region: NP\n")


@pytest.fixture(scope="module")
def partner():
    with running_fake_partner() as fake:
        yield fake


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, partner):
    require_haproxy()
    redis_url = require_redis()
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    workdir = tmp_path_factory.mktemp("cluster")
    maintainer = make_maintainer(workdir)
    encryption, signing = crypto.new_partner_keys()
    write_registry(workdir / "partners.yml", maintainer, partners=[{
        "id": "gulf-helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en"],
        "public_key": encryption.public_key, "verify_key": signing.public_key,
        "webhook_url": f"{partner.url}/reports"}])
    (workdir / "credentials.yml").write_text(CREDENTIALS, encoding="utf-8")
    env = {"BOT_SECRETS_DIR": str(workdir / "secrets"),
           "BOT_PARTNERS_FILE": str(workdir / "partners.yml"),
           "BOT_TRUST_FILE": str(maintainer.trust_file), "BOT_OUTBOX_INTERVAL": "0.5",
           "BOT_SMS_GENERIC_SECRET": SMS_SECRET, "BOT_REDIS_URL": redis_url}
    with throwaway_databases() as database, pytest.MonkeyPatch.context() as patch:
        url = database.render_as_string(hide_password=False)
        for variable, value in {**env, "BOT_DATABASE_URL": url}.items():
            patch.setenv(variable, value)
        plan = Plan.make(2, workdir / "run", url, redis_url, free_ports=True,
                         credentials=workdir / "credentials.yml")
        with running_cluster(plan, env) as running:
            yield running


def test_the_generated_configuration(tmp_path):
    plan = Plan(2, tmp_path, "postgresql://bot:pw@db.internal:5433/bot", "redis://cache:6380/2",
                front_port=5005, actions_front_port=5055, rasa_ports=(5101, 5102),
                action_ports=(5151, 5152))
    assert yaml.safe_load(endpoints_config(plan)) == {
        "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
        "tracker_store": {"type": "bot.storage.tracker_store.RedactingSQLTrackerStore",
                          "dialect": "postgresql", "url": "db.internal", "port": 5433,
                          "db": "bot_tracker", "username": "bot", "password": "pw"},
        "lock_store": {"type": "bot.storage.lock_store.AtomicRedisLockStore",
                       "url": "redis://cache:6380/2", "key_prefix": "bot"}}
    config = haproxy_config(plan)
    assert config.splitlines().count("    balance roundrobin") == 2  # both backends
    for line in ("    bind 127.0.0.1:5005", "    bind 127.0.0.1:5055", "    option redispatch 1",
                 "    retries 3", "    retry-on conn-failure empty-response",
                 "    option httpchk GET /", "    option httpchk GET /health",
                 "    server rasa1 127.0.0.1:5101 check inter 1s fall 3 rise 1",
                 "    server rasa2 127.0.0.1:5102 check inter 1s fall 3 rise 1",
                 "    server actions1 127.0.0.1:5151 check inter 1s fall 3 rise 1",
                 "    server actions2 127.0.0.1:5152 check inter 1s fall 3 rise 1"):
        assert config.splitlines().count(line) == 1, line
    assert "\n    log" not in config  # request lines are not logged


def texts(url: str, sender: str, text: str) -> list[str]:
    RAW_IDS.append(sender)
    return [reply["text"] for reply in post_message(url, sender, text, timeout=120)
            if reply.get("text")]


def pseudonym_of(url: str, sender: str, text: str) -> tuple[str, list[str]]:
    RAW_IDS.append(sender)
    replies = post_message(url, sender, text, timeout=120)
    return replies[0]["recipient_id"], [reply["text"] for reply in replies if reply.get("text")]


def sms(url: str, phone: str, text: str) -> list[str]:
    RAW_IDS.extend((phone, phone.removeprefix("+")))
    status, body = post_json(f"{url}/webhooks/sms/generic", {"from": phone, "text": text},
                             {"X-Bot-Secret": SMS_SECRET})
    assert status == 200
    return [message["text"] for message in body["messages"]]


def test_a_conversation_alternating_between_the_servers_keeps_its_state(cluster):
    plan = cluster.plan
    a, b = plan.server_url(0), plan.server_url(1)
    sender = f"alternating-{uuid.uuid4().hex[:8]}"
    pseudonym, replies = pseudonym_of(a, sender, "hello")
    assert replies == GREETING
    assert texts(b, sender, "1") == [ENGLISH]
    assert texts(a, sender, "how much can the agency charge me?")[0] == FEES
    assert texts(b, sender, "Qatar")[0] == QATAR_FEES  # the question asked on A, answered on B
    slots = stored_slots(plan.tracker_database_url, pseudonym)
    assert (slots["language"], slots["language_chosen"], slots["destination"]) == \
        ("en", True, "QA")
    # And through HAProxy, which sends each request to the next server.
    assert texts(plan.url, sender, "how much can the agency charge me?")[0] == QATAR_FEES
    assert texts(plan.url, sender, "how much can the agency charge me?")[0] == QATAR_FEES
    assert stored_slots(plan.tracker_database_url, pseudonym)["destination"] == "QA"
    assert sender not in json.dumps(query(plan.tracker_database_url, "SELECT * FROM events"),
                                    default=str)


def test_sms_pages_are_shared_more_on_the_other_server_gets_the_next_page(cluster):
    plan = cluster.plan
    hint = "\n" + translator("ne").gettext(MORE_HINT)
    alone, shared = f"{PHONE_PREFIX}{uuid.uuid4().int % 10**6:06d}", \
        f"{PHONE_PREFIX}{uuid.uuid4().int % 10**6:06d}"
    question = "घरेलु कामदारलाई बिदा पाइन्छ?"  # in Nepali: UCS-2, 201 characters an SMS budget
    expected = sms(plan.server_url(0), alone, question)
    while expected[-1].endswith(hint):
        assert len(expected) < 10
        expected += sms(plan.server_url(0), alone, "MORE")
    assert len(expected) >= 2, expected  # the answer takes more than one SMS
    pages = sms(plan.server_url(1), shared, question)
    keys = redis.Redis.from_url(plan.redis_url).keys("bot:sms-pages:*")
    client = redis.Redis.from_url(plan.redis_url)
    assert all(shared[1:] not in key.decode() for key in keys)
    assert all(0 < client.ttl(key) <= 3600 for key in keys)
    server = 0
    while pages[-1].endswith(hint):
        assert len(pages) < 10
        pages += sms(plan.server_url(server), shared, "MORE")
        server = 1 - server
    assert pages == expected


def _report_steps() -> list[str]:
    return ["1", country_name("QA", "en"), "0", "0", "0", "2", "", "2", "0"]


def test_the_same_report_sent_through_both_servers_is_stored_and_delivered_once(
        cluster, partner):
    plan = cluster.plan
    servers = [plan.server_url(0), plan.server_url(1)]
    sender = f"reporter-{uuid.uuid4().hex[:8]}"
    marker = f"marker{uuid.uuid4().hex[:8]}"
    account = f"{marker} my salary was not paid for four months"
    RAW_IDS.append(marker)
    before = len(partner.bodies("/reports"))
    texts(servers[0], sender, "hello")
    texts(servers[1], sender, "1")
    texts(servers[0], sender, "I want to report my employer for abuse")
    for number, step in enumerate(_report_steps()):
        texts(servers[number % 2], sender, step or account)
    # The last answer ("1", send it) reaches both servers at once, as a client's retry
    # of a turn that seemed lost would.
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda url: "\n".join(texts(url, sender, "1")), servers))
    codes = {code for answer in answers for code in CODE.findall(answer)}
    assert len(codes) == 1, answers
    assert sum("Gulf Workers Helpline" in answer for answer in answers) == 1, answers
    deadline = time.monotonic() + 20
    while len(partner.bodies("/reports")) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # six more outbox runs on each server: no second delivery
    assert len(partner.bodies("/reports")) == before + 1
    assert query(plan.database_url, "SELECT count(*) FROM reports") == [(1,)]
    assert query(plan.database_url, "SELECT count(*), count(delivered_on) FROM outbox") \
        == [(1, 1)]


def test_a_retried_submission_of_the_same_draft_is_one_report(cluster):
    """The idempotency key: the same conversation's same draft, submitted from two
    threads at once and once more later, is one report with one receipt."""
    draft = ReportDraft(categories=["wages"], destination="QA", account="not paid, twice",
                        language="en")
    recipients = registry()
    before = query(cluster.plan.database_url, "SELECT count(*) FROM reports")[0][0]
    calls = []

    def store():
        calls.append(1)
        time.sleep(0.3)  # the other one arrives while this one is storing
        with session_scope() as session:
            return submit(session, draft, recipients.partners, today(),
                          consulates=recipients.consulates)

    def once(_index: int):
        return submit_once("pseudonym-of-one-conversation" + RUN, draft,
                           recipients.partners, store)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(once, range(2))
    third = once(2)
    assert len(calls) == 1
    assert first.code == second.code == third.code and first.report_id == third.report_id
    assert query(cluster.plan.database_url, "SELECT count(*) FROM reports") == [(before + 1,)]
    other = submit_once("another-conversation" + RUN, draft, recipients.partners, store)
    assert other.code != first.code and len(calls) == 2


def test_two_outbox_processes_deliver_each_report_once(cluster, tmp_path):
    """deliver_due in two processes at once on PostgreSQL (FOR UPDATE SKIP LOCKED), to
    a partner that answers slowly: every report arrives once."""
    with running_fake_partner(delay=0.05) as slow:
        maintainer = make_maintainer(tmp_path)
        encryption, signing = crypto.new_partner_keys()
        write_registry(tmp_path / "partners.yml", maintainer, partners=[{
            "id": "slow-helpline", "name": "Slow Helpline", "kind": "ngo",
            "countries": ["BH"], "categories": ["*"], "languages": ["en"],
            "public_key": encryption.public_key, "verify_key": signing.public_key,
            "webhook_url": f"{slow.url}/reports"}])
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("BOT_PARTNERS_FILE", str(tmp_path / "partners.yml"))
            patch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
            recipients = registry()
            with session_scope() as session:
                ids = [submit(session, ReportDraft(categories=["wages"], destination="BH",
                                                   account=f"account {n}"),
                              recipients.partners, today()).report_id
                       for n in range(20)]
            context = multiprocessing.get_context("spawn")
            ready, start, results = context.Queue(), context.Event(), context.Queue()
            workers = [context.Process(target=deliver_in_another_process,
                                       args=(ready, start, results)) for _ in range(2)]
            for worker in workers:
                worker.start()
            assert [ready.get(timeout=60) for _ in workers] == ["ready", "ready"]
            start.set()
            counts = sorted(results.get(timeout=60) for _ in workers)
            for worker in workers:
                worker.join(30)
        delivered = [json.loads(body)["report_id"] for body in slow.bodies("/reports")]
    assert sorted(delivered) == sorted(ids)  # each once
    assert sum(counts) == 20 and counts[0] > 0, counts  # both processes took part


def test_a_burst_of_200_conversations_through_haproxy_is_answered(cluster):
    barrier = threading.Barrier(200)

    def conversation(index: int) -> list[str]:
        barrier.wait(30)
        return texts(cluster.plan.url, f"burst-{RUN}-{index}", "hello")

    started = time.monotonic()
    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(conversation, range(200)))
    elapsed = time.monotonic() - started
    assert answers == [GREETING] * 200
    print(f"200 concurrent conversations answered in {elapsed:.1f} s")


def test_a_server_killed_mid_conversation_loses_nothing(cluster):
    plan = cluster.plan
    sender = f"killed-{uuid.uuid4().hex[:8]}"
    pseudonym, replies = pseudonym_of(plan.server_url(0), sender, "hello")
    assert replies == GREETING
    assert texts(plan.url, sender, "1") == [ENGLISH]
    assert texts(plan.url, sender, "how much can the agency charge me?")[0] == FEES
    assert texts(plan.url, sender, "Qatar")[0] == QATAR_FEES  # the country, before the kill
    # A turn in flight on server 1 when it is killed (SIGKILL, as a crash); the client
    # gets no answer and sends it again, through HAProxy. (If the turn was answered
    # before the kill after all, it must be the right answer.)
    question = "how much can the agency charge me?"
    client = redis.Redis.from_url(plan.redis_url)
    in_flight = ThreadPoolExecutor(1).submit(texts, plan.server_url(0), sender, question)
    deadline = time.monotonic() + 5
    while not client.exists(f"bot:lock:{pseudonym}:queue") and time.monotonic() < deadline:
        time.sleep(0.001)  # until server 1 holds the conversation's lock: mid-turn
    cluster.kill(cluster.rasa[0])
    cluster.kill(cluster.actions[0])
    try:
        answered = in_flight.result(timeout=60)
    except OSError:
        answered = None
    assert answered is None or answered[0] == QATAR_FEES
    started = time.monotonic()
    assert texts(plan.url, sender, question)[0] == QATAR_FEES  # Qatar, given before
    retried_in = time.monotonic() - started
    for _ in range(4):  # HAProxy may not have seen it die yet: refused there, retried
        assert texts(plan.url, sender, question)[0] == QATAR_FEES
    slots = stored_slots(plan.tracker_database_url, pseudonym)
    assert (slots["language"], slots["destination"]) == ("en", "QA")
    assert cluster.rasa[1].alive and not cluster.rasa[0].alive
    assert retried_in < 15  # at most the killed server's lock ticket lifetime (10 s)
    print(f"the retried turn was answered in {retried_in:.1f} s "
          f"({'killed mid-turn' if answered is None else 'answered before the kill'})")


def test_no_id_number_or_report_text_in_logs_redis_or_databases(cluster):
    """After everything above: the servers' logs, every Redis key and value of ours, and
    both databases hold none of the ids the channels gave, nor the report's text."""
    plan = cluster.plan
    logs = "\n".join(path.read_text(encoding="utf-8", errors="replace")
                     for path in sorted(plan.workdir.glob("*.log")))
    client = redis.Redis.from_url(plan.redis_url, decode_responses=True)
    ours = [key for key in client.scan_iter("bot:*")]
    stored = "\n".join(ours + [json.dumps(client.lrange(key, 0, -1)
                                          if client.type(key) == "list" else
                                          client.get(key) if client.type(key) == "string"
                                          else client.hgetall(key) if client.type(key) == "hash"
                                          else client.zrange(key, 0, -1)) for key in ours])
    tables = [table for (table,) in query(
        plan.database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    rows = json.dumps([query(plan.database_url, f'SELECT * FROM "{table}"')
                       for table in tables] + [query(plan.tracker_database_url,
                                                     "SELECT * FROM events")], default=str)
    if len(RAW_IDS) < 200:
        pytest.skip("checks what the tests before it wrote: run the whole module")
    for raw in RAW_IDS:
        for where, text in (("logs", logs), ("redis", stored), ("databases", rows)):
            assert raw not in text, (where, raw)


RUN = uuid.uuid4().hex[:8]
RAW_IDS: list[str] = []  # every sender id and phone number the tests used, and the text
