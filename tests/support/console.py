"""A whole console world for tests: a vetted registry of console partners and
consulates, their key files, reports routed and "delivered" to the database, staff
accounts, a clock the test moves, and the console served on a real localhost socket."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.console import accounts
from bot.console.app import Console, create_app
from bot.reports import crypto
from bot.reports.db import REPORT_DELIVERY, SUMMARY_DELIVERY, OutboxItem, session_scope
from bot.reports.outbox import deliver_due
from bot.reports.partners import Registry, load_registry
from bot.reports.service import ReportDraft, submit
from bot.reports.vetting import load_maintainers
from bot.servers import free_port
from tests.support.registry import load, make_maintainer, write_registry

TODAY = date(2026, 12, 1)
PASSWORDS = {
    "admin@console.example": "admin password of twenty",
    "case@helpline.example": "helpline caseworker pass",
    "case@shelter.example": "shelter caseworker pass",
    "totp@helpline.example": "helpline second factor",
    "consul@np.example": "nepal consular reviewer",
    "consul@ph.example": "philippine consular rev",
}
# A report to submit: (its name in the test, ReportDraft's fields, created on).
Report = tuple[str, dict[str, Any], date]
# (name, draft fields, created on): routed by destination, QA to the helpline, AE to the
# shelter. Nationality with consent makes a summary for that country's consulate.
REPORTS = (
    ("old_wages", {"categories": ["withheld_wages"], "destination": "QA", "language": "ne",
                   "account": "Sahu le tin mahina dekhi talab diyena.", "nationality": "NP"},
     date(2026, 11, 18)),
    ("wages", {"categories": ["withheld_wages"], "destination": "QA", "language": "tl",
               "account": "Hindi binayaran ang sahod ko mula Hunyo.", "nationality": "PH",
               "consent_consulate": True, "employer": "Doha Example Cleaning"},
     date(2026, 11, 20)),
    ("passport", {"categories": ["passport_kept"], "destination": "QA", "language": "en",
                  "account": "Madam keeps my passport in her drawer.", "nationality": "NP",
                  "consent_consulate": True, "employer": "Al Example Trading",
                  "city": "Al Wakrah", "contact": "Signal only, evenings"},
     date(2026, 11, 25)),
    ("locked_in", {"categories": ["confinement"], "destination": "QA", "language": "en",
                   "account": "They lock the door at night and I am 16.", "minor": True},
     date(2026, 11, 28)),
    ("shelter", {"categories": ["violence_or_threats"], "destination": "AE", "language": "ar",
                 "account": "My sponsor hit me in Dubai last week."},
     date(2026, 11, 26)),
)


@dataclass
class FakeClock:
    """The console's clock: real time plus what the test adds."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class World:
    url: str  # the database
    directory: Path
    key_files: dict[str, Path]
    report_ids: dict[str, str]
    codes: dict[str, str]  # report name -> its receipt code, as the reporter holds it
    summary_ids: dict[str, str]  # report name -> its summary's outbox id
    user_ids: dict[str, str]
    totp_secret: str
    clock: FakeClock = field(default_factory=FakeClock)

    def app(self, idle_seconds: float = 900) -> Console:
        return create_app(self.url, idle_seconds=idle_seconds, clock=self.clock,
                          today=lambda: TODAY)


def _entry(entry_id: str, name: str, countries: list[str], keys_dir: Path,
           key_files: dict[str, Path], consulate: str | None = None) -> tuple[dict, str]:
    encryption, signing = crypto.new_partner_keys()
    path = keys_dir / f"{entry_id}.partner-keys"
    path.write_text(f"decryption_key: {encryption.private_key}\n"
                    f"signing_key: {signing.private_key}\n", encoding="utf-8")
    key_files[entry_id] = path
    entry = {"id": entry_id, "name": name, "countries": countries, "delivery": "console",
             "public_key": encryption.public_key}
    if consulate:
        entry.update(kind="embassy", nationality=consulate)
    else:
        entry.update(kind="ngo", categories=["*"], languages=["en"],
                     verify_key=signing.public_key)
    return entry, encryption.private_key


