"""Instants, the same way everywhere: everything stored is UTC.

SQLite gives naive datetimes back (PostgreSQL gives aware ones); `as_utc`
makes either an aware UTC instant. Plain Python: a domain module may use it.
`FRENCH_DAYS` and `FRENCH_MONTHS` are the calendar's words, written once for every
French date the platform prints (site, emails, PDF), whatever the server's locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same instant, aware: a naive value is read as UTC (what the databases store)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
