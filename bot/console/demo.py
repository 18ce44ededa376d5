"""A whole deployment on one computer, for trying the loop: ``make run DEMO=1`` (or
``make chat DEMO=1``) beside ``make console DEMO=1``.

Everything lives in one directory (``demo/``, never committed): its own application
database, secrets, trust file and registry. The registry holds one partner,
"Demo helpline", covering every country and category with ``delivery: console``,
vetted by a demo maintainer whose key is made here. The real ``content/partners.yml``
and ``trust/maintainers.yml`` are not touched, and the demo maintainer is trusted by
nothing but the demo. Two console accounts are made, an administrator and a
caseworker of the demo helpline, with random passwords written to
``demo/logins.txt`` (mode 0600). Run once; a second run changes nothing.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot import languages
from bot.console.accounts import add_user
from bot.console.audit import record
from bot.reports import crypto
from bot.reports.db import session_scope
from bot.reports.maintainer_tools import new_maintainer_key, read_maintainer_key
from bot.reports.vetting import vetting_block

PARTNER_ID = "demo-helpline"
MAINTAINER_ID = "demo-maintainer"
ADMIN_EMAIL = "admin@demo.example"
CASEWORKER_EMAIL = "caseworker@demo.example"


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo keeps everything: the settings that point the bot at it."""

    directory: Path

    @property
    def environment(self) -> dict[str, str]:
        return {"BOT_DATABASE_URL": f"sqlite:///{self.directory / 'reports.db'}",
                "BOT_SECRETS_DIR": str(self.directory / "secrets"),
                "BOT_PARTNERS_FILE": str(self.directory / "partners.yml"),
                "BOT_TRUST_FILE": str(self.directory / "maintainers.yml")}

    @property
    def logins(self) -> Path:
        return self.directory / "logins.txt"


def set_up(directory: Path, today: date | None = None) -> DemoFiles:
    """Make the demo in ``directory`` if it is not there yet, and return its files.

    The caller runs this with the demo's own ``BOT_DATABASE_URL`` and
    ``BOT_SECRETS_DIR`` (:attr:`DemoFiles.environment`), as ``make`` does."""
    files = DemoFiles(directory)
    if files.logins.exists():
        return files
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    today = today or date.today()
    key_file = directory / "maintainer.key"
    verify_key = new_maintainer_key(MAINTAINER_ID, key_file)
    _maintainer, signing_key = read_maintainer_key(key_file)
    (directory / "maintainers.yml").write_text(yaml.safe_dump({"maintainers": [{
        "id": MAINTAINER_ID, "name": "Demo maintainer (this computer only)",
        "verify_key": verify_key}]}), encoding="utf-8")
    encryption, signing = crypto.new_partner_keys()
    entry: dict[str, object] = {"id": PARTNER_ID, "kind": "ngo",
                                "name": "Demo helpline (this computer only)",
                                "countries": ["*"], "categories": ["*"],
                                "languages": list(languages.CODES),
                                "public_key": encryption.public_key,
                                "verify_key": signing.public_key, "delivery": "console"}
    entry["vetted"] = vetting_block("partners", entry, MAINTAINER_ID, signing_key, today)
    (directory / "partners.yml").write_text(
        "# The demo's registry (bot/console/demo.py): not for real reports.\n"
        + yaml.safe_dump({"partners": [entry], "consulates": []}, allow_unicode=True),
        encoding="utf-8")
    passwords = {ADMIN_EMAIL: secrets.token_urlsafe(12),
                 CASEWORKER_EMAIL: secrets.token_urlsafe(12)}
    with session_scope() as session:
        admin = add_user(session, ADMIN_EMAIL, "admin", passwords[ADMIN_EMAIL], today=today)
        caseworker = add_user(session, CASEWORKER_EMAIL, "caseworker",
                              passwords[CASEWORKER_EMAIL], PARTNER_ID,
                              encryption.private_key, today=today)
        for account, detail in ((admin, "admin"), (caseworker, f"caseworker {PARTNER_ID}")):
            record(session, "user_added", target=account.user.id, detail=detail)
    descriptor = os.open(files.logins, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("# Demo console accounts (bot/console/demo.py): this computer only.\n")
        for email, password in passwords.items():
            handle.write(f"{email} {password}\n")
    return files
