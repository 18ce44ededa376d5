"""Aggregate indicators with no personal data: reports by category, destination and month.

Only what the database holds in clear is counted (categories, destination, the day a
report came), so no key is needed and nothing sealed is opened. A count under
:data:`SUPPRESS_BELOW` is shown as "fewer than 5", never as its number, and no total is
shown that would let it be worked out. The corridor (origin to destination) is not here:
the origin is only inside the sealed report.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.db import Report

SUPPRESS_BELOW = 5
DIMENSIONS = ("category", "destination", "month")


@dataclass(frozen=True)
class Count:
    value: str
    reports: int | None  # None: fewer than SUPPRESS_BELOW, suppressed

    @property
    def shown(self) -> str:
        return f"fewer than {SUPPRESS_BELOW}" if self.reports is None else str(self.reports)


def counts(session: Session) -> dict[str, list[Count]]:
    """Per dimension, each value's number of reports (a report with two categories counts
    once in each), largest first, suppressed under :data:`SUPPRESS_BELOW`."""
    tallies: dict[str, Counter] = {dimension: Counter() for dimension in DIMENSIONS}
    for categories, destination, created_on in session.execute(
            select(Report.categories, Report.destination, Report.created_on)):
        for category in filter(None, categories.split(",")):
            tallies["category"][category] += 1
        tallies["destination"][destination or "unknown"] += 1
        tallies["month"][created_on.strftime("%Y-%m")] += 1
    result = {}
    for dimension, tally in tallies.items():
        rows = [Count(value, n if n >= SUPPRESS_BELOW else None) for value, n in tally.items()]
        # Months in order; else the largest first, then the suppressed in alphabetical
        # order, so that their order tells nothing of their size.
        rows.sort(key=lambda row: (row.value,) if dimension == "month" else (
            row.reports is None, -(row.reports or 0), row.value))
        result[dimension] = rows
    return result


def to_csv(table: dict[str, list[Count]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dimension", "value", "reports"])
    for dimension, rows in table.items():
        for row in rows:
            writer.writerow([dimension, row.value,
                             f"<{SUPPRESS_BELOW}" if row.reports is None else row.reports])
    return out.getvalue()


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str
    y: int
    width: int  # 0 for a suppressed count: no bar is drawn


def bars(rows: list[Count], width: int = 360, step: int = 22) -> tuple[list[Bar], int]:
    """Horizontal bars for an SVG chart drawn on the server, and the chart's height."""
    largest = max((row.reports or 0 for row in rows), default=0) or 1
    drawn = [Bar(row.value, row.shown, index * step,
                 round(width * (row.reports or 0) / largest)) for index, row in enumerate(rows)]
    return drawn, max(step, len(rows) * step)
