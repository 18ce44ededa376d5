"""A real Kannel (bearerbox + smsbox) with its fakesmsc test SMSC, for end-to-end tests.

Kannel is Debian's package (``apt-get install kannel kannel-extras``; ``.ci/run``
installs it). The configuration, the logs and the spool live in a test's
temporary directory. A phone "sends" an SMS by running ``fakesmsc -m 1``, which
connects to bearerbox's fake SMSC, and reads the replies fakesmsc prints.
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.servers import MODEL, free_port, running_bot

_SEARCH_PATH = "/usr/sbin:/usr/bin:/usr/lib/kannel/test:/usr/local/sbin:/usr/local/bin"
SHORT_CODE = "1234"  # the number users text
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def binaries() -> dict[str, str] | None:
    """Paths of bearerbox, smsbox and fakesmsc, or None when Kannel is not installed."""
    found = {name: shutil.which(name) or shutil.which(name, path=_SEARCH_PATH)
             for name in ("bearerbox", "smsbox", "fakesmsc")}
    if not all(found.values()):
        return None
    return {name: str(path) for name, path in found.items()}


def post_url(bot_url: str, secret: str) -> str:
    """The sms-service's post-url for the bot at ``bot_url`` ("http://127.0.0.1:5005"),
    with ``secret`` as its password, as in docs/kannel.conf."""
    parts = urllib.parse.urlsplit(bot_url)
    return urllib.parse.urlunsplit((parts.scheme, f"kannel:{secret}@{parts.netloc}",
                                    "/webhooks/sms/kannel", "", ""))


def config(workdir: Path, ports: dict[str, int], service_url: str) -> str:
    """kannel.conf: a fake SMSC, and one sms-service that POSTs every SMS to
    ``service_url`` (see :func:`post_url`) for the reply, as docs/kannel.conf does."""
    return f"""
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = test-admin
smsbox-port = {ports["smsbox"]}
box-allow-ip = 127.0.0.1
log-file = "{workdir / "bearerbox.log"}"
log-level = 1
access-log = "{workdir / "access.log"}"

group = smsc
smsc = fake
smsc-id = fake
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
log-file = "{workdir / "smsbox.log"}"
log-level = 1
mo-recode = true

group = sms-service
keyword = default
post-url = "{service_url}"
send-sender = true
max-messages = 10  # a procedure step's page: STEP_PAGE_CAP
concatenation = true
omit-empty = true
accept-x-kannel-headers = true
"""


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not open port {port} in {timeout} s")


@dataclass
class Kannel:
    workdir: Path
    fakesmsc: str
    smsc_port: int

    def send(self, sender: str, text: str, timeout: float = 120, quiet: float = 2.0
             ) -> SmsReply:
        """Send one SMS from ``sender``; what the phone gets back."""
        if text.isascii() and "\n" not in text:
            line = f"{sender} {SHORT_CODE} text {text}"
        else:
            encoded = urllib.parse.quote_from_bytes(text.encode("utf-16-be"))
            line = f"{sender} {SHORT_CODE} ucs2 {encoded}"
        process = subprocess.Popen(  # noqa: S603 - our own arguments
            [self.fakesmsc, "-v", "0", "-H", "127.0.0.1", "-r", str(self.smsc_port), "-m", "1",
             line], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            encoding="utf-8", errors="replace")
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(out) for out in process.stdout],
                         daemon=True).start()
        received: list[str] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    out = lines.get(timeout=quiet if received else 1)
                except queue.Empty:
                    if received:
                        break  # nothing more for a while: the reply is complete
                    continue
                if "Got message" in out:
                    received.append(out.split("Got message", 1)[1].split(": <", 1)[1])
                elif received and not _LOG_LINE.match(out):
                    received.append(out)  # a line break inside a plain-text SMS
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        return decode_replies(received, sender)


@dataclass(frozen=True)
class SmsReply:
    text: str  # as the phone shows it: the parts of a concatenated SMS joined
    count: int  # how many SMS were sent, concatenated parts included


def decode_replies(received: list[str], sender: str) -> SmsReply:
    """fakesmsc's output lines as what the phone shows."""
    prefix = f"{SHORT_CODE} {sender} "
    messages: list[str] = []
    for raw in received:
        chunk = raw.rstrip("\n")
        if not chunk.startswith(prefix):  # continuation of a multi-line plain-text SMS
            messages[-1] += "\n" + chunk.removesuffix(">")
            continue
        messages.append(chunk[len(prefix):].removesuffix(">"))
    texts: list[str] = []
    parts: dict[int, dict[int, bytes]] = {}
    for message in messages:
        kind, _, rest = message.partition(" ")
        if kind == "text":
            texts.append(rest)
        elif kind == "ucs-2":
            texts.append(_unquote(rest).decode("utf-16-be"))
        elif kind == "udh":
            udh_field, _data_word, data = rest.split(" ", 2)
            udh = _unquote(udh_field)
            parts.setdefault(udh[3], {})[udh[5]] = _unquote(data)
        else:
            raise AssertionError(f"unexpected fakesmsc message type {kind!r}")
    for _reference, numbered in sorted(parts.items()):
        texts.append(_decode_data(b"".join(numbered[n] for n in sorted(numbered))))
    return SmsReply("\n".join(texts), len(messages))


def _unquote(field: str) -> bytes:
    return urllib.parse.unquote_to_bytes(field.replace("+", " "))


def _decode_data(data: bytes) -> str:
    """UCS-2 parts arrive as UTF-16BE bytes, GSM-7 parts as UTF-8: tell them apart."""
    high_bytes = data[0::2]
    if len(data) % 2 == 0 and sum(byte < 0x20 for byte in high_bytes) > len(high_bytes) / 2:
        return data.decode("utf-16-be")
    return data.decode("utf-8")


@contextmanager
def running_kannel(workdir: Path, service_url: str) -> Iterator[Kannel]:
    """bearerbox and smsbox on free ports; ``service_url`` is the sms-service's post-url."""
    paths = binaries()
    if paths is None:
        raise RuntimeError("Kannel is not installed")
    ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
    conf = workdir / "kannel.conf"
    conf.write_text(config(workdir, ports, service_url), encoding="utf-8")
    processes: list[subprocess.Popen] = []
    try:
        for box, port in (("bearerbox", ports["smsbox"]), ("smsbox", ports["sendsms"])):
            with (workdir / f"{box}.out").open("wb") as out:
                processes.append(subprocess.Popen(  # noqa: S603 - our own arguments
                    [paths[box], str(conf)], cwd=workdir, stdout=out,
                    stderr=subprocess.STDOUT))
            _wait_for_port(port, processes[-1], box)
        yield Kannel(workdir, paths["fakesmsc"], ports["smsc"])
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def bot_behind_kannel(workdir: Path, credentials: str, secret: str,
                      extra_env: dict[str, str] | None = None) -> Iterator[Kannel]:
    """The trained bot (``running_bot``) with its Kannel gateway, and a real Kannel that
    posts to it: skips when Kannel is not installed, fails when no model is trained."""
    if binaries() is None:
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras; "
                    ".ci/run does it)")
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    with running_bot(workdir, credentials=credentials,
                     extra_env={"BOT_SMS_KANNEL_SECRET": secret, **(extra_env or {})}) as url:
        kannel_dir = workdir / "kannel"
        kannel_dir.mkdir()
        with running_kannel(kannel_dir, post_url(url, secret)) as running:
            yield running
