"""The shared temporal read model of registry facts (conseils_runtime.registry_view).

Both services use it, so it is tested once, on SQLite and PostgreSQL: "as of"
answers, duplicates, and facts arriving in any order give the same history.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import MetaData

from conseils_runtime import Database
from conseils_runtime.registry_view import RegistryHistory, RegistryView, registry_view_tables
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

pytestmark = pytest.mark.postgres

C1, C2 = uuid.UUID(int=1), uuid.UUID(int=2)
ALICE, BOB = uuid.UUID(int=10), uuid.UUID(int=11)
T0 = datetime(2027, 1, 1, 9, tzinfo=UTC)


def council(council_id: uuid.UUID, name: str) -> CouncilRegistered:
    return CouncilRegistered(
        council_id=council_id,
        territory="t",
        city="Saint-Denis",
        city_code="93066",
        neighbourhood="Q",
        name=name,
    )


# A year of one council, in the order the registry wrote it (each fact with its ce_time).
YEAR: list[tuple[datetime, Event]] = [
    (T0, council(C1, "Franc-Moisin")),
    (
        T0 + timedelta(hours=1),
        MemberJoined(member_id=ALICE, council_id=C1, college="habitants", joined_on=date(2027, 1, 1)),
    ),
    (
        T0 + timedelta(hours=2),
        MemberJoined(member_id=BOB, council_id=C1, college="habitants", joined_on=date(2027, 2, 1)),
    ),
    (
        T0 + timedelta(hours=3),
        ReferentDesignated(council_id=C1, theme="emploi", member_id=ALICE, since=date(2027, 1, 10)),
    ),
    (
        T0 + timedelta(days=150),
        ReferentWithdrawn(
            council_id=C1, theme="emploi", member_id=ALICE, until=date(2027, 6, 1), reason="replaced"
        ),
    ),
    (
        T0 + timedelta(days=150, hours=1),
        ReferentDesignated(council_id=C1, theme="emploi", member_id=BOB, since=date(2027, 6, 1)),
    ),
    (T0 + timedelta(days=160), MemberLeft(member_id=ALICE, council_id=C1, left_on=date(2027, 6, 10))),
    (T0 + timedelta(days=200), CouncilDissolved(council_id=C1, dissolved_on=date(2027, 9, 1))),
]


async def history_after(
    database_url: str, facts: list[tuple[datetime, Event]]
) -> tuple[RegistryHistory, RegistryView, Database]:
    metadata = MetaData()
    tables = registry_view_tables(metadata)
    database = Database(database_url)
    await database.create_all(metadata)
    view = RegistryView(tables)
    async with database.sessionmaker() as session, session.begin():
        for at, fact in facts:
            await view.apply(session, fact, at)
    async with database.sessionmaker() as session:
        return await view.history(session), view, database


def answers(history: RegistryHistory) -> dict[str, object]:
    days = [
        date(2027, 1, 5),
        date(2027, 3, 1),
        date(2027, 5, 31),
        date(2027, 6, 1),
        date(2027, 6, 10),
        date(2027, 9, 1),
    ]
    return {
        "members": [sorted(history.members_on(C1, d)) for d in days],
        "referents": [sorted(history.referents_on(C1, "emploi", d)) for d in days],
        "exists": [history.council_exists_on(C1, d) for d in days],
    }


async def test_as_of_answers(database_url: str) -> None:
    history, _view, database = await history_after(database_url, YEAR)
    try:
        assert history.members_on(C1, date(2026, 12, 31)) == frozenset()
        assert history.members_on(C1, date(2027, 1, 5)) == {ALICE}
        assert history.members_on(C1, date(2027, 3, 1)) == {ALICE, BOB}
        assert history.members_on(C1, date(2027, 6, 9)) == {ALICE, BOB}
        assert history.members_on(C1, date(2027, 6, 10)) == {BOB}  # left on the 10th: not a member that day
        assert history.referents_on(C1, "emploi", date(2027, 1, 9)) == frozenset()
        assert history.referents_on(C1, "emploi", date(2027, 4, 12)) == {ALICE}  # who was referent in April
        assert history.referents_on(C1, "emploi", date(2027, 6, 1)) == {BOB}  # her successor from that day
        assert history.council_exists_on(C1, date(2027, 8, 31))
        assert not history.council_exists_on(C1, date(2027, 9, 1))
    finally:
        await database.dispose()


async def test_duplicates_and_any_order_give_the_same_history(database_url: str) -> None:
    expected_history, _view, database = await history_after(database_url, YEAR)
    await database.dispose()
    expected = answers(expected_history)
    orders = [list(reversed(YEAR)), YEAR + YEAR, [YEAR[i] for i in (6, 4, 0, 7, 2, 5, 1, 3)]]
    orders += [list(p) for p in itertools.islice(itertools.permutations(YEAR[1:7]), 0, 720, 97)]
    for facts in orders:
        history, _view, database = await history_after(database_url, [YEAR[0], *facts, YEAR[7]])
        try:
            assert answers(history) == expected, [type(f).__name__ for _at, f in facts]
        finally:
            await database.dispose()


async def test_an_older_fact_never_overwrites_newer_state(database_url: str) -> None:
    newer = T0 + timedelta(days=10)
    facts: list[tuple[datetime, Event]] = [
        (newer, CouncilUpdated(council_id=C2, name="Nouveau nom", status="suspended")),
        (T0, council(C2, "Ancien nom")),  # the registration arrives late: fills the gaps only
        (newer, MemberUpdated(member_id=ALICE, council_id=C2, themes_followed=["sante"])),
        (T0, MemberJoined(member_id=ALICE, council_id=C2, college="habitants", joined_on=date(2027, 1, 1))),
    ]
    _history, view, database = await history_after(database_url, facts)
    try:
        async with database.sessionmaker() as session:
            member = await view.member(session, ALICE)
            assert member is not None
            assert member["themes_followed"] == ["sante"]  # not reset by the older MemberJoined
            row = (await session.execute(view.t.councils.select())).mappings().one()
            assert (row["name"], row["status"], row["active"], row["city"]) == (
                "Nouveau nom",
                "suspended",
                False,
                "Saint-Denis",
            )
    finally:
        await database.dispose()


async def test_erasure_is_final_and_keeps_the_past(database_url: str) -> None:
    facts = [
        *YEAR[:4],
        (
            T0 + timedelta(days=30),
            MemberErased(member_id=ALICE, erased_at=datetime(2027, 2, 1, 12, tzinfo=UTC)),
        ),
        (T0 + timedelta(days=1), MemberUpdated(member_id=ALICE, council_id=C1, role="member")),  # late
    ]
    history, view, database = await history_after(database_url, facts)
    try:
        async with database.sessionmaker() as session:
            member = await view.member(session, ALICE)
        assert member is not None
        assert (member["erased"], member["active"]) == (True, False)
        assert history.members_on(C1, date(2027, 1, 15)) == {ALICE}  # January still counts her
        assert history.members_on(C1, date(2027, 2, 2)) == {BOB}
        assert history.referents_on(C1, "emploi", date(2027, 2, 2)) == frozenset()
    finally:
        await database.dispose()
