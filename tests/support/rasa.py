"""A stand-in for Rasa's ``on_new_message``: records each message and answers with set texts."""

from __future__ import annotations

from rasa.core.channels.channel import UserMessage


class RecordingBot:
    """Records the messages a channel passes to Rasa; answers each with ``replies``."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        for text in self.replies:
            await message.output_channel.send_text_message(message.sender_id, text)

    @property
    def texts(self) -> list[str]:
        """The texts Rasa received, in order."""
        return [message.text for message in self.received]


class BrokenBot:
    """An ``on_new_message`` that fails with ``message`` in its exception (never to be logged)."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def __call__(self, _message: UserMessage) -> None:
        raise RuntimeError(self.message)
