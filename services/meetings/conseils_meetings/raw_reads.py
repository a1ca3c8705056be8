"""Reads that skip SQLAlchemy's per-row work where a page or the bilan reads many rows of ids.

`rows` returns the driver's tuples (no `Row` objects), `raw` reads an id column as text, and
`Uuids` turns those texts back into `UUID`s, once per distinct text. The bilan reads 240,000
rows of a national year this way; the agenda reads the seats of its 31 instances (600 rows,
1,800 ids: 11.8 ms of CPU through `Row`s and a `UUID` built per value, against 1.2 ms for
SQLite itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession


async def rows(session: AsyncSession, query: Select[Any]) -> Sequence[tuple[Any, ...]]:
    """All the rows at once, as the driver returned them (asyncpg's records, sqlite3's tuples):
    SQLAlchemy compiles and binds the query in the session's transaction, but builds no `Row`
    (240,000 of them for a national year). A column whose type converts what the driver returns
    (a `Date` on SQLite is text) gets its type's result processor, as SQLAlchemy would apply it."""
    connection = await session.connection()
    result = await connection.execute(query)
    try:
        fetched = cast("Sequence[tuple[Any, ...]]", result.cursor.fetchall())
    finally:
        result.close()
    dialect = connection.dialect
    processors = [
        c.type.dialect_impl(dialect).result_processor(dialect, None) for c in query.selected_columns
    ]
    if not any(processors):
        return fetched
    same = [(lambda value: value) if p is None else p for p in processors]
    return [tuple(convert(value) for convert, value in zip(same, row, strict=True)) for row in fetched]


def raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An id column as text (SQLite: the stored hex, unchanged; PostgreSQL: `uuid::varchar`), for
    `Keys` to parse once per distinct value. On PostgreSQL asyncpg then decodes text, whose `str`
    hashes in C, instead of building a `UUID` per value whose hash is computed again each lookup
    (the national bilan's CPU: 3.0-3.6 s with UUIDs, 1.6-2.1 s with text)."""
    return cast_(column, String)


class Uuids(dict[str, uuid.UUID]):
    """The `UUID` of each id text (`raw`: SQLite's hex, PostgreSQL's hyphenated form), parsed
    the first time it is seen: the same council or instance read on many rows is parsed once."""

    def __missing__(self, text: str) -> uuid.UUID:
        parsed = self[text] = uuid.UUID(text)
        return parsed


known_id = lru_cache(maxsize=1 << 16)(uuid.UUID)
"""`UUID(text)` kept across requests for ids read again and again (councils: 1,200 of them at
national size, on every seat and on every territory-wide instance); a pure parse, so keeping
it cannot go stale."""
