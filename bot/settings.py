"""Every ``BOT_*`` variable and every path of the repository, read in this one place.

:class:`Settings` holds what an operator can set, one typed field per variable, each
with what it does, its default and who reads it (``python -m bot settings`` prints them
as the README's table). Values are parsed and checked once: a bad one is a
:class:`SettingsError` that names the variable and what it must be, and never repeats
the value of a secret.

Read them with :func:`settings`. It looks at the environment at each call, so a test
or a server started with other variables sees them, and parses a given set of values
only once. Nothing is frozen at import time.

The paths below are not settable: they follow from where the code is.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

# -- the repository --------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
LOCALES_DIR = ROOT / "locales"
MODELS_DIR = ROOT / "models"
MODEL_FILE = MODELS_DIR / "current.tar.gz"
DATA_DIR = ROOT / "data"
NLU_DATA_DIR = DATA_DIR / "nlu"
DOMAIN_FILE = ROOT / "domain.yml"
MIGRATIONS_DIR = ROOT / "migrations"
RESULTS_DIR = ROOT / "results"
EVAL_DIR = ROOT.parent / "shared" / "eval"
DEFAULT_SECRETS_DIR = ROOT / "secrets"
DEFAULT_PARTNERS_FILE = CONTENT_DIR / "partners.yml"
DEFAULT_TRUST_FILE = ROOT / "trust" / "maintainers.yml"
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'reports.db'}"

PATHS: tuple[tuple[Path, str], ...] = (
    (ROOT, "the repository: the directory above `bot/`"),
    (CONTENT_DIR, "the charter, countries and corridors (unless `BOT_CONTENT_DIR`), and "
                  "the default `partners.yml`"),
    (LOCALES_DIR, "gettext templates and catalogs"),
    (MODEL_FILE, "the trained Rasa model (`make train`), which the servers load"),
    (NLU_DATA_DIR, "NLU training examples, one file per language"),
    (DOMAIN_FILE, "Rasa's domain, which `content check` compares with content"),
    (MIGRATIONS_DIR, "Alembic migrations of the reports database"),
    (RESULTS_DIR, "what `make eval-nlu`, `nlu-compare` and `bench` write"),
    (EVAL_DIR, "the development sets, outside the repository"),
)

# -- defaults that other modules name ----------------------------------------------------
DEFAULT_TRACKER_IDLE_DAYS = 30
DEFAULT_RETENTION_DAYS = 180
DEFAULT_OUTBOX_INTERVAL = 30.0
DEFAULT_ACTIONS_HOST = "127.0.0.1"
DEFAULT_CONSOLE_PORT = 8080
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_AFRICASTALKING_API_URL = "https://api.africastalking.com"
PRODUCTION = "production"
DEVELOPMENT = "development"


class SettingsError(ValueError):
    """One or more variables hold a value that cannot be used. The message names each
    variable and what it must be; a secret's value is never in it."""


