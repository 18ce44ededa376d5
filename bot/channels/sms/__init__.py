"""SMS: the channel (:class:`SmsChannel`, named in ``credentials.yml`` as
``bot.channels.sms.SmsChannel``), its gateways, segments and encodings, MORE
pages and keywords."""

from bot.channels.sms.channel import SmsChannel

__all__ = ["SmsChannel"]
