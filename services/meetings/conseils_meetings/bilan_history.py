"""The registry read model as the bilan asks it, loaded in three queries of raw ids.

What `RegistryView.history` gives (every member period, referent term and council), but each id
read as text (`raw`) and keyed by its integer, parsed once per
distinct value (`Keys`); the member periods read once for both the member counts and the
councils asked exactly, and only the periods of those councils kept (a few, not the 25,000 of a
national year). Same answers as `RegistryHistory` built from `RegistryView.history`.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.projection import registry_view_of
from conseils_meetings.raw_reads import raw, rows
from conseils_runtime.registry_view.history import covers
from conseils_runtime.territory import TerritoryConfig


class Keys(dict[Any, int]):
    """Ids read as raw values (hex text on SQLite, the hyphenated text on PostgreSQL), each keyed by
    its integer: `keys[raw]` is a plain dict lookup once the value was seen (`__missing__` reads
    it the first time), and the in-memory work then hashes, compares and sorts integers in C, not
    `UUID`s (whose `__hash__` and `__eq__` are Python calls; the order of the integers is the
    UUIDs'). `uuids` gives each key's UUID back, built when first asked."""

    def __init__(self) -> None:
        super().__init__()
        self.uuids = _Uuids()

    def __missing__(self, value: Any) -> int:
        if type(value) is str and len(value) == 32:  # SQLAlchemy's `Uuid` text on SQLite: the hex
            key = int(value, 16)
        else:
            key = (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).int
        self[value] = key
        return key

    def optional(self, value: Any) -> int | None:
        return None if value is None else self[value]


class _Uuids(dict[int, uuid.UUID]):
    def __missing__(self, key: int) -> uuid.UUID:
        value = self[key] = uuid.UUID(int=key)
        return value


class MemberCounts:
    """How many members a council had on a day, by bisection over its periods' sorted bounds:
    the same count as `len(history.members_on(council, day))`, without a scan per question.
    A council where one member has several periods (they could overlap) is counted by a scan
    of its periods (those councils' periods only are kept)."""

    def __init__(self, periods: Sequence[tuple[int, int, date, date | None]]) -> None:
        starts: dict[int, list[date]] = defaultdict(list)
        ends: dict[int, list[date]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        self.exact: set[int] = set()
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
        self._periods: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
        for member_id, council_id, since, until in periods:
            if council_id in self.exact:
                self._periods[council_id].append((member_id, since, until))

    def __call__(self, council_id: int, day: date) -> int:
        """Periods started on or before `day` minus those ended on or before it ([since, until))."""
        if council_id in self.exact:  # distinct members, as `RegistryHistory.members_on`
            return len({m for m, since, until in self._periods[council_id] if covers(since, until, day)})
        started = bisect_right(self._starts.get(council_id, ()), day)
        return started - bisect_right(self._ends.get(council_id, ()), day)


class KeyedHistory:
    """Referents and councils on a day, as `RegistryHistory.referents_on` and `council_exists_on`
    answer them, keyed by `Keys` integers."""

    def __init__(
        self,
        terms: Sequence[tuple[int, str, int, date, date | None]],
        councils: dict[int, tuple[str, str, str, date | None]],
    ) -> None:
        self._terms: dict[tuple[int, str], list[tuple[int, date, date | None]]] = defaultdict(list)
        for council_id, theme, member_id, since, until in terms:
            self._terms[(council_id, theme)].append((member_id, since, until))
        self.councils = councils

    def referents_on(self, council_id: int, theme: str, day: date) -> frozenset[int]:
        return frozenset(
            member
            for member, since, until in self._terms.get((council_id, theme), ())
            if covers(since, until, day)
        )

    def council_exists_on(self, council_id: int, day: date) -> bool:
        council = self.councils.get(council_id)
        return council is not None and (council[3] is None or day < council[3])


@dataclass
class BilanHistory:
    history: KeyedHistory
    """Every referent term and council."""
    members_on: MemberCounts
    ever_referent: dict[str, set[int]]
    """Per theme, the councils that ever had a referent of it (the others have none on any day)."""


async def load_history(session: AsyncSession, territory: TerritoryConfig, uid: Keys) -> BilanHistory:
    """Every member period, referent term and council, their ids keyed by `uid` (`Keys`)."""
    t = registry_view_of(territory).t
    p, r, c = t.member_periods, t.referent_terms, t.councils
    periods = [
        (uid[member_id], uid[council_id], since, until)
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
    history = KeyedHistory(terms, councils)
    ever_referent: dict[str, set[int]] = defaultdict(set)
    for council_id, theme, *_ in terms:
        ever_referent[theme].add(council_id)
    return BilanHistory(history, MemberCounts(periods), ever_referent)
