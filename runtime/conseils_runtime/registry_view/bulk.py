"""A batch of registry facts applied with a few statements: read, apply in memory, write back.

`RegistryView.apply_many` is the only writer of the read model. For a batch it:

1. reads, in one SELECT per table (chunks of `CHUNK` keys), every row the batch can touch:
   the councils and members it names, the membership periods of its members, and the
   referent terms of the members it designates, withdraws, sees leave or erases;
2. applies each fact, in the batch's order, to that working copy (`Working`), with the
   rules of the read model (the newest `as_of` wins, an older fact only fills what is
   unknown, intervals converge whatever the order, a duplicate changes nothing, erasure
   is final);
3. writes back only the difference with what it read: one DELETE, one UPDATE and one
   INSERT (each an executemany) per table at most.

A fact applied alone is a batch of one: the rules exist once. Inserts are plain
INSERTs (not upserts): a row another transaction created meanwhile fails the batch
and the consumer retries it, as a read-then-insert always did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.bulk_sql import executemany
from conseils_runtime.registry_view.tables import RegistryViewTables
from conseils_runtime.times import as_utc
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    Event,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
)

CHUNK = 500
"""Keys per `IN (…)` when reading (under SQLite's and asyncpg's parameter limits)."""

COUNCIL_EVENTS = (CouncilRegistered, CouncilUpdated, CouncilDissolved)
MEMBER_EVENTS = (MemberJoined, MemberUpdated, MemberLeft, MemberErased)
TERM_EVENTS = (ReferentDesignated, ReferentWithdrawn)

Row = dict[str, Any]
PeriodKey = tuple[uuid.UUID, date]  # (member_id, since)
TermKey = tuple[uuid.UUID, str, uuid.UUID, date]  # (council_id, theme, member_id, since)


@dataclass
class Working:
    """The rows a batch touches, as read, then as the facts leave them."""

    councils: dict[uuid.UUID, Row] = field(default_factory=dict)
    members: dict[uuid.UUID, Row] = field(default_factory=dict)
    periods: dict[uuid.UUID, dict[date, Row]] = field(default_factory=dict)  # member -> since -> row
    terms: dict[uuid.UUID, dict[TermKey, date | None]] = field(default_factory=dict)  # member -> key -> until


def _keys(facts: Sequence[tuple[Event, datetime]]) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """(councils, members, members whose referent terms are needed)."""
    councils: set[uuid.UUID] = set()
    members: set[uuid.UUID] = set()
    term_members: set[uuid.UUID] = set()
    for event, _at in facts:
        if isinstance(event, COUNCIL_EVENTS):
            councils.add(event.council_id)
        elif isinstance(event, MEMBER_EVENTS):
            members.add(event.member_id)
            if isinstance(event, MemberLeft | MemberErased):
                term_members.add(event.member_id)
        elif isinstance(event, TERM_EVENTS):
            term_members.add(event.member_id)
    return councils, members, term_members


async def _select_in(session: AsyncSession, table: Table, column: str, keys: Iterable[Any]) -> list[Row]:
    wanted = sorted(keys)
    rows: list[Row] = []
    for start in range(0, len(wanted), CHUNK):
        result = await session.execute(
            select(table).where(table.c[column].in_(wanted[start : start + CHUNK]))
        )
        rows.extend(dict(row) for row in result.mappings())
    return rows


async def read(
    session: AsyncSession, t: RegistryViewTables, facts: Sequence[tuple[Event, datetime]]
) -> Working:
    council_ids, member_ids, term_member_ids = _keys(facts)
    working = Working()
    if council_ids:
        working.councils = {
            row["council_id"]: row for row in await _select_in(session, t.councils, "council_id", council_ids)
        }
    if member_ids:
        working.members = {
            row["member_id"]: row for row in await _select_in(session, t.members, "member_id", member_ids)
        }
        working.periods = {member_id: {} for member_id in member_ids}
        for row in await _select_in(session, t.member_periods, "member_id", member_ids):
            working.periods[row["member_id"]][row["since"]] = {
                "council_id": row["council_id"],
                "until": row["until"],
            }
    if term_member_ids:
        working.terms = {member_id: {} for member_id in term_member_ids}
        for row in await _select_in(session, t.referent_terms, "member_id", term_member_ids):
            key = (row["council_id"], row["theme"], row["member_id"], row["since"])
            working.terms[row["member_id"]][key] = row["until"]
    return working


def snapshot(working: Working) -> Working:
    """A copy of what was read, to write back only the difference."""
    return Working(
        councils={key: dict(row) for key, row in working.councils.items()},
        members={
            key: {**row, "themes_followed": list(row["themes_followed"])}
            for key, row in working.members.items()
        },
        periods={
            key: {since: dict(row) for since, row in rows.items()} for key, rows in working.periods.items()
        },
        terms={key: dict(rows) for key, rows in working.terms.items()},
    )


def _diff(before: dict[Any, Row], after: dict[Any, Row]) -> tuple[list[Any], list[Row], list[Row]]:
    """(keys deleted, rows updated, rows inserted)."""
    deleted = [key for key in before if key not in after]
    updated = [row for key, row in after.items() if key in before and before[key] != row]
    inserted = [row for key, row in after.items() if key not in before]
    return deleted, updated, inserted


async def _write(
    session: AsyncSession, table: Table, keys: Sequence[str], before: dict[Any, Row], after: dict[Any, Row]
) -> None:
    deleted, updated, inserted = _diff(before, after)
    if not (deleted or updated or inserted):
        return
    columns = [column.name for column in table.columns if column.name not in keys]

    def key_match() -> Any:
        return and_(*(table.c[name] == bindparam(f"k_{name}", type_=table.c[name].type) for name in keys))

    if deleted:
        params = [dict(zip((f"k_{name}" for name in keys), key, strict=True)) for key in deleted]
        await executemany(session, (table.name, "delete"), lambda: delete(table).where(key_match()), params)
    if updated:
        params = [
            {**{f"k_{name}": row[name] for name in keys}, **{f"v_{name}": row[name] for name in columns}}
            for row in updated
        ]
        await executemany(
            session,
            (table.name, "update"),
            lambda: (
                update(table)
                .where(key_match())
                .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
            ),
            params,
        )
    if inserted:
        await executemany(session, (table.name, "insert"), table.insert, inserted)


def _flat_periods(periods: dict[uuid.UUID, dict[date, Row]]) -> dict[PeriodKey, Row]:
    return {
        (member_id, since): {"member_id": member_id, "since": since, **row}
        for member_id, rows in periods.items()
        for since, row in rows.items()
    }


def _flat_terms(terms: dict[uuid.UUID, dict[TermKey, date | None]]) -> dict[TermKey, Row]:
    return {
        key: {"council_id": key[0], "theme": key[1], "member_id": key[2], "since": key[3], "until": until}
        for rows in terms.values()
        for key, until in rows.items()
    }


async def write(session: AsyncSession, t: RegistryViewTables, before: Working, after: Working) -> None:
    """Write back what the facts changed (deletes first: a period whose start became known moves)."""
    await _write(session, t.councils, ("council_id",), before.councils, after.councils)
    await _write(session, t.members, ("member_id",), before.members, after.members)
    await _write(
        session,
        t.member_periods,
        ("member_id", "since"),
        _flat_periods(before.periods),
        _flat_periods(after.periods),
    )
    await _write(
        session,
        t.referent_terms,
        ("council_id", "theme", "member_id", "since"),
        _flat_terms(before.terms),
        _flat_terms(after.terms),
    )


def newer(occurred_at: datetime, row: Row) -> bool:
    """Is `occurred_at` not older than what the row holds?"""
    return as_utc(occurred_at) >= as_utc(row["as_of"])
