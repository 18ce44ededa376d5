"""Rasa input channels of ours. Each checks its input at the door and logs no content.

Rasa imports this package while reading credentials.yml, before it reports the
server's start to its telemetry: the place to turn telemetry off (see
:mod:`bot.telemetry`). Logs are guarded when a channel starts serving
(:func:`bot.channels.base.guarded_blueprint`).
"""

from bot.telemetry import turn_off_telemetry

turn_off_telemetry()