class _Invalid(Exception):
    """Raised by a parser: ``expected`` is what the value must be."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


# -- parsers: the raw text (never empty) to the typed value -------------------------------
def _text(raw: str) -> str:
    return raw


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _whole_days(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise _Invalid("a whole number of days, at least 1")
    return int(raw)


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise _Invalid("a number of seconds above 0")
    return value


def _port(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise _Invalid("a port number, from 1 to 65535")
    return int(raw)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word not in _TRUE + _FALSE:
        raise _Invalid("1 or 0 (or true/false, yes/no)")
    return word in _TRUE


def _environment(raw: str) -> str:
    word = raw.strip().lower()
    if word not in (PRODUCTION, DEVELOPMENT):
        raise _Invalid(f"{PRODUCTION!r} or {DEVELOPMENT!r}")
    return word


_DATABASE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _database_url(raw: str) -> str:
    if not _DATABASE_URL.match(raw):
        raise _Invalid("a database URL such as sqlite:////var/lib/bot/reports.db or "
                       "postgresql://user:password@host/database")
    return raw


_REDIS_URL = re.compile(r"^(redis|rediss|unix)://.")


def _redis_url(raw: str) -> str:
    if not _REDIS_URL.match(raw):
        raise _Invalid("a Redis URL such as redis://127.0.0.1:6379/0 or "
                       "rediss://:password@host:6380/0")
    return raw


def _http_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")) or len(raw) <= len("https://"):
        raise _Invalid("an http:// or https:// URL")
    return raw


_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _telegram_secret(raw: str) -> str:
    if not _TELEGRAM_SECRET.match(raw):
        raise _Invalid("1 to 256 characters A-Z a-z 0-9 _ - (Telegram accepts no others)")
    return raw


def _setting(variable: str, default: Any, doc: str, readers: str, *,
             parse: Callable[[str], Any] = _text, secret: bool = False,
             shown_default: str | None = None) -> Any:
    """A field of :class:`Settings`, read from ``variable``: unset or empty means
    ``default``. A secret is left out of ``repr`` and of every error."""
    return field(default=default, repr=not secret, metadata={
        "variable": variable, "doc": doc, "readers": readers, "parse": parse,
        "secret": secret, "shown_default": shown_default})


@dataclass(frozen=True)
class Settings:
    """What the operator set, parsed and checked. Build it with :meth:`from_environment`
    (or read the current one with :func:`settings`)."""

    env: str = _setting(
        "BOT_ENV", DEVELOPMENT,
        "`production` makes a missing key an error instead of a new key, and refuses "
        "plain `http://` partner webhooks even to 127.0.0.1; `development` (the default) "
        "allows both. Nothing else is accepted, so a typo cannot turn production off.",
        "bot/privacy.py, bot/reports/partners.py", parse=_environment)
    secrets_dir: Path = _setting(
        "BOT_SECRETS_DIR", DEFAULT_SECRETS_DIR,
        "The directory of the deployment's keys (`python -m bot keys init`) and of the "
        "last registry that passed its check. Only its owner may read it; back it up. "
        "Every server of a deployment needs the same keys.",
        "bot/privacy.py, bot/reports/runtime.py, bot/storage/tracker_store.py",
        parse=_path)
    content_dir: Path = _setting(
        "BOT_CONTENT_DIR", CONTENT_DIR,
        "The content the running bot answers from (reloaded when a file changes).",
        "bot/content/loader.py, actions/", parse=_path)
    partners_file: Path = _setting(
        "BOT_PARTNERS_FILE", DEFAULT_PARTNERS_FILE,
        "The registry of partners and consulates that reports go to.",
        "bot/reports/runtime.py, bot/cli.py (`partner check`, `partner vet`)", parse=_path)
    trust_file: Path = _setting(
        "BOT_TRUST_FILE", DEFAULT_TRUST_FILE,
        "The maintainers whose signature makes a partner entry usable (a missing file "
        "trusts nobody).",
        "bot/reports/vetting.py, bot/reports/runtime.py, bot/reports/partners.py",
        parse=_path)
    database_url: str = _setting(
        "BOT_DATABASE_URL", DEFAULT_DATABASE_URL,
        "The reports database, as an SQLAlchemy URL (SQLite or PostgreSQL); migrated to "
        "the latest schema on connect. It may hold a password.",
        "bot/reports/db.py, the console", parse=_database_url, secret=True,
        shown_default="`sqlite:///reports.db` (in the repository)")
    redis_url: str | None = _setting(
        "BOT_REDIS_URL", None,
        "The Redis server that several servers of one deployment share (SMS pages "
        "waiting for MORE, Telegram updates seen, reports being submitted), as "
        "`redis://host:6379/0`. Not set: each server keeps these in its own memory, "
        "which is right for one server. It may hold a password.",
        "bot/storage/shared_state.py", parse=_redis_url, secret=True)
    tracker_idle_days: int = _setting(
        "BOT_TRACKER_IDLE_DAYS", DEFAULT_TRACKER_IDLE_DAYS,
        "A conversation with no message for this many days is deleted whole from the "
        "tracker store.",
        "bot/storage/tracker_store.py (checked when the store starts)", parse=_whole_days)
    report_retention_days: int = _setting(
        "BOT_REPORT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS,
        "How many days a report and its replies are kept before they are deleted.",
        "bot/reports/runtime.py, bot/report_dialogue.py", parse=_whole_days)
    outbox_interval: float = _setting(
        "BOT_OUTBOX_INTERVAL", DEFAULT_OUTBOX_INTERVAL,
        "Seconds between two runs of the report outbox (delivery, retries, expiry) in "
        "the Rasa server.",
        "bot/channels/partners.py", parse=_seconds, shown_default="`30`")
    actions_host: str = _setting(
        "BOT_ACTIONS_HOST", DEFAULT_ACTIONS_HOST,
        "The address the action server listens on (`python -m bot action-server`).",
        "bot/action_server.py")
    allow_debug_logs: bool = _setting(
        "BOT_ALLOW_DEBUG_LOGS", False,
        "`1` lets a server start with DEBUG logging (which records what users type; "
        "records are still redacted). Only on a test machine.",
        "bot/log_privacy.py", parse=_flag, shown_default="`0`")
    console_port: int = _setting(
        "BOT_CONSOLE_PORT", DEFAULT_CONSOLE_PORT,
        "The port of the review console (`make console`, `python -m bot console serve`; "
        "`--port` wins).",
        "bot/cli.py", parse=_port)
    telegram_token: str | None = _setting(
        "BOT_TELEGRAM_TOKEN", None,
        "The bot token from @BotFather. Without it (or without the secret) the Telegram "
        "webhook answers 503.",
        "bot/channels/telegram.py, bot/cli.py (`telegram-poll`)", secret=True)
    telegram_secret: str | None = _setting(
        "BOT_TELEGRAM_SECRET", None,
        "The webhook's secret token, 1 to 256 characters `A-Z a-z 0-9 _ -`; Telegram "
        "sends it with every update (`make telegram` makes one).",
        "bot/channels/telegram.py, bot/cli.py (`telegram-poll`)", parse=_telegram_secret,
        secret=True)
    telegram_api_url: str = _setting(
        "BOT_TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL,
        "The Bot API server (a self-hosted one, or the tests' fake).",
        "bot/channels/telegram.py, bot/cli.py (`telegram-poll`)", parse=_http_url)
    sms_default_region: str | None = _setting(
        "BOT_SMS_DEFAULT_REGION", None,
        "How to read numbers written without `+country code` (`NP`, `PH`...), unless "
        "`default_region` is in `credentials.yml`.",
        "bot/channels/sms/channel.py")
    sms_retired_secret: str | None = _setting(
        "BOT_SMS_SECRET", None,
        "No longer read: the one secret of every SMS gateway in earlier versions. Each "
        "gateway has its own now (the three below); if it is still set, the SMS channel "
        "says so in a warning.",
        "bot/channels/sms/channel.py", secret=True)
    sms_kannel_secret: str | None = _setting(
        "BOT_SMS_KANNEL_SECRET", None,
        "Kannel's password in its `post-url`. Without it the Kannel gateway answers 403.",
        "bot/channels/sms/channel.py", secret=True)
    sms_africastalking_secret: str | None = _setting(
        "BOT_SMS_AFRICASTALKING_SECRET", None,
        "The `?secret=` of Africa's Talking's callback URL. Without it that gateway "
        "answers 403.",
        "bot/channels/sms/channel.py", secret=True)
    sms_generic_secret: str | None = _setting(
        "BOT_SMS_GENERIC_SECRET", None,
        "The `X-Bot-Secret` header of the generic gateway (RapidPro...). Without it that "
        "gateway answers 403.",
        "bot/channels/sms/channel.py", secret=True)
    twilio_auth_token: str | None = _setting(
        "BOT_TWILIO_AUTH_TOKEN", None,
        "Twilio's auth token, which checks `X-Twilio-Signature`. Without it the Twilio "
        "gateway answers 403.",
        "bot/channels/sms/channel.py", secret=True)
    twilio_public_url: str | None = _setting(
        "BOT_TWILIO_PUBLIC_URL", None,
        "The base URL Twilio calls, when a proxy changes it (the signature covers it).",
        "bot/channels/sms/channel.py")
    africastalking_username: str | None = _setting(
        "BOT_AFRICASTALKING_USERNAME", None,
        "The Africa's Talking account that sends the replies.",
        "bot/channels/sms/channel.py")
    africastalking_api_key: str | None = _setting(
        "BOT_AFRICASTALKING_API_KEY", None,
        "The Africa's Talking API key that sends the replies.",
        "bot/channels/sms/channel.py", secret=True)
    africastalking_api_url: str = _setting(
        "BOT_AFRICASTALKING_API_URL", DEFAULT_AFRICASTALKING_API_URL,
        "Africa's Talking's API (its sandbox, or the tests' fake).",
        "bot/channels/sms/channel.py")
    africastalking_sender: str | None = _setting(
        "BOT_AFRICASTALKING_SENDER", None,
        "The short code or sender id the replies come from.",
        "bot/channels/sms/channel.py")

    @property
    def in_production(self) -> bool:
        return self.env == PRODUCTION

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings in ``environ``: a variable that is unset or empty takes its
        default. Every bad value is named in one :class:`SettingsError`."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for item in fields(cls):
            variable, secret = item.metadata["variable"], item.metadata["secret"]
            raw = environ.get(variable)
            if not raw:
                continue
            try:
                values[item.name] = item.metadata["parse"](raw)
            except _Invalid as invalid:
                shown = " (the value is not shown: it is a secret)" if secret else f", not {raw!r}"
                problems.append(f"{variable} must be {invalid.expected}{shown}")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)


VARIABLES: tuple[str, ...] = tuple(item.metadata["variable"] for item in fields(Settings))


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in force: read from the environment (``os.environ`` unless given) at
    each call, parsed once for each set of values."""
    source = os.environ if environ is None else environ
    return _parsed(tuple(source.get(variable) for variable in VARIABLES))


