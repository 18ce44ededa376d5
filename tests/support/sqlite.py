"""SQLite as its authors build it, for tests of what our code turns on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.pool import Pool


def _secure_delete_off(connection, _record) -> None:
    connection.execute("PRAGMA secure_delete=OFF")


@contextmanager
def upstream_sqlite() -> Iterator[None]:
    """SQLite as built by its authors, with secure_delete off: some builds (Debian's)
    turn it on by default, which would let these tests pass without the code. A
    class-level listener runs before each engine's own, which must turn it back on."""
    event.listen(Pool, "connect", _secure_delete_off)
    try:
        yield
    finally:
        event.remove(Pool, "connect", _secure_delete_off)
