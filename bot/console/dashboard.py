"""The dashboard's indicators, with no personal data: reports by category, corridor and
month, and questions asked by topic, language and channel.

They are read from the counters the bot keeps as it works (:mod:`bot.indicators`):
no key is needed, nothing sealed is opened, and no report or conversation is looked at.
A count under :data:`SUPPRESS_BELOW` is shown as "fewer than 5", never as its number,
and no total is shown that would let it be worked out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot import indicators

SUPPRESS_BELOW = 5
# The dashboard's tables, in order: reports, then questions.
DIMENSIONS = tuple(f"report_{name}" for name in indicators.REPORT_DIMENSIONS) + tuple(
    f"question_{name}" for name in indicators.QUESTION_DIMENSIONS)
CHRONOLOGICAL = {"report_month"}


@dataclass(frozen=True)
class Count:
    value: str
    number: int | None  # None: fewer than SUPPRESS_BELOW, suppressed


def counts(session: Session) -> dict[str, list[Count]]:
    """Per dimension, each value's count over every month (a report with two categories
    counts once in each), largest first, suppressed under :data:`SUPPRESS_BELOW`."""
    result = {}
    for dimension in DIMENSIONS:
        tally = indicators.totals(session, dimension)
        rows = [Count(value, n if n >= SUPPRESS_BELOW else None) for value, n in tally.items()]
        # Months in order; else the largest first, then the suppressed in alphabetical
        # order, so that their order tells nothing of their size.
        rows.sort(key=lambda row: (row.value,) if dimension in CHRONOLOGICAL else (
            row.number is None, -(row.number or 0), row.value))
        result[dimension] = rows
    return result


def to_csv(table: dict[str, list[Count]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dimension", "value", "count"])
    for dimension, rows in table.items():
        for row in rows:
            writer.writerow([dimension, row.value,
                             f"<{SUPPRESS_BELOW}" if row.number is None else row.number])
    return out.getvalue()


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    width: int  # 0 for a suppressed count: no bar is drawn


def bars(rows: list[Count], width: int = 360, step: int = 22) -> tuple[list[Bar], int]:
    """Horizontal bars for an SVG chart drawn on the server, and the chart's height."""
    largest = max((row.number or 0 for row in rows), default=0) or 1
    drawn = [Bar(row.value, index * step,
                 round(width * (row.number or 0) / largest)) for index, row in enumerate(rows)]
    return drawn, max(step, len(rows) * step)
