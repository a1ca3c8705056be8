"""`conseils_runtime.bulk_sql.executemany` (statements compiled once, rows in the driver's types) stores
byte for byte what SQLAlchemy's own executemany stores, on SQLite and PostgreSQL: the same rows
written both ways (inserts, then updates and deletes) into each table, read back raw (SQLite's
stored text and storage class, PostgreSQL's text form of each column) and compared."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, and_, bindparam, delete, update

from conseils_runtime import Database
from conseils_runtime.bulk_sql import executemany
from conseils_runtime.database import RuntimeTables
from conseils_runtime.registry_view import registry_view_tables

pytestmark = pytest.mark.postgres

PARIS = timezone(timedelta(hours=1))
AT = [
    datetime(2027, 3, 1, 18, 30, tzinfo=PARIS),  # converted to UTC
    datetime(2027, 3, 1, 9, 0, 0, 0, tzinfo=UTC),  # no microseconds
    datetime(2027, 3, 1, 9, 0, 0, 123456, tzinfo=UTC),
    datetime(2027, 3, 1, 9, 0, 0, 7),  # naive: taken as UTC
]


def rows_of(name: str, n: int) -> list[dict[str, Any]]:
    ids = [uuid.UUID(int=(i + 1) * 0x1F2E3D4C5B6A79880123456789ABCDEF) for i in range(n)]
    at = [AT[i % len(AT)] for i in range(n)]
    if name == "councils":
        return [
            {
                "council_id": ids[i],
                "name": f"Conseil é{i}",
                "city": "Saint-Denis",
                "city_code": "93066",
                "status": "active",
                "active": i % 2 == 0,
                "dissolved_on": None if i % 2 else date(2027, 1, i + 1),
                "as_of": at[i],
            }
            for i in range(n)
        ]
    if name == "members":
        return [
            {
                "member_id": ids[i],
                "council_id": None if i == 0 else ids[-i],
                "role": "member",
                "themes_followed": [] if i % 2 else ["santé", "emploi"],
                "active": i % 2 == 1,
                "erased": i == 2,
                "as_of": at[i],
            }
            for i in range(n)
        ]
    if name == "member_periods":
        return [
            {"member_id": ids[i], "since": date(2027, 1, 1), "council_id": ids[-1], "until": None}
            for i in range(n)
        ]
    if name == "referent_terms":
        return [
            {
                "council_id": ids[0],
                "theme": "santé",
                "member_id": ids[i],
                "since": date(2027, 1, 1),
                "until": date(2027, 2, i + 1),
            }
            for i in range(n)
        ]
    assert name == "processed_events"
    return [
        {"consumer": "g", "event_id": ids[i].hex, "event_type": "MemberJoined", "processed_at": at[i]}
        for i in range(n)
    ]


def key_columns(table: Table) -> list[str]:
    return [column.name for column in table.primary_key.columns]


def changed(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their non-key columns replaced by the next row's (a real change of each)."""
    keys = key_columns(table)
    return [
        {**row, **{k: v for k, v in rows[(i + 1) % len(rows)].items() if k not in keys}}
        for i, row in enumerate(rows)
    ]


async def write(database: Database, table: Table, rows: list[dict[str, Any]], *, ours: bool) -> None:
    """Insert `rows`, update two of them, delete the last: with SQLAlchemy's executemany or ours."""
    keys = key_columns(table)
    columns = [column.name for column in table.columns if column.name not in keys]

    def match() -> Any:
        return and_(*(table.c[name] == bindparam(f"k_{name}") for name in keys))

    steps: list[tuple[str, Any, list[dict[str, Any]]]] = [
        ("insert", table.insert, rows),
        (
            "update",
            lambda: (
                update(table)
                .where(match())
                .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
            ),
            [
                {**{f"k_{n}": row[n] for n in keys}, **{f"v_{n}": row[n] for n in columns}}
                for row in changed(table, rows)[:2]
            ],
        ),
        (
            "delete",
            lambda: delete(table).where(match()),
            [{f"k_{n}": row[n] for n in keys} for row in rows[-1:]],
        ),
    ]
    async with database.sessionmaker() as session, session.begin():
        for kind, build, params in steps:
            if ours:
                await executemany(session, ("test", table.name, kind), build, params)
            else:
                await session.execute(build(), params)


async def raw_rows(database: Database, table: Table) -> list[tuple[Any, ...]]:
    if database.is_sqlite:
        selected = ", ".join(f'"{c.name}", typeof("{c.name}")' for c in table.columns)
    else:
        selected = ", ".join(f'"{c.name}"::text' for c in table.columns)
    async with database.sessionmaker() as session:
        connection = await session.connection()
        result = await connection.exec_driver_sql(f'SELECT {selected} FROM "{table.name}"')  # noqa: S608 (our tables)
        return sorted(tuple(row) for row in result)


async def test_the_driver_rows_store_what_sqlalchemy_stores(database_url: str) -> None:
    metadata = MetaData()
    tables = registry_view_tables(metadata)
    every = [tables.councils, tables.members, tables.member_periods, tables.referent_terms]
    every.append(RuntimeTables.define(metadata).processed_events)
    database = Database(database_url)
    try:
        await database.create_all(metadata)
        for table in every:
            await write(database, table, rows_of(table.name, 4), ours=False)
            theirs = await raw_rows(database, table)
            async with database.sessionmaker() as session, session.begin():
                await session.execute(table.delete())
            await write(database, table, rows_of(table.name, 4), ours=True)
            ours = await raw_rows(database, table)
            assert len(theirs) == 3, table.name
            assert ours == theirs, table.name
    finally:
        await database.dispose()
