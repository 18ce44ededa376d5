"""The web chat: one small page at ``GET /webhooks/web/`` and its ``POST /webhooks/web/webhook``.

NGOs link to the page or put it in an iframe; caseworkers try the bot in a browser.
The page is self-contained (inline CSS and plain ES5 JavaScript, system fonts,
nothing fetched from anywhere else) so that it works on cheap phones, and its
strings come from the gettext catalogs in the language of ``?lang=xx``, else of
the ``Accept-Language`` header, else English.

The page makes a random session id (``crypto.getRandomValues``) and keeps it in
``sessionStorage``; like every channel id it is replaced by its keyed pseudonym
at once. Requests are checked as on every channel (:mod:`bot.channels.base`): a
malformed body gets a 400 with a reason, a failure a 503, and logs carry no
content. The bot's messages come back as
``{"messages": [{"text": ..., "buttons": [...]}]}``, and the page shows them as
text, never as HTML.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import languages
from bot.channels.base import (
    LANGUAGE_HINT,
    MAX_BODY_BYTES,
    InvalidMessage,
    OnNewMessage,
    guarded_blueprint,
    json_object,
    message_text,
    refuse,
    run_turn,
    unavailable,
)
from bot.i18n import N_, translator
from bot.render import CHAT, Capabilities

SESSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")

# The page's own strings (the bot's answers come from the dialogue, in the catalogs too).
TITLE = N_("Migrant workers' rights: chat")
PRIVACY_NOTE = N_("Do not write your name or phone number. Messages are not stored in "
                  "readable form.")
PLACEHOLDER = N_("Type your message")
SEND = N_("Send")
UNREACHABLE = N_("The bot is not reachable, try again")
# Translators: the accessible name of the list of messages, read by screen readers.
CONVERSATION = N_("Conversation")
# Translators: read by screen readers before each message the user sent.
YOU_SAID = N_("You:")
# Translators: read by screen readers before each message of the bot.
BOT_SAID = N_("Bot:")
NEEDS_JAVASCRIPT = N_("This chat needs JavaScript. Turn it on in your browser, or use the "
                      "bot on another channel.")


def parse_body(raw: bytes) -> tuple[str, str, dict[str, Any]]:
    """(session, text, metadata) from a request body, or :class:`InvalidMessage`."""
    body = json_object(raw, MAX_BODY_BYTES)
    session = body.get("session")
    if not isinstance(session, str) or not SESSION_PATTERN.fullmatch(session):
        raise InvalidMessage("'session' must be 16 to 128 characters A-Z a-z 0-9 _ -")
    text = message_text(body.get("message"), "'message'")
    hint = languages.normalise(body.get("language")) if isinstance(body.get("language"), str) \
        else None
    metadata = {LANGUAGE_HINT: hint} if hint else {}
    return session, text, metadata


def bot_messages(collected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the page needs of Rasa's messages: text and buttons (not the recipient id)."""
    messages = []
    for message in collected:
        text = message.get("text")
        buttons = [{"title": str(button.get("title", "")), "payload": str(button["payload"])}
                   for button in message.get("buttons") or []
                   if isinstance(button, dict) and button.get("payload")]
        if text or buttons:
            messages.append({"text": str(text or ""), "buttons": buttons})
    return messages


def negotiate_language(query_lang: str | None, accept_language: str | None) -> str:
    """Our language code for ``?lang=``, else the best of ``Accept-Language``, else English."""
    chosen = languages.normalise(query_lang)
    if chosen:
        return chosen
    for tag in accepted_tags(accept_language or ""):
        code = languages.normalise(tag)
        if code:
            return code
    return languages.DEFAULT_LANGUAGE


