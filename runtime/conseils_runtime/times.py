"""Instants, the same way everywhere: everything stored is UTC.

SQLite gives naive datetimes back (PostgreSQL gives aware ones); `as_utc`
makes either an aware UTC instant. Plain Python: a domain module may use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same instant, aware: a naive value is read as UTC (what the databases store)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