@lru_cache(maxsize=32)
def _parsed(values: tuple[str | None, ...]) -> Settings:
    return Settings.from_environment({variable: value for variable, value
                                      in zip(VARIABLES, values, strict=True) if value is not None})


# -- the README's tables ---------------------------------------------------------------
def _shown(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, Path):
        return f"`{_relative(value)}`"
    return f"`{value}`"


def _relative(path: Path) -> str:
    """``path`` as the README shows it: relative to the repository when inside it."""
    try:
        inside = path.relative_to(ROOT).as_posix()
    except ValueError:
        return os.path.relpath(path, ROOT)
    return f"{inside}/" if path.suffix == "" and inside != "." else inside


def markdown_table() -> str:
    """The README's table of settings and of paths, generated from :class:`Settings`."""
    lines = ["| variable | default | what it does | read by |", "|---|---|---|---|"]
    for item in fields(Settings):
        meta = item.metadata
        default = meta["shown_default"] or _shown(item.default)
        doc = meta["doc"] + (" A secret: never shown in an error." if meta["secret"] else "")
        lines.append(f"| `{meta['variable']}` | {default} | {doc} | {meta['readers']} |")
    lines += ["", "| path | what it is |", "|---|---|"]
    lines += [f"| `{_relative(path)}` | {doc} |" for path, doc in PATHS]
    return "\n".join(lines) + "\n"