def accepted_tags(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (RFC 9110)."""
    weighted = []
    for position, item in enumerate(header[:1000].split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _q, _position, tag in sorted(weighted)]


def page(language: str, endpoint: str, nonce: str) -> str:
    """The chat page in ``language``; every string in it is escaped."""
    t = translator(language)

    def text(message: str) -> str:
        return html.escape(t.gettext(message), quote=True)

    direction = "rtl" if languages.get(language).rtl else "ltr"
    return PAGE.format(
        lang=html.escape(languages.get(language).locale.language, quote=True),
        code=html.escape(language, quote=True), dir=direction,
        nonce=html.escape(nonce, quote=True), endpoint=html.escape(endpoint, quote=True),
        title=text(TITLE), privacy=text(PRIVACY_NOTE), placeholder=text(PLACEHOLDER),
        send=text(SEND), error=text(UNREACHABLE), conversation=text(CONVERSATION),
        you=text(YOU_SAID), bot=text(BOT_SAID), noscript=text(NEEDS_JAVASCRIPT),
        style=STYLE, script=SCRIPT)


def security_headers(nonce: str) -> dict[str, str]:
    """Nothing but this page's own inline code runs, and it talks only to its own server."""
    policy = ("default-src 'none'; "
              f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
              "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'")
    return {"Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
            "Vary": "Accept-Language"}


class WebChannel(InputChannel):
    """The web chat page and its synchronous JSON endpoint."""

    capabilities: ClassVar[Capabilities] = CHAT

    @classmethod
    def name(cls) -> str:
        return "web"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = guarded_blueprint("web_chat", __name__)

        @webhook.route("/", methods=["GET"])
        async def chat_page(request: Request) -> HTTPResponse:
            return self.page(request)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return webhook

    def page(self, request: Request) -> HTTPResponse:
        language = negotiate_language(request.args.get("lang"),
                                      request.headers.get("accept-language"))
        # Relative, so that the page works behind a proxy that adds a path prefix.
        endpoint = "webhook" if request.path.endswith("/") else "web/webhook"
        nonce = secrets.token_urlsafe(16)
        return response.html(page(language, endpoint, nonce), headers=security_headers(nonce))

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        try:
            session, text, metadata = parse_body(request.body or b"")
        except InvalidMessage as exc:
            return refuse(self.name(), 400, str(exc))
        replies = await run_turn(self.name(), session, text, metadata, on_new_message,
                                 self.capabilities)
        if replies is None:
            return unavailable()
        return response.json({"messages": bot_messages(replies)},
                             headers={"Cache-Control": "no-store"})


PAGE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style nonce="{nonce}">{style}</style>
</head>
<body data-endpoint="{endpoint}" data-language="{code}" data-error="{error}"
      data-you="{you}" data-bot="{bot}">
<header>
<h1>{title}</h1>
<p id="privacy">{privacy}</p>
</header>
<main>
<div id="log" role="log" aria-live="polite" aria-label="{conversation}" tabindex="0"></div>
<noscript><p class="notice">{noscript}</p></noscript>
<form id="form" autocomplete="off">
<label for="message" class="sr-only">{placeholder}</label>
<input id="message" name="message" type="text" dir="auto" maxlength="5000"
       placeholder="{placeholder}" aria-describedby="privacy" enterkeyhint="send">
<button id="send" type="submit">{send}</button>
</form>
</main>
<script nonce="{nonce}">{script}</script>
</body>
</html>
"""

STYLE = """
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{display:flex;flex-direction:column;font-family:system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans",sans-serif;font-size:1.0625rem;line-height:1.45;color:#1a1a1a;background:#f4f4f1}
header{padding:.5rem 1rem;background:#0b4f6c;color:#fff}
h1{font-size:1.2rem;margin:.25rem 0}
header p{margin:.25rem 0;font-size:.95rem}
main{flex:1;display:flex;flex-direction:column;min-height:0;max-width:48rem;width:100%;
margin:0 auto}
#log{flex:1;overflow-y:auto;padding:1rem;display:flex;flex-direction:column;position:relative}
#log:focus{outline:3px solid #0b4f6c;outline-offset:-3px}
.msg{max-width:85%;padding:.6rem .8rem;border-radius:.8rem;white-space:pre-wrap;
overflow-wrap:anywhere;margin:0 0 .6rem}
.bot{align-self:flex-start;background:#fff;border:1px solid #c9c9c2}
.user{align-self:flex-end;background:#0b4f6c;color:#fff}
.error{align-self:stretch;background:#fdecea;border:1px solid #b3261e;color:#7a1712}
.msg a{color:inherit;text-decoration:underline}
.choices{display:flex;flex-wrap:wrap;margin-top:.6rem}
button{font:inherit;min-height:48px;min-width:48px;padding:.5rem 1rem;border-radius:.6rem;
cursor:pointer}
.choices button{background:#e6f0f4;color:#0b4f6c;border:2px solid #0b4f6c;margin:0 .5rem .5rem 0}
form{display:flex;padding:.75rem;background:#fff;border-top:1px solid #c9c9c2}
input{flex:1;min-width:0;font:inherit;font-size:1.0625rem;min-height:48px;padding:.5rem .75rem;
border:2px solid #6b6b66;border-radius:.6rem}
#send{margin:0 0 0 .5rem;background:#0b4f6c;color:#fff;border:2px solid #0b4f6c}
#send[disabled]{opacity:.6}
[dir=rtl] #send{margin:0 .5rem 0 0}
[dir=rtl] .choices button{margin:0 0 .5rem .5rem}
:focus-visible{outline:3px solid #e0a100;outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
clip:rect(0,0,0,0);white-space:nowrap;border:0}
.notice{padding:1rem}
"""

# Plain ES5 (old Android browsers); text goes in with textContent, never innerHTML.
SCRIPT = r"""
(function () {
  "use strict";
  var body = document.body;
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("message");
  var send = document.getElementById("send");
  var KEY = "botWebSession";
  var memorySession = null;
  var busy = false;

  function newSession() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) {
      hex += ("0" + bytes[i].toString(16)).slice(-2);
    }
    return hex;
  }

  function session() {
    var id = null;
    try { id = window.sessionStorage.getItem(KEY); } catch (e) { id = memorySession; }
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = memorySession || newSession();
      try { window.sessionStorage.setItem(KEY, id); } catch (e) { /* storage blocked */ }
    }
    memorySession = id;
    return id;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // Text with http(s) links made into safe anchors; everything else stays text.
  function appendText(element, text) {
    var pattern = /https?:\/\/[^\s<>"']+/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:!?)\]]+$/, "");
      element.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (/^https?:\/\/[^\/\s]/i.test(url)) {
        var link = document.createElement("a");
        link.href = url;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        link.textContent = url;
        element.appendChild(link);
      } else {
        element.appendChild(document.createTextNode(url));
      }
      last = match.index + url.length;
      pattern.lastIndex = last;
    }
    element.appendChild(document.createTextNode(text.slice(last)));
  }

  function bubble(kind, text) {
    var element = document.createElement("div");
    element.className = "msg " + kind;
    element.setAttribute("dir", "auto");
    if (kind !== "error") {
      var who = document.createElement("span");
      who.className = "sr-only";
      who.textContent = (kind === "user" ? body.getAttribute("data-you")
                                         : body.getAttribute("data-bot")) + " ";
      element.appendChild(who);
    }
    if (kind === "bot") { appendText(element, text); }
    else { element.appendChild(document.createTextNode(text)); }
    log.appendChild(element);
    scrollDown();
    return element;
  }

  function showBotMessage(message) {
    var element = bubble("bot", typeof message.text === "string" ? message.text : "");
    var buttons = message.buttons || [];
    if (!buttons.length) { return; }
    var group = document.createElement("div");
    group.className = "choices";
    for (var i = 0; i < buttons.length; i++) {
      (function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("dir", "auto");
        button.textContent = String(choice.title);
        button.addEventListener("click", function () {
          talk(String(choice.payload), String(choice.title));
        });
        group.appendChild(button);
      })(buttons[i]);
    }
    element.appendChild(group);
    scrollDown();
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  // Sends `message`; `shown` is what the user's bubble says (a button's title).
  function talk(message, shown, restore) {
    if (busy) { return; }
    bubble("user", shown);
    setBusy(true);
    var request = new XMLHttpRequest();
    request.open("POST", body.getAttribute("data-endpoint"), true);
    request.setRequestHeader("Content-Type", "application/json");
    request.timeout = 90000;
    function failed() {
      setBusy(false);
      bubble("error", body.getAttribute("data-error"));
      if (restore && !input.value) { input.value = restore; }
    }
    request.onload = function () {
      var answer = null;
      if (request.status === 200) {
        try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      }
      if (!answer || !answer.messages) { failed(); return; }
      setBusy(false);
      for (var i = 0; i < answer.messages.length; i++) { showBotMessage(answer.messages[i]); }
    };
    request.onerror = failed;
    request.ontimeout = failed;
    request.send(JSON.stringify({session: session(), message: message,
                                 language: body.getAttribute("data-language")}));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.replace(/\s+/g, "") || busy) { return; }
    input.value = "";
    talk(text, text, text);
    input.focus();
  });
})();
"""
