"""``content verify``: record that a person in some role compared a fact with its source.

The content files are edited by hand, so the file is rewritten with ruamel.yaml's
round-trip mode: comments, key order, folded scalars and layout stay as they were, and
only the ``verified:`` line is added (or replaced).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from bot.content.loader import CONTENT_DIR
from bot.content.model import VERIFIER_ROLES


class VerifyRefused(Exception):
    """The verification cannot be recorded; the message says why. No file was changed."""


@dataclass(frozen=True)
class Recorded:
    item_id: str
    file: Path
    on: date
    by: str


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    # ruamel's stubs declare these attributes None; they take a bool and an int.
    yaml.preserve_quotes = True  # type: ignore[assignment]
    yaml.width = 4096  # type: ignore[assignment]  # never re-wrap a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _find(node: Any, item_id: str) -> CommentedMap | None:
    """The mapping whose ``id`` is ``item_id``: a fact, a procedure or a procedure step."""
    if isinstance(node, CommentedMap):
        if node.get("id") == item_id:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, item_id)
        if found is not None:
            return found
    return None


def verify(item_id: str, by: str, on: date | None = None,
           directory: Path = CONTENT_DIR, today: date | None = None) -> Recorded:
    """Set ``verified: {date: ON, by: BY}`` on the mapping with ``id: ITEM_ID``."""
    today = today or date.today()
    on = on or today
    if by not in VERIFIER_ROLES:
        raise VerifyRefused(f"'{by}' is not a role: use one of {', '.join(VERIFIER_ROLES)} "
                            "(a role, never a person's name)")
    if on > today:
        raise VerifyRefused(f"{on} is in the future: record a verification once it is done")
    yaml = _yaml()
    for path in sorted(directory.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if item_id not in text:
            continue
        data = yaml.load(text)
        item = _find(data, item_id)
        if item is None:
            continue
        drafted = item.get("drafted")
        if isinstance(drafted, date) and on < drafted:
            raise VerifyRefused(f"'{item_id}' was drafted on {drafted}: it cannot have been "
                                f"verified on {on}")
        verified = CommentedMap([("date", on), ("by", by)])
        verified.fa.set_flow_style()
        if "verified" in item:
            item["verified"] = verified
        else:
            keys = list(item.keys())
            position = keys.index("drafted") + 1 if "drafted" in keys else len(keys)
            item.insert(position, "verified", verified)
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle)
        return Recorded(item_id, path, on, by)
    raise VerifyRefused(f"no fact, procedure or step has the id '{item_id}' in {directory}")
