"""The project's command line: ``python -m bot ...`` (installed as ``migrant-bot``).

    content check | stats | preview     for caseworkers editing content/
    content verify ID --by ROLE         record that a fact was compared with its source
    i18n update | compile | check       for translators' gettext catalogs
    eval-nlu                            intent accuracy per language on a labelled set
    nlu-compare                         intent classifiers compared, by CV and on the dev sets
    partner keygen | open | reply       a partner's keys; check and read a delivery; answer it
    partner verify-key                  the key partners check deliveries with
    partner check | vet | maintainer-keygen   maintainers: check the registry, vet an entry
    reports deliver                     report delivery and expiry
    action-server                       the custom actions, on 127.0.0.1, failing silently
    keys init                           the deployment's keys, once, in BOT_SECRETS_DIR
    bench                               latency and throughput, as ratios to plain Rasa
    telegram-poll                       long polling: Telegram updates to the local webhook
    cluster --replicas N                N Rasa and action servers behind HAProxy (make run-cluster)
    wait-for URL                        used by the Makefile to wait for a server
    console serve | add-user | verify-audit | demo   the review console (bot/console/)
    settings [--check]                  the BOT_* variables as a Markdown table; check them
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from bot.settings import EVAL_DIR, MODEL_FILE, NLU_DATA_DIR, RESULTS_DIR, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="migrant-bot")
    commands = parser.add_subparsers(dest="command", required=True)

    content = commands.add_parser("content", help="check, measure and preview content/")
    content_commands = content.add_subparsers(dest="action", required=True)
    check = content_commands.add_parser("check", help="find every mistake in content/")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--verbose", action="store_true", help="list every SMS-length warning")
    content_commands.add_parser("stats", help="coverage by language and by corridor")
    verify = content_commands.add_parser(
        "verify", help="record that a fact or procedure step was compared with its source")
    verify.add_argument("item_id", metavar="FACT_ID", help="a fact's or a step's id")
    verify.add_argument("--by", required=True, help="the verifier's role (caseworker, lawyer, "
                                                    "paralegal, translator, researcher)")
    verify.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="when it was compared (default: today)")
    preview = content_commands.add_parser("preview", help="what the bot would answer")
    preview.add_argument("topic", help="a topic id, e.g. recruitment_fees")
    preview.add_argument("--language", default="en")
    preview.add_argument("--channel", default="rest", help="rest, telegram or sms")
    preview.add_argument("--question", default="", help="a question, as a worker would type "
                                                         "it: its words choose the facts")
    preview.add_argument("--origin", help="ISO code, e.g. NP")
    preview.add_argument("--destination", help="ISO code, e.g. QA")

    i18n = commands.add_parser("i18n", help="gettext catalogs")
    i18n_commands = i18n.add_subparsers(dest="action", required=True)
    i18n_commands.add_parser("update", help="extract strings and merge them into catalogs")
    compile_ = i18n_commands.add_parser("compile", help="compile .po files to .mo")
    compile_.add_argument("files", nargs="*", type=Path)
    i18n_commands.add_parser("check", help="list missing translations; fails if any")

    evaluate = commands.add_parser("eval-nlu", help="intent accuracy per language")
    evaluate.add_argument("dataset", type=Path, help="YAML: intent -> language -> texts")
    evaluate.add_argument("--model", type=Path, default=MODEL_FILE)
    evaluate.add_argument("--out", type=Path)
    evaluate.add_argument("--min-overall", type=float, default=0.0)
    evaluate.add_argument("--min-language", type=float, default=0.0)
    evaluate.add_argument("--never", action="append", default=[], metavar="EXPECTED:PREDICTED",
                          help="a confusion that must not happen at all, e.g. "
                               "report_abuse:check_report_status (may repeat)")

    nlu_compare = commands.add_parser(
        "nlu-compare", help="compare intent classifiers by cross-validation and on the "
                            "development sets (bot/nlu/compare.py)")
    nlu_compare.add_argument("--folds", type=int, default=5)
    nlu_compare.add_argument("--out", type=Path, default=RESULTS_DIR / "nlu-compare.json")
    nlu_compare.add_argument("--data", type=Path, default=NLU_DATA_DIR)
    nlu_compare.add_argument("--hard", type=Path, default=EVAL_DIR / "dev_nlu_hard.yml")
    nlu_compare.add_argument("--clean", type=Path, default=EVAL_DIR / "dev_nlu.yml")
    nlu_compare.add_argument("--no-diet", dest="diet", action="store_false",
                             help="skip training the small DIET (several minutes)")

    answers = commands.add_parser("eval-answers", help="fact questions through the trained bot")
    answers.add_argument("dataset", type=Path, help="YAML: items with text, expect_any, ...")
    answers.add_argument("--out", type=Path)
    answers.add_argument("--min-pass", type=float, default=0.0)
    answers.add_argument("--min-language", type=float, default=0.0)
    answers.add_argument("--max-median-chars", type=float, default=float("inf"))

    partner = commands.add_parser("partner", help="partner organisations")
    partner_commands = partner.add_subparsers(dest="action", required=True)
    keygen = partner_commands.add_parser("keygen", help="make a partner's key pairs")
    keygen.add_argument("--id", required=True, help="the partner's id in partners.yml")
    keygen.add_argument("--out", type=Path, help="where to write the private keys")
    open_ = partner_commands.add_parser(
        "open", help="check the bot's signature on a delivery your webhook received, and "
                     "decrypt it")
    open_.add_argument("delivery", type=Path, help="the JSON body the bot POSTed to you")
    open_.add_argument("--keys", type=Path, required=True, help="your file from keygen")
    open_.add_argument("--signature", required=True,
                       help="the delivery's X-Report-Signature header")
    open_.add_argument("--bot-key", required=True,
                       help="the bot's verify key, as `partner verify-key` printed it")
    partner_commands.add_parser("verify-key", help="print the key partners check the bot's "
                                                   "deliveries with")
    reply = partner_commands.add_parser("reply", help="answer a report; the reporter reads "
                                                      "it with their receipt code")
    reply.add_argument("--keys", type=Path, required=True, help="your file from keygen")
    reply.add_argument("--id", required=True, help="your id in partners.yml")
    reply.add_argument("--report", required=True, help="the report_id of the delivery")
    reply.add_argument("--text", required=True, help="the answer, in the reporter's language")
    reply.add_argument("--bot-url", default="http://127.0.0.1:5005")

    check_partners = partner_commands.add_parser(
        "check", help="check a partner registry; exits 1 with every reason if the bot "
                      "would refuse it")
    check_partners.add_argument("registry", type=Path, nargs="?",
                                help="default: BOT_PARTNERS_FILE or content/partners.yml")
    vet = partner_commands.add_parser("vet", help="sign an entry of the registry as vetted")
    vet.add_argument("id", help="the entry's id")
    vet.add_argument("--key", type=Path, required=True, help="your maintainer key file")
    vet.add_argument("--registry", type=Path,
                     help="default: BOT_PARTNERS_FILE or content/partners.yml")
    maintainer_keygen = partner_commands.add_parser(
        "maintainer-keygen", help="make a maintainer's vetting key pair")
    maintainer_keygen.add_argument("--id", required=True, help="your maintainer id")
    maintainer_keygen.add_argument("--name", required=True, help="your name, as others know it")
    maintainer_keygen.add_argument("--out", type=Path, help="where to write the private key")

    reports = commands.add_parser("reports", help="deliver and expire reports")
    reports_commands = reports.add_subparsers(dest="action", required=True)
    reports_commands.add_parser("deliver", help="deliver due reports, delete expired ones")

    keys = commands.add_parser("keys", help="the deployment's own keys")
    keys_commands = keys.add_subparsers(dest="action", required=True)
    keys_commands.add_parser("init", help="create the keys missing from BOT_SECRETS_DIR "
                                          "(once, before the first start in production)")

    action_server = commands.add_parser(
        "action-server", help="serve the custom actions to the Rasa server (instead of "
                              "`rasa run actions`)",
        description="Listens on 127.0.0.1 (BOT_ACTIONS_HOST to change); refuses DEBUG logs "
                    "unless BOT_ALLOW_DEBUG_LOGS=1.")
    action_server.add_argument("--port", type=int, default=5055)
    action_server.add_argument("--actions", default="actions", help="the actions package")
    action_server.add_argument("--timings", type=Path, default=None,
                               help="append each action's name and milliseconds to this file "
                                    "(make bench)")

    bench = commands.add_parser("bench", help="latency and throughput against plain Rasa")
    bench.add_argument("--out", type=Path, default=RESULTS_DIR / "bench.json",
                       help="the JSON result; the Markdown report and plots go beside it")
    bench.add_argument("--train", choices=("auto", "yes", "no"), default="auto",
                       help="time a training run of our model too (auto: if the budget allows)")

    poller = commands.add_parser(
        "telegram-poll", help="fetch Telegram updates and pass them to the running server",
        description="Needs BOT_TELEGRAM_TOKEN and BOT_TELEGRAM_SECRET (the server's too); "
                    "BOT_TELEGRAM_API_URL changes the Bot API address.")
    poller.add_argument("--webhook", default="http://127.0.0.1:5005/webhooks/telegram/webhook")

    cluster = commands.add_parser(
        "cluster", help="production mode on one machine: N Rasa servers, N action servers "
                        "and HAProxy, on PostgreSQL and Redis (make run-cluster)",
        description="Uses BOT_DATABASE_URL (a postgresql:// URL; default the local "
                    "server's migrant_bot database, created if missing) and BOT_REDIS_URL "
                    "(default redis://127.0.0.1:6379/0). Serves on --port through HAProxy.")
    cluster.add_argument("--replicas", type=int, default=2)
    cluster.add_argument("--port", type=int, default=5005, help="HAProxy's port")
    cluster.add_argument("--workdir", type=Path, default=None,
                         help="generated configuration and logs (default run/cluster/)")

    wait = commands.add_parser("wait-for", help="wait until a URL answers")
    wait.add_argument("url")
    wait.add_argument("--timeout", type=float, default=60)

    _console_arguments(commands)

    settings_ = commands.add_parser(
        "settings", help="every BOT_* variable, its default and what it does (Markdown)",
        description="Prints the README's table of settings and paths, from bot/settings.py.")
    settings_.add_argument("--check", action="store_true",
                           help="instead, check the variables set in this environment")

    args = parser.parse_args(argv)
    handler = {
        ("content", "check"): _content_check, ("content", "stats"): _content_stats,
        ("content", "preview"): _content_preview, ("content", "verify"): _content_verify,
        ("i18n", "update"): _i18n_update,
        ("i18n", "compile"): _i18n_compile, ("i18n", "check"): _i18n_check,
        ("eval-nlu", None): _eval_nlu, ("eval-answers", None): _eval_answers,
        ("nlu-compare", None): _nlu_compare,
        ("wait-for", None): _wait_for,
        ("cluster", None): _cluster,
        ("bench", None): _bench, ("partner", "keygen"): _partner_keygen,
        ("partner", "open"): _partner_open, ("partner", "reply"): _partner_reply,
        ("partner", "verify-key"): _partner_verify_key, ("partner", "check"): _partner_check,
        ("partner", "vet"): _partner_vet,
        ("partner", "maintainer-keygen"): _maintainer_keygen,
        ("reports", "deliver"): _reports_deliver, ("action-server", None): _action_server,
        ("telegram-poll", None): _telegram_poll,
        ("keys", "init"): _keys_init,
        ("console", "serve"): _console_serve, ("console", "add-user"): _console_add_user,
        ("console", "verify-audit"): _console_verify_audit, ("console", "demo"): _console_demo,
        ("settings", None): _settings,
    }[(args.command, getattr(args, "action", None))]
    try:
        return handler(args)
    except SettingsError as error:  # names the variable, never a secret's value
        print(f"error: {error}", file=sys.stderr)
        return 2


def _settings(args: argparse.Namespace) -> int:
    from bot.settings import markdown_table, settings

    if args.check:
        settings()  # a bad value raises SettingsError, printed by main()
        print("settings: every BOT_* variable set here is valid")
        return 0
    print(markdown_table(), end="")
    return 0


def _content_check(args: argparse.Namespace) -> int:
    from bot.content.check import check_content

    findings = check_content()
    sms_counts: dict[str, int] = {}
    for finding in findings:
        if finding.kind.startswith("sms:") and not args.verbose:
            language = finding.kind.split(":", 1)[1]
            sms_counts[language] = sms_counts.get(language, 0) + 1
        else:
            print(finding)
    for language, count in sorted(sms_counts.items()):
        print(f"warning: {count} facts in {language} take more than 3 SMS each "
              "(--verbose lists them)")
    _print_trust_summary()
    errors = [f for f in findings if f.severity == "error"]
    warnings = len(findings) - len(errors)
    print(f"content check: {len(errors)} errors, {warnings} warnings")
    return 1 if errors or (args.strict and warnings) else 0


def _print_trust_summary() -> None:
    """How far the content can be trusted: what ``content check`` adds after its findings."""
    from bot.content import load_content
    from bot.content.check import nothing_verified_count, status

    content, _errors = load_content()
    today = date.today()
    steps = [step for procedure in content.all_procedures() for step in procedure.steps]
    for label, items in (("facts", content.all_facts()), ("procedure steps", steps)):
        counts = status(items, today)
        print(f"{label}: {counts.verified} verified, {counts.stale} verified more than 18 "
              f"months ago, {counts.unverified} unverified, {counts.without_url} without a URL")
    print(f"nothing verified: {nothing_verified_count(content)} topics and procedures marked "
          "'nothing_verified'")


def _content_verify(args: argparse.Namespace) -> int:
    from bot.content.loader import content_dir
    from bot.content.verify import VerifyRefused, verify

    try:
        recorded = verify(args.item_id, args.by, args.on, directory=content_dir())
    except VerifyRefused as refused:
        print(f"content verify: {refused}", file=sys.stderr)
        return 2
    print(f"{recorded.file}: '{recorded.item_id}' verified on {recorded.on} by a "
          f"{recorded.by}")
    return 0


def _content_stats(args: argparse.Namespace) -> int:
    from bot import languages
    from bot.content import load_content
    from bot.content.check import corridor_matrix, country_table, coverage_by_language

    content, _errors = load_content()
    print(f"{len(content.topics)} topics, {len(content.countries)} countries, "
          f"{len(content.corridors)} corridors, {len(content.all_facts())} facts\n")
    print("Translated share of each topic's strings, by language:")
    print(f"{'topic':24}" + "".join(f"{code:>5}" for code in languages.CODES))
    for topic, row in coverage_by_language(content).items():
        print(f"{topic:24}" + "".join(f"{row[code]:>5.0%}" for code in languages.CODES))
    matrix = corridor_matrix(content)
    destinations = [c.code for c in content.countries_with_role("destination")]
    print(f"\nTopics with a country-specific answer, origin (rows) by destination "
          f"(columns), of {len(content.topics)}:")
    print("    " + "".join(f"{code:>4}" for code in destinations))
    for origin in content.countries_with_role("origin"):
        cells = "".join(f"{matrix[(origin.code, code)]:>4}" for code in destinations)
        print(f"{origin.code:4}{cells}")
    unanswered = [pair for pair, count in matrix.items() if count == 0]
    print(f"\n{len(matrix) - len(unanswered)} of {len(matrix)} corridors answered")
    print("\nFacts by country (Markdown, for the README):\n")
    print(country_table(content))
    return 0


def _content_preview(args: argparse.Namespace) -> int:
    from bot import dialogue
    from bot.content import load_content
    from bot.i18n import translator
    from bot.render import CHAT, PLAIN_TEXT, SMS, render

    capabilities = {"sms": SMS, "telegram": CHAT, "web": CHAT}.get(args.channel, PLAIN_TEXT)

    content, errors = load_content()
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    topic = content.topics.get(args.topic)
    if topic is None:
        print(f"unknown topic {args.topic!r}; topics: {', '.join(content.topics)}",
              file=sys.stderr)
        return 2
    slots = {"language": args.language, "language_chosen": True,
             "origin": args.origin, "destination": args.destination}
    turn = dialogue.Turn(intent=topic.intents[0] if topic.intents else None,
                         text=args.question, slots=slots, capabilities=capabilities)
    outcome = dialogue.run(dialogue.answer_topic, turn, content)
    for reply in outcome.replies:
        rendered = render(reply, capabilities, translator(outcome.language))
        print(rendered["text"])
        for button in rendered.get("buttons", ()):
            print(f"[{button['title']}]")
        print("---")
    return 0


def _i18n_update(args: argparse.Namespace) -> int:
    from bot.catalogs import update

    for path in update():
        print(f"wrote {path}")
    return 0


def _i18n_compile(args: argparse.Namespace) -> int:
    from bot.catalogs import catalog_path, compile_catalog, domain_languages

    files = args.files or [catalog_path(code, domain)
                           for domain, codes in domain_languages().items() for code in codes
                           if catalog_path(code, domain).exists()]
    for po_file in files:
        compile_catalog(po_file)
    return 0


def _i18n_check(args: argparse.Namespace) -> int:
    from bot.catalogs import check

    gaps = check()
    for gap in gaps:
        print(gap)
    print(f"i18n check: {len(gaps)} gaps")
    return 1 if gaps else 0


def _eval_nlu(args: argparse.Namespace) -> int:
    from bot.evaluation import evaluate_file

    report = evaluate_file(args.dataset, args.model, args.out)
    print(report.table())
    failed = report.overall < args.min_overall or any(
        accuracy < args.min_language for accuracy in report.by_language.values())
    for pair in args.never:
        expected, _sep, predicted = pair.partition(":")
        if report.count(expected, predicted):
            print(f"{expected} was read as {predicted} {report.count(expected, predicted)} "
                  "times: it must never be")
            failed = True
    return 1 if failed else 0


def _nlu_compare(args: argparse.Namespace) -> int:
    from bot.nlu.compare import compare, table, write

    eval_sets = {name: path for name, path in (("hard", args.hard), ("clean", args.clean))
                 if path.is_file()}
    for name, path in (("hard", args.hard), ("clean", args.clean)):
        if name not in eval_sets:
            print(f"nlu-compare: {path} not found, {name} set skipped", file=sys.stderr)
    results = compare(args.data, eval_sets, folds=args.folds, diet=args.diet)
    write(results, args.out)
    print(table(results))
    print(f"written to {args.out}")
    return 0


def _eval_answers(args: argparse.Namespace) -> int:
    from bot.answer_evaluation import evaluate_with_servers

    report = evaluate_with_servers(args.dataset, args.out)
    print(report.table())
    failed = report.pass_rate < args.min_pass \
        or any(rate < args.min_language for rate in report.by_language().values()) \
        or report.median_first_reply > args.max_median_chars
    return 1 if failed else 0


def _partner_keygen(args: argparse.Namespace) -> int:
    import os

    from bot.reports.crypto import new_partner_keys

    encryption, signing = new_partner_keys()
    out = args.out or Path(f"{args.id}.partner-keys")
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"# Private keys of partner {args.id}: hand over securely, keep no copy.\n"
                     f"decryption_key: {encryption.private_key}\n"
                     f"signing_key: {signing.private_key}\n")
    print(f"Private keys written to {out}. Add this entry to content/partners.yml:\n")
    print(f"  - id: {args.id}\n    name: ...\n    kind: ngo\n    countries: [\"*\"]\n"
          f"    categories: [\"*\"]\n    languages: [en]\n"
          f"    public_key: {encryption.public_key}\n    verify_key: {signing.public_key}\n"
          f"    webhook_url: https://...")
    return 0


def _partner_open(args: argparse.Namespace) -> int:
    import json

    from bot.reports.partner_tools import (
        PartnerToolError,
        open_delivery,
        read_key_file,
        verify_delivery,
    )

    try:
        keys = read_key_file(args.keys)
        delivery = args.delivery.read_bytes()
        verify_delivery(delivery, args.signature, args.bot_key)
        opened = open_delivery(delivery, keys["decryption_key"])
    except (PartnerToolError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(opened, ensure_ascii=False, indent=2))
    return 0


def _partner_reply(args: argparse.Namespace) -> int:
    from bot.reports.partner_tools import PartnerToolError, read_key_file, send_reply, signed_reply

    try:
        keys = read_key_file(args.keys)
        body, signature = signed_reply(args.id, args.report, args.text, keys["signing_key"])
        status = send_reply(args.bot_url, body, signature)
    except PartnerToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"reply {status}")
    return 0


def _partner_verify_key(args: argparse.Namespace) -> int:
    from nacl.signing import SigningKey

    from bot.reports.crypto import b64
    from bot.reports.runtime import signing_key

    print(b64(bytes(SigningKey(signing_key()).verify_key)))
    return 0


def _partner_check(args: argparse.Namespace) -> int:
    from bot.reports.partners import check_with_trust_file
    from bot.reports.runtime import partners_file
    from bot.reports.vetting import trust_file

    path = args.registry or partners_file()
    registry, problems = check_with_trust_file(path)
    for problem in problems:
        print(f"error: {problem}")
    if problems:
        print(f"partner check: {len(problems)} problems: the bot refuses this registry and "
              "keeps using the last one that passed")
        return 1
    print(f"partner check: {len(registry.partners)} partners and {len(registry.consulates)} "
          f"consulates, all vetted by maintainers in {trust_file()}")
    return 0


def _partner_vet(args: argparse.Namespace) -> int:
    from datetime import date

    from bot.reports.maintainer_tools import MaintainerToolError, vet
    from bot.reports.runtime import partners_file
    from bot.reports.vetting import trust_file

    path = args.registry or partners_file()
    try:
        section = vet(path, args.id, args.key, trust_file(), date.today())
    except MaintainerToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"vetted {args.id} in {section} of {path}")
    return 0


def _maintainer_keygen(args: argparse.Namespace) -> int:
    from bot.reports.maintainer_tools import new_maintainer_key
    from bot.reports.vetting import trust_file

    out = args.out or Path(f"{args.id}.maintainer-key")
    try:
        verify_key = new_maintainer_key(args.id, out)
    except FileExistsError:
        print(f"error: {out} exists; a key is never overwritten", file=sys.stderr)
        return 1
    print(f"Private vetting key written to {out}: keep it with you, never on the server.\n"
          f"Add this entry to {trust_file()}, through a reviewed change:\n")
    print(f"  - id: {args.id}\n    name: {args.name}\n    verify_key: {verify_key}")
    return 0


def _reports_deliver(args: argparse.Namespace) -> int:
    from bot.channels.partners import run_outbox_once

    print(f"{run_outbox_once()} reports delivered")
    return 0


def _keys_init(args: argparse.Namespace) -> int:
    from bot.privacy import DEPLOYMENT_KEYS, KeyFileError, create_key, read_key, secrets_dir

    directory = secrets_dir()
    try:
        for name in DEPLOYMENT_KEYS:
            path = directory / name
            if path.exists():
                read_key(path)
                print(f"kept {path}")
            else:
                create_key(path)
                print(f"created {path}")
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("Back these files up: a lost key cannot be made again.")
    return 0


def _action_server(args: argparse.Namespace) -> int:
    from bot.action_server import serve

    serve(args.port, args.actions, args.timings)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args.out, train=args.train)


def _telegram_poll(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from telegram.error import InvalidToken

    from bot.channels.telegram_poll import poll
    from bot.settings import settings

    configured = settings()
    token, secret = configured.telegram_token, configured.telegram_secret
    if not token or not secret:
        print("telegram-poll: set BOT_TELEGRAM_TOKEN (from @BotFather) and BOT_TELEGRAM_SECRET "
              "(the same secret as the bot server's)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        asyncio.run(poll(token, secret, args.webhook, configured.telegram_api_url))
    except InvalidToken:
        print("telegram-poll: Telegram refused the token in BOT_TELEGRAM_TOKEN", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from bot.cluster import DEFAULT_WORKDIR, main

    return main(args.replicas, args.workdir or DEFAULT_WORKDIR, args.port)


def _wait_for(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(args.url, timeout=2):  # noqa: S310 - our own server
                return 0
        except OSError:
            time.sleep(0.5)
    print(f"{args.url} did not answer within {args.timeout:.0f} s", file=sys.stderr)
    return 1


# -- the review console (bot/console/) ---------------------------------------------------
def _console_arguments(commands: argparse._SubParsersAction) -> None:
    console = commands.add_parser("console", help="the review console for caseworkers, "
                                                  "consular staff and administrators")
    console_commands = console.add_subparsers(dest="action", required=True)
    serve = console_commands.add_parser("serve", help="serve the console (default "
                                                      "127.0.0.1:BOT_CONSOLE_PORT or 8080)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="default: BOT_CONSOLE_PORT, else 8080")
    add_user = console_commands.add_parser(
        "add-user", help="make a console account; the password is read from standard input",
        description="A caseworker or consular reviewer needs their organisation's key file "
                    "(from `partner keygen`): its key is stored only wrapped with their "
                    "password.")
    add_user.add_argument("--email", required=True)
    add_user.add_argument("--role", required=True, choices=("admin", "caseworker", "consular"))
    organisation = add_user.add_mutually_exclusive_group()
    organisation.add_argument("--partner", help="a caseworker's partner id")
    organisation.add_argument("--consulate", help="a consular reviewer's consulate id")
    add_user.add_argument("--keys", type=Path,
                          help="the organisation's key file (default: <id>.partner-keys)")
    add_user.add_argument("--totp", action="store_true",
                          help="require a TOTP code at login; prints the secret once")
    console_commands.add_parser("verify-audit", help="check the audit log's hash chain; "
                                                     "exits 1 if an entry was altered")
    demo = console_commands.add_parser(
        "demo", help="a demo partner on this computer, with console accounts (once)",
        description="Everything in one directory: its own database, secrets, trust file "
                    "and registry, with a vetted `delivery: console` partner for every "
                    "country. `make run DEMO=1` and `make console DEMO=1` use it.")
    demo.add_argument("--dir", type=Path, default=Path("demo"))


def _read_password() -> str:
    """The password: typed twice without echo on a terminal, else the first line of stdin."""
    import getpass

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def _console_add_user(args: argparse.Namespace) -> int:
    from bot.console.accounts import AccountError, add_user, check_key
    from bot.console.audit import record
    from bot.reports.db import session_scope
    from bot.reports.partner_tools import PartnerToolError, read_key_file
    from bot.reports.partners import PartnerRegistryError, check_with_trust_file
    from bot.reports.runtime import partners_file

    organisation = args.partner or args.consulate
    if args.role != "admin" and (organisation is None
                                 or (args.role == "caseworker") != bool(args.partner)):
        needed = "--partner" if args.role == "caseworker" else "--consulate"
        print(f"error: a {args.role} needs {needed} ID", file=sys.stderr)
        return 2
    try:
        key = None
        if args.role != "admin":
            keys = read_key_file(args.keys or Path(f"{organisation}.partner-keys"))
            key = keys["decryption_key"]
            registry, _problems = check_with_trust_file(partners_file())
            check_key(registry, args.role, organisation, key)
        password = _read_password()
        with session_scope() as session:
            account = add_user(session, args.email, args.role, password, organisation, key,
                               totp=args.totp)
            record(session, "user_added", target=account.user.id,
                   detail=f"{args.role} {organisation or ''}".strip())
    except (AccountError, PartnerToolError, PartnerRegistryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"added {account.user.email} ({args.role}{', ' + organisation if organisation else ''})")
    if account.totp_secret:
        import pyotp

        uri = pyotp.TOTP(account.totp_secret).provisioning_uri(
            name=account.user.email, issuer_name="Migrant rights console")
        print(f"TOTP secret (enter it in an authenticator app; shown only now): "
              f"{account.totp_secret}\n{uri}")
    return 0


def _console_demo(args: argparse.Namespace) -> int:
    import os

    from bot.console.demo import DemoFiles, set_up

    # The demo's own database and secrets, whatever the environment says.
    os.environ.update(DemoFiles(args.dir.resolve()).environment)
    files = set_up(args.dir.resolve())
    print(f"Demo in {args.dir}/: one partner, 'Demo helpline', receives every report in "
          "the console.\nConsole logins (also in "
          f"{files.logins}):")
    for line in files.logins.read_text(encoding="utf-8").splitlines()[1:]:
        print(f"  {line}")
    return 0


def _console_verify_audit(args: argparse.Namespace) -> int:
    from bot.console.audit import verify
    from bot.reports.db import session_scope

    with session_scope() as session:
        result = verify(session)
    if result.intact:
        print(f"audit log intact: {result.entries} entries")
        return 0
    print(f"audit log altered: entry {result.first_bad} does not follow the one before it")
    return 1


def _console_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.console.app import create_app
    from bot.log_privacy import guard_server_logs
    from bot.settings import settings

    configured = settings()  # every variable checked at start: main() prints a bad one
    port = args.port or configured.console_port
    guard_server_logs()
    print(f"console on http://{args.host}:{port}/ (from another machine, only behind HTTPS: "
          "its cookies are Secure)")
    uvicorn.run(create_app(), host=args.host, port=port, access_log=False,
                log_level="info", server_header=False, ws="none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
