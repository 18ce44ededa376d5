"""Long polling for running without a public URL: ``python -m bot telegram-poll``.

Fetches updates with ``getUpdates`` and posts each one, unchanged, to the running
Rasa server's Telegram webhook with the secret header, so that polling and webhook
mode share every line of the channel. Telegram refuses ``getUpdates`` while a
webhook is set, so the webhook is removed first.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import SECRET_HEADER

log = logging.getLogger(__name__)
POLL_SECONDS = 30
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


async def forward(client: httpx.AsyncClient, webhook_url: str, secret: str,
                  update: dict) -> bool:
    """Post one update to the webhook; False if it should be tried again later."""
    try:
        answer = await client.post(webhook_url, content=json.dumps(update).encode(),
                                   headers={SECRET_HEADER: secret,
                                            "Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        log.warning("telegram-poll: the bot server is unreachable: %s", type(exc).__name__)
        return False
    if answer.status_code >= 500:
        log.warning("telegram-poll: the bot server answered %d", answer.status_code)
        return False
    if answer.status_code >= 400:  # it will never be accepted: skip it
        log.warning("telegram-poll: the bot server refused an update: %d", answer.status_code)
    return True


async def poll(token: str, secret: str, webhook_url: str, api_url: str,
               stop_after: int | None = None) -> int:
    """Forward updates until interrupted (or after ``stop_after`` updates, for tests)."""
    bot = Bot(token, base_url=f"{api_url.rstrip('/')}/bot")
    forwarded, offset = 0, 0
    async with bot, httpx.AsyncClient(timeout=60) as client:
        await bot.delete_webhook()
        log.info("telegram-poll: polling for updates")
        while stop_after is None or forwarded < stop_after:
            try:
                updates = await bot.get_updates(offset=offset, timeout=POLL_SECONDS,
                                                allowed_updates=ALLOWED_UPDATES)
            except InvalidToken:
                raise
            except TelegramError as exc:  # network errors, Telegram hiccups: try again
                log.warning("telegram-poll: getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(2)
                continue
            for update in updates:
                while not await forward(client, webhook_url, secret, update.to_dict()):
                    await asyncio.sleep(2)
                offset = update.update_id + 1
                forwarded += 1
    return forwarded
