"""Where the bot keeps state: Rasa's tracker store, without message text.

Every Rasa server of ours loads this package (endpoints.yml names our tracker store)
after Rasa has configured logging, and before it serves a message: the place to make
the server's logs safe and its telemetry silent, once, whichever channels it runs.
"""

from bot.log_privacy import guard_server_logs
from bot.telemetry import turn_off_telemetry

guard_server_logs()
turn_off_telemetry()
