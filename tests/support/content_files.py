"""Small content directories written in tmp_path, for tests that need exact findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

QUESTIONS = """\
minimum_wage:
  topic: wages
  words: {en: [minimum wage]}
unpaid_wages:
  topic: wages
  words: {en: [not paid]}
"""

# Line 6: a standard stated without its condition; line 12: one that names it.
CHARTER_WAGES = """\
topic: wages
title: Your wages
intents: [ask_wages]
country_roles: [origin, destination]
facts:
  - id: paid_on_time
    text: Your wages must be paid on time.
    answers: [unpaid_wages]
    source: {title: ILO Convention 95, url: "https://example.org/c95"}
    drafted: 2026-11-22
  - id: ratified_minimum
    text: Countries that ratified ILO Convention {convention} must set a minimum wage.
    values: {convention: "131"}
    answers: [minimum_wage]
    source: {title: ILO Convention 131, url: "https://example.org/c131"}
    drafted: 2026-11-22
"""

CHARTER_PASSPORT = """\
topic: passport
title: Your passport
intents: [ask_passport]
country_roles: [destination]
facts: []
"""

CHARTER_FEES = """\
topic: recruitment_fees
title: Recruitment fees
intents: [ask_recruitment_fees]
country_roles: [origin, destination]
facts: []
"""


def write_content(root: Path, files: dict[str, str]) -> Path:
    """Write each relative path's text (dedented) under ``root``, and return ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def small_content(root: Path, countries: dict[str, str],
                  corridors: dict[str, str] | None = None) -> Path:
    """The charter above, ``questions.yml``, and the given country and corridor files
    (file stem -> text, e.g. {"QA": ...}, {"NP-QA": ...})."""
    files = {"questions.yml": QUESTIONS, "charter/wages.yml": CHARTER_WAGES,
             "charter/passport.yml": CHARTER_PASSPORT,
             "charter/recruitment_fees.yml": CHARTER_FEES}
    files.update({f"countries/{code}.yml": text for code, text in countries.items()})
    files.update({f"corridors/{name}.yml": text for name, text in (corridors or {}).items()})
    return write_content(root, files)
