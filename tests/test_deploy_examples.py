"""The deployment guide's files (docs/deploy/) are ones the real tools accept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import Settings, SettingsError
from tests.conftest import ROOT

DEPLOY = ROOT / "docs" / "deploy"
UNITS = ["migrant-bot-actions@.service", "migrant-bot-rasa@.service",
         "migrant-bot-console.service"]


def _env_file() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "migrant-bot.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, value = line.partition("=")
            values[name] = value
    return values


def test_the_environment_file_sets_only_valid_settings():
    values = _env_file()
    assert sorted(name for name in values if name.startswith("BOT_")) == [
        "BOT_DATABASE_URL", "BOT_PARTNERS_FILE", "BOT_REDIS_URL", "BOT_REPORT_RETENTION_DAYS",
        "BOT_SECRETS_DIR", "BOT_TRUST_FILE"]
    loaded = Settings.from_environment(values)
    assert loaded.database_url.startswith("postgresql://")
    assert loaded.redis_url == "redis://127.0.0.1:6379/0"
    assert loaded.report_retention_days == 180
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({**values, "BOT_REPORT_RETENTION_DAYS": "soon"})
    assert "BOT_REPORT_RETENTION_DAYS" in str(raised.value)


def test_the_endpoints_use_our_tracker_store_on_postgresql_and_our_redis_lock_store():
    tracker = read_endpoint_config(str(DEPLOY / "endpoints.yml"), "tracker_store")
    lock = read_endpoint_config(str(DEPLOY / "endpoints.yml"), "lock_store")
    assert (tracker.type, tracker.kwargs["dialect"]) == (
        "bot.storage.tracker_store.RedactingSQLTrackerStore", "postgresql")
    assert (lock.type, lock.url) == ("bot.storage.lock_store.AtomicRedisLockStore",
                                     "redis://127.0.0.1:6379/0")
    assert type(LockStore.create(lock)).__name__ == "AtomicRedisLockStore"


def test_redis_is_told_never_to_persist():
    lines = (DEPLOY / "redis.conf").read_text(encoding="utf-8").splitlines()
    settings = dict(line.split(None, 1) for line in lines if line and not line.startswith("#"))
    assert (settings["save"], settings["appendonly"]) == ('""', "no")


def test_the_systemd_units_are_valid_and_run_on_localhost(tmp_path):
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/migrant-bot/env" in text
        command = text.partition("ExecStart=")[2].partition("\nRestart=")[0]
        assert "--enable-api" not in command
    rasa = (DEPLOY / "migrant-bot-rasa@.service").read_text(encoding="utf-8")
    assert "--interface 127.0.0.1 --port %i" in rasa
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    # Verified as instances, with the paths they name made up in a scratch root.
    for unit in UNITS:
        instance = unit.replace("@.", "@5101.")
        (tmp_path / instance).write_text((DEPLOY / unit).read_text(encoding="utf-8"),
                                         encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=no",
                             *[str(tmp_path / unit.replace("@.", "@5101.")) for unit in UNITS]],
                            capture_output=True, text=True, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "Unknown key" in line or "Invalid" in line or "Failed to parse" in line
                or "Missing" in line or "bad unit file setting" in line]
    assert problems == []


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                    reason="HAProxy is not installed")
def test_haproxy_accepts_the_configuration_with_a_certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=bot.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    bundle = tmp_path / "bot.pem"
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    config = tmp_path / "haproxy.cfg"
    config.write_text((DEPLOY / "haproxy.cfg").read_text(encoding="utf-8").replace(
        "/etc/haproxy/certs/bot.pem", str(bundle)), encoding="utf-8")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    result = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_endpoints_file_names_no_real_password():
    document = yaml.safe_load((DEPLOY / "endpoints.yml").read_text(encoding="utf-8"))
    assert document["tracker_store"]["password"] == "CHANGE-ME"
    assert "CHANGE-ME" in _env_file()["BOT_DATABASE_URL"]
