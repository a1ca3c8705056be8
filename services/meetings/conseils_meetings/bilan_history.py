"""The registry read model as the bilan asks it, loaded in three queries of raw ids.

What `RegistryView.history` gives (every member period, referent term and council), but each id
read as the driver returns it (hex text on SQLite) and parsed once per distinct value (`Ids`),
the member periods read once for both the member counts and the councils asked exactly, and
`RegistryHistory` holding only the periods of those councils (a few, not the 25,000 of a
national year). Same answers as `registry_view_of(territory).history(session)`.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.projection import registry_view_of
from conseils_runtime.registry_view import RegistryHistory
from conseils_runtime.territory import TerritoryConfig


async def rows(session: AsyncSession, query: Select[Any]) -> Sequence[tuple[Any, ...]]:
    """All the rows at once (one fetchall, not a fetchone per row through the async adapter)."""
    return cast("Sequence[tuple[Any, ...]]", (await session.execute(query)).all())


def raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An id column as the driver returns it (hex text on SQLite), for `Ids` to parse once."""
    return type_coerce(column, String)


class Ids(dict[Any, uuid.UUID]):
    """Ids read as raw values, each distinct value turned into a UUID once: `ids[raw]` is a plain
    dict lookup (no Python call) once the value was seen, `__missing__` parses it the first time."""

    def __missing__(self, value: Any) -> uuid.UUID:
        parsed = self[value] = value if type(value) is uuid.UUID else uuid.UUID(str(value))
        return parsed

    def optional(self, value: Any) -> uuid.UUID | None:
        return None if value is None else self[value]


class MemberCounts:
    """How many members a council had on a day, by bisection over its periods' sorted bounds:
    the same count as `len(history.members_on(council, day))`, without a scan per question.
    A council where one member has several periods (they could overlap) is asked of `history`,
    which holds the periods of those councils only."""

    def __init__(self, periods: Sequence[tuple[Any, uuid.UUID, date, date | None]]) -> None:
        starts: dict[uuid.UUID, list[date]] = defaultdict(list)
        ends: dict[uuid.UUID, list[date]] = defaultdict(list)
        seen: set[tuple[Any, uuid.UUID]] = set()
        self.exact: set[uuid.UUID] = set()
        for member_id, council_id, since, until in periods:
            if (member_id, council_id) in seen:
                self.exact.add(council_id)
            seen.add((member_id, council_id))
            if until is not None and until <= since:
                continue  # an empty interval [since, until) covers no day
            starts[council_id].append(since)
            if until is not None:
                ends[council_id].append(until)
        self._starts = {key: sorted(days) for key, days in starts.items()}
        self._ends = {key: sorted(days) for key, days in ends.items()}
        self.history = RegistryHistory([], [], {})

    def __call__(self, council_id: uuid.UUID, day: date) -> int:
        """Periods started on or before `day` minus those ended on or before it ([since, until))."""
        if council_id in self.exact:
            return len(self.history.members_on(council_id, day))
        started = bisect_right(self._starts.get(council_id, ()), day)
        return started - bisect_right(self._ends.get(council_id, ()), day)


@dataclass
class BilanHistory:
    history: RegistryHistory
    """Every referent term and council; the member periods of the councils counted exactly."""
    members_on: MemberCounts
    ever_referent: dict[str, set[uuid.UUID]]
    """Per theme, the councils that ever had a referent of it (the others have none on any day)."""


async def load_history(session: AsyncSession, territory: TerritoryConfig, uid: Ids) -> BilanHistory:
    t = registry_view_of(territory).t
    p, r, c = t.member_periods, t.referent_terms, t.councils
    periods = [
        (member_id, uid[council_id], since, until)
        for member_id, council_id, since, until in await rows(
            session, select(raw(p.c.member_id), raw(p.c.council_id), p.c.since, p.c.until)
        )
    ]
    terms = [
        (uid[council_id], theme, uid[member_id], since, until)
        for council_id, theme, member_id, since, until in await rows(
            session,
            select(raw(r.c.council_id), r.c.theme, raw(r.c.member_id), r.c.since, r.c.until),
        )
    ]
    councils = {
        uid[council_id]: (name, city, city_code, dissolved_on)
        for council_id, name, city, city_code, dissolved_on in await rows(
            session, select(raw(c.c.council_id), c.c.name, c.c.city, c.c.city_code, c.c.dissolved_on)
        )
    }
    members_on = MemberCounts(periods)
    exact = members_on.exact
    history = RegistryHistory(
        [(uid[m], council, since, until) for m, council, since, until in periods if council in exact],
        terms,
        councils,
    )
    members_on.history = history
    ever_referent: dict[str, set[uuid.UUID]] = defaultdict(set)
    for council_id, theme, *_ in terms:
        ever_referent[theme].add(council_id)
    return BilanHistory(history, members_on, ever_referent)
