"""Bulk statements compiled once and run with rows already in the driver's types.

`session.execute(statement, rows)` with a list of rows is an executemany, but SQLAlchemy
builds each row's parameters one by one (`construct_params`: a dictionary per row, the
names looked up, the types' bind processors called). For the few statements a consumer's
poll runs over and over (the processed-event rows, the read model's writes), that is most of
the cost of writing them. Here each statement is compiled once per dialect and kept; a row
becomes a tuple in the compiled statement's parameter order, each value passed through the
SAME bind processor SQLAlchemy would apply (so the stored bytes are the same: a UUID as its
32 hex digits on SQLite, a timestamp in SQLite's DATETIME string, JSON through the engine's
serializer, asyncpg's native values on PostgreSQL), and the tuples go to the driver's
executemany in one `exec_driver_sql`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

_Converter = Callable[[Mapping[str, Any]], tuple[Any, ...]]
_compiled: dict[tuple[Dialect, Hashable], tuple[str, _Converter]] = {}


def _converter(names: Sequence[str], processors: Mapping[str, Callable[[Any], Any]]) -> _Converter:
    steps = tuple((name, processors.get(name)) for name in names)
    if all(process is None for _name, process in steps):

        def plain(row: Mapping[str, Any]) -> tuple[Any, ...]:
            return tuple([row[name] for name in names])

        return plain

    def convert(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple([row[name] if process is None else process(row[name]) for name, process in steps])

    return convert


def _compile(dialect: Dialect, key: Hashable, build: Callable[[], Executable]) -> tuple[str, _Converter]:
    cached = _compiled.get((dialect, key))
    if cached is not None:
        return cached
    compiled: Any = build().compile(dialect=dialect)  # type: ignore[attr-defined]
    names = compiled.positiontup
    if names is None:  # a dialect with named parameters: none of ours
        raise NotImplementedError(f"{dialect.name}: positional parameters expected")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise NotImplementedError("a column default would be computed per row: pass every column")
    entry = (compiled.string, _converter(names, compiled._bind_processors))
    _compiled[dialect, key] = entry
    return entry


async def executemany(
    session: AsyncSession, key: Hashable, build: Callable[[], Executable], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run the statement `build()` (compiled once per dialect, remembered under `key`) for each of
    `rows` (bind name -> value, every bind of the statement present) in the session's transaction."""
    if not rows:
        return
    connection = await session.connection()
    sql, convert = _compile(connection.dialect, key, build)
    await connection.exec_driver_sql(sql, [convert(row) for row in rows])
