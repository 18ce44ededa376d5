"""bot/settings.py: every BOT_* variable, parsed once, with errors that name the variable."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.cli import main as cli
from bot.settings import ROOT, VARIABLES, Settings, SettingsError, markdown_table, settings

README = ROOT / "README.md"


def test_the_defaults():
    assert Settings.from_environment({}) == Settings(
        env="development",
        secrets_dir=ROOT / "secrets",
        content_dir=ROOT / "content",
        partners_file=ROOT / "content" / "partners.yml",
        trust_file=ROOT / "trust" / "maintainers.yml",
        database_url=f"sqlite:///{ROOT / 'reports.db'}",
        redis_url=None,
        tracker_idle_days=30,
        report_retention_days=180,
        outbox_interval=30.0,
        actions_host="127.0.0.1",
        allow_debug_logs=False,
        console_port=8080,
        telegram_token=None,
        telegram_secret=None,
        telegram_api_url="https://api.telegram.org",
        sms_default_region=None,
        sms_kannel_secret=None,
        sms_africastalking_secret=None,
        sms_generic_secret=None,
        twilio_auth_token=None,
        twilio_public_url=None,
        africastalking_username=None,
        africastalking_api_key=None,
        africastalking_api_url="https://api.africastalking.com",
        africastalking_sender=None,
    )
    assert ROOT == Path(settings_module.__file__).resolve().parent.parent
    assert not Settings.from_environment({}).in_production


def test_every_variable_overridden():
    given = {
        "BOT_ENV": " Production ", "BOT_SECRETS_DIR": "/srv/bot/secrets",
        "BOT_CONTENT_DIR": "/srv/bot/content", "BOT_PARTNERS_FILE": "/srv/bot/partners.yml",
        "BOT_TRUST_FILE": "/srv/bot/maintainers.yml",
        "BOT_DATABASE_URL": "postgresql://bot:pw@db/bot", "BOT_TRACKER_IDLE_DAYS": "7",
        "BOT_REDIS_URL": "redis://:pw@cache:6379/1",
        "BOT_REPORT_RETENTION_DAYS": "90", "BOT_OUTBOX_INTERVAL": "0.5",
        "BOT_ACTIONS_HOST": "0.0.0.0", "BOT_ALLOW_DEBUG_LOGS": "1",  # noqa: S104
        "BOT_CONSOLE_PORT": "9090", "BOT_TELEGRAM_TOKEN": "123:abc",
        "BOT_TELEGRAM_SECRET": "s3cret_-", "BOT_TELEGRAM_API_URL": "http://127.0.0.1:8081",
        "BOT_SMS_DEFAULT_REGION": "NP", "BOT_SMS_SECRET": "old", "BOT_SMS_KANNEL_SECRET": "k",
        "BOT_SMS_AFRICASTALKING_SECRET": "a", "BOT_SMS_GENERIC_SECRET": "g",
        "BOT_TWILIO_AUTH_TOKEN": "t", "BOT_TWILIO_PUBLIC_URL": "https://bot.example.org",
        "BOT_AFRICASTALKING_USERNAME": "u", "BOT_AFRICASTALKING_API_KEY": "key",
        "BOT_AFRICASTALKING_API_URL": "http://127.0.0.1:9", "BOT_AFRICASTALKING_SENDER": "20880",
    }
    assert sorted(given) == sorted(VARIABLES)
    assert Settings.from_environment(given) == Settings(
        env="production", secrets_dir=Path("/srv/bot/secrets"),
        content_dir=Path("/srv/bot/content"), partners_file=Path("/srv/bot/partners.yml"),
        trust_file=Path("/srv/bot/maintainers.yml"),
        database_url="postgresql://bot:pw@db/bot", redis_url="redis://:pw@cache:6379/1",
        tracker_idle_days=7,
        report_retention_days=90, outbox_interval=0.5, actions_host="0.0.0.0",  # noqa: S104
        allow_debug_logs=True, console_port=9090, telegram_token="123:abc",
        telegram_secret="s3cret_-", telegram_api_url="http://127.0.0.1:8081",
        sms_default_region="NP", sms_retired_secret="old", sms_kannel_secret="k",
        sms_africastalking_secret="a",
        sms_generic_secret="g", twilio_auth_token="t",
        twilio_public_url="https://bot.example.org", africastalking_username="u",
        africastalking_api_key="key", africastalking_api_url="http://127.0.0.1:9",
        africastalking_sender="20880")
    assert Settings.from_environment(given).in_production


def test_an_empty_variable_takes_the_default():
    assert Settings.from_environment({"BOT_SECRETS_DIR": "", "BOT_TRACKER_IDLE_DAYS": ""}) \
        == Settings.from_environment({})


def test_settings_are_frozen():
    with pytest.raises(FrozenInstanceError):
        Settings().env = "production"  # type: ignore[misc]


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("BOT_TRACKER_IDLE_DAYS", "thirty",
     "BOT_TRACKER_IDLE_DAYS must be a whole number of days, at least 1, not 'thirty'"),
    ("BOT_REPORT_RETENTION_DAYS", "0",
     "BOT_REPORT_RETENTION_DAYS must be a whole number of days, at least 1, not '0'"),
    ("BOT_CONSOLE_PORT", "70000",
     "BOT_CONSOLE_PORT must be a port number, from 1 to 65535, not '70000'"),
    ("BOT_OUTBOX_INTERVAL", "nan", "BOT_OUTBOX_INTERVAL must be a number of seconds above 0, "
                                   "not 'nan'"),
    ("BOT_ALLOW_DEBUG_LOGS", "maybe",
     "BOT_ALLOW_DEBUG_LOGS must be 1 or 0 (or true/false, yes/no), not 'maybe'"),
    ("BOT_ENV", "prodution", "BOT_ENV must be 'production' or 'development', not 'prodution'"),
    ("BOT_TELEGRAM_API_URL", "api.telegram.org",
     "BOT_TELEGRAM_API_URL must be an http:// or https:// URL, not 'api.telegram.org'"),
])
def test_a_bad_value_is_an_error_that_names_the_variable(variable, value, message):
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({variable: value})
    assert str(refused.value) == message
    assert isinstance(refused.value, ValueError)


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({"BOT_TRACKER_IDLE_DAYS": "-3", "BOT_CONSOLE_PORT": "x"})
    assert str(refused.value) == (
        "BOT_TRACKER_IDLE_DAYS must be a whole number of days, at least 1, not '-3'; "
        "BOT_CONSOLE_PORT must be a port number, from 1 to 65535, not 'x'")


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("BOT_TELEGRAM_SECRET", "CANARY-secret with spaces",
     "BOT_TELEGRAM_SECRET must be 1 to 256 characters A-Z a-z 0-9 _ - (Telegram accepts no "
     "others) (the value is not shown: it is a secret)"),
    ("BOT_DATABASE_URL", "CANARY-password@db/bot",
     "BOT_DATABASE_URL must be a database URL such as sqlite:////var/lib/bot/reports.db or "
     "postgresql://user:password@host/database (the value is not shown: it is a secret)"),
    ("BOT_REDIS_URL", "CANARY-password@cache:6379",
     "BOT_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0 or "
     "rediss://:password@host:6380/0 (the value is not shown: it is a secret)"),
])
def test_a_secret_never_appears_in_an_error(variable, value, message, capsys, monkeypatch):
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({variable: value})
    assert str(refused.value) == message
    assert "CANARY" not in str(refused.value) and "CANARY" not in repr(refused.value)
    monkeypatch.setenv(variable, value)  # and through the command line
    assert cli(["settings", "--check"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {message}\n")


def test_secrets_are_left_out_of_the_repr():
    secrets = {"BOT_TELEGRAM_TOKEN": "CANARY1", "BOT_TELEGRAM_SECRET": "CANARY2",
               "BOT_DATABASE_URL": "postgresql://bot:CANARY3@db/bot",
               "BOT_SMS_KANNEL_SECRET": "CANARY4", "BOT_SMS_AFRICASTALKING_SECRET": "CANARY5",
               "BOT_SMS_GENERIC_SECRET": "CANARY6", "BOT_TWILIO_AUTH_TOKEN": "CANARY7",
               "BOT_AFRICASTALKING_API_KEY": "CANARY8",
               "BOT_REDIS_URL": "redis://:CANARY9@cache:6379/0", "BOT_SMS_SECRET": "CANARY10"}
    assert sorted(item.metadata["variable"] for item in fields(Settings)
                  if item.metadata["secret"]) == sorted(secrets)
    assert "CANARY" not in repr(Settings.from_environment(secrets))


def test_the_environment_is_read_at_each_call(monkeypatch, tmp_path):
    monkeypatch.delenv("BOT_SECRETS_DIR", raising=False)
    assert settings().secrets_dir == ROOT / "secrets"
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path))
    assert settings().secrets_dir == tmp_path
    assert settings() is settings()  # parsed once for the same values
    monkeypatch.setenv("BOT_TRACKER_IDLE_DAYS", "thirty")
    with pytest.raises(SettingsError, match="^BOT_TRACKER_IDLE_DAYS must be"):
        settings()
    assert settings({"BOT_TRACKER_IDLE_DAYS": "3"}).tracker_idle_days == 3


def test_the_accessors_follow_the_environment(monkeypatch, tmp_path):
    from bot.content.loader import content_dir
    from bot.privacy import in_production, secrets_dir
    from bot.reports.db import database_url
    from bot.reports.partners import allow_loopback_http
    from bot.reports.runtime import partners_file, retention_days
    from bot.reports.vetting import trust_file
    from bot.storage.tracker_store import idle_days

    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert (secrets_dir(), content_dir(), partners_file(), trust_file(), database_url(),
            retention_days(), idle_days(), in_production(), allow_loopback_http()) == (
        ROOT / "secrets", ROOT / "content", ROOT / "content" / "partners.yml",
        ROOT / "trust" / "maintainers.yml", f"sqlite:///{ROOT / 'reports.db'}", 180, 30,
        False, True)
    overrides = {"BOT_SECRETS_DIR": str(tmp_path / "s"), "BOT_CONTENT_DIR": str(tmp_path / "c"),
                 "BOT_PARTNERS_FILE": str(tmp_path / "p.yml"),
                 "BOT_TRUST_FILE": str(tmp_path / "t.yml"), "BOT_DATABASE_URL": "sqlite:///x.db",
                 "BOT_ENV": "production", "BOT_REPORT_RETENTION_DAYS": "30",
                 "BOT_TRACKER_IDLE_DAYS": "2"}
    for variable, value in overrides.items():
        monkeypatch.setenv(variable, value)
    assert (secrets_dir(), content_dir(), partners_file(), trust_file(), database_url(),
            retention_days(), idle_days(), in_production(), allow_loopback_http()) == (
        tmp_path / "s", tmp_path / "c", tmp_path / "p.yml", tmp_path / "t.yml",
        "sqlite:///x.db", 30, 2, True, False)


def test_the_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- settings: generated by `python -m bot settings`[^\n]*-->\n"
                      r"(.*?)<!-- end of settings -->", text, re.DOTALL)
    assert found, "README.md has lost its generated settings table"
    assert found.group(1) == markdown_table(), (
        "README.md's settings table is out of date: replace it with `python -m bot settings`")


def test_the_command_prints_the_table(capsys):
    assert cli(["settings"]) == 0
    assert capsys.readouterr().out == markdown_table()


def test_the_table_names_every_variable_once_with_its_default():
    rows = [line for line in markdown_table().splitlines() if line.startswith("| `BOT_")]
    assert [row.split("`")[1] for row in rows] == list(VARIABLES)
    assert rows[VARIABLES.index("BOT_TRACKER_IDLE_DAYS")].split(" | ")[1] == "`30`"
    assert rows[VARIABLES.index("BOT_SECRETS_DIR")].split(" | ")[1] == "`secrets/`"
    assert rows[VARIABLES.index("BOT_TELEGRAM_TOKEN")].split(" | ")[1] == "not set"