def build_world(directory: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Registry, key files, five reports (two with consulate summaries) and six users;
    sets BOT_SECRETS_DIR, BOT_PARTNERS_FILE, BOT_TRUST_FILE and BOT_DATABASE_URL."""
    secrets = directory / "secrets"
    secrets.mkdir(mode=0o700)
    monkeypatch.setenv("BOT_SECRETS_DIR", str(secrets))
    key_files: dict[str, Path] = {}
    keys: dict[str, str] = {}
    partners, consulates = [], []
    for entry_id, name, countries, nationality in (
            ("helpline-qa", "Gulf Workers Helpline", ["QA"], None),
            ("shelter-ae", "Emirates Shelter", ["AE"], None),
            ("np-embassy-doha", "Embassy of Nepal, Doha", ["QA"], "NP"),
            ("ph-embassy-doha", "Embassy of the Philippines, Doha", ["QA"], "PH")):
        entry, keys[entry_id] = _entry(entry_id, name, countries, directory, key_files,
                                       nationality)
        (consulates if nationality else partners).append(entry)
    maintainer = make_maintainer(directory)
    registry_path = write_registry(directory / "partners.yml", maintainer, partners,
                                   consulates)
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(registry_path))
    monkeypatch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
    url = f"sqlite:///{directory / 'reports.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    report_ids, codes, summary_ids = _submit_and_deliver(url, load(registry_path, maintainer),
                                                         REPORTS)
    with session_scope(url) as session:
        organisations = {"case@helpline.example": ("caseworker", "helpline-qa"),
                         "case@shelter.example": ("caseworker", "shelter-ae"),
                         "totp@helpline.example": ("caseworker", "helpline-qa"),
                         "consul@np.example": ("consular", "np-embassy-doha"),
                         "consul@ph.example": ("consular", "ph-embassy-doha"),
                         "admin@console.example": ("admin", None)}
        user_ids, totp_secret = {}, ""
        for email, (role, organisation) in organisations.items():
            made = accounts.add_user(session, email, role, PASSWORDS[email], organisation,
                                     keys.get(organisation or ""),
                                     totp=email.startswith("totp@"), today=TODAY)
            user_ids[email] = made.user.id
            totp_secret = made.totp_secret or totp_secret
    return World(url, directory, key_files, report_ids, codes, summary_ids, user_ids,
                 totp_secret)


def _submit_and_deliver(url: str, registry: Registry, reports: Iterable[Report]
                        ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Submit ``reports`` and deliver them (to the database, every entry being a console
    one): (report ids, receipt codes, summary ids), by report name."""
    report_ids, codes, summary_ids = {}, {}, {}
    with session_scope(url) as session:
        for name, fields, created in reports:
            submission = submit(session, ReportDraft(**fields), registry.partners, created,
                                consulates=registry.consulates)
            report_ids[name] = submission.report_id
            codes[name] = submission.code
        deliver_due(session, registry.partners + registry.consulates,
                    crypto.unb64(crypto.new_partner_keys()[1].private_key), TODAY,
                    post=_no_post)
    with session_scope(url) as session:
        for name, report_id in report_ids.items():
            item = session.execute(select(OutboxItem.id).where(
                OutboxItem.report_id == report_id,
                OutboxItem.kind == SUMMARY_DELIVERY)).scalar_one_or_none()
            if item:
                summary_ids[name] = item
    return report_ids, codes, summary_ids


def add_reports(world: World, reports: Iterable[Report]) -> None:
    """More reports in the world, routed and delivered as :data:`REPORTS` were (their
    ids, codes and summary ids added to the world's)."""
    directory = world.directory
    registry = load_registry(directory / "partners.yml",
                             load_maintainers(directory / "maintainers.yml"))
    report_ids, codes, summary_ids = _submit_and_deliver(world.url, registry, reports)
    world.report_ids.update(report_ids)
    world.codes.update(codes)
    world.summary_ids.update(summary_ids)


def delivery_id(world: World, report_name: str) -> str:
    """The outbox id of a report's delivery to its partner (not a summary's id)."""
    with session_scope(world.url) as session:
        return session.execute(select(OutboxItem.id).where(
            OutboxItem.report_id == world.report_ids[report_name],
            OutboxItem.kind == REPORT_DELIVERY)).scalar_one()


def _no_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    raise AssertionError("a console partner must never be posted to")


@contextmanager
def serving(app: Console) -> Iterator[str]:
    """The console on a free 127.0.0.1 port, in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           access_log=False, log_level="warning", ws="none",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on a console page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if found is None:
        raise AssertionError("the page has no form with a CSRF token")
    return found.group(1)


def log_in(client: TestClient, email: str, password: str | None = None) -> Any:
    """Log in through the login form with Starlette's test client; the form's answer."""
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf_of(page.text), "email": email,
                                       "password": password or PASSWORDS[email]},
                       follow_redirects=False)
