"""The review console for NGO caseworkers and consular staff (issue 12).

A server-rendered Starlette application, run beside the bot on the same database
(``python -m bot console serve``, ``make console``). Reports of a partner whose
registry entry says ``delivery: console`` wait there, still sealed; a staff member's
password unwraps the partner's key for their session only (:mod:`bot.console.accounts`).
"""
