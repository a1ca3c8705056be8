"""`RegistryView.apply_many` (a consumer's poll in a few statements) leaves exactly the rows that
applying the same facts one by one leaves: random facts about a few councils, members and
themes, in random orders with duplicates, cut into batches of random sizes, on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from conseils_runtime import Database
from conseils_runtime.registry_view import RegistryView, RegistryViewTables, registry_view_tables
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

COUNCILS = [uuid.UUID(int=i) for i in (1, 2)]
MEMBERS = [uuid.UUID(int=i) for i in (10, 11, 12)]
THEMES = ["emploi", "sante"]
T0 = datetime(2027, 1, 1, 9, tzinfo=UTC)


def random_fact(rng: random.Random) -> tuple[Event, datetime]:
    council, member, theme = rng.choice(COUNCILS), rng.choice(MEMBERS), rng.choice(THEMES)
    at = T0 + timedelta(days=rng.randrange(200), hours=rng.randrange(24))
    day = date(2027, 1, 1) + timedelta(days=rng.randrange(0, 200, 7))  # shared days: collisions
    facts: list[Event] = [
        CouncilRegistered(
            council_id=council,
            territory="t",
            city="Saint-Denis",
            city_code="93066",
            neighbourhood="Q",
            name=rng.choice(["Franc-Moisin", "Pleyel"]),
            status=rng.choice(["active", "suspended"]),
        ),
        CouncilUpdated(
            council_id=council, name=rng.choice([None, "Nouveau"]), status=rng.choice([None, "suspended"])
        ),
        CouncilDissolved(council_id=council, dissolved_on=day),
        MemberJoined(
            member_id=member,
            council_id=council,
            college="habitants",
            joined_on=day,
            themes_followed=rng.choice([[], ["emploi"]]),
        ),
        MemberUpdated(
            member_id=member,
            council_id=council,
            role=rng.choice([None, "member"]),
            themes_followed=rng.choice([None, ["sante"]]),
        ),
        MemberLeft(member_id=member, council_id=council, left_on=day),
        MemberErased(member_id=member, erased_at=at),
        ReferentDesignated(council_id=council, theme=theme, member_id=member, since=day),
        ReferentWithdrawn(council_id=council, theme=theme, member_id=member, until=day, reason="replaced"),
    ]
    return rng.choice(facts), at


async def rows_after(
    database_url: str, batches: list[list[tuple[Event, datetime]]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read model after applying `batches` (one `apply_many` each)."""
    metadata = MetaData()
    tables: RegistryViewTables = registry_view_tables(metadata)
    database = Database(database_url)
    try:
        await database.create_all(metadata)
        view = RegistryView(tables)
        async with database.sessionmaker() as session, session.begin():
            for batch in batches:
                await view.apply_many(session, batch)
        async with database.sessionmaker() as session:
            dump: dict[str, list[tuple[Any, ...]]] = {}
            for name in ("councils", "members", "member_periods", "referent_terms"):
                table = getattr(tables, name)
                result = await session.execute(select(table))
                dump[name] = sorted(
                    tuple(sorted((k, repr(v)) for k, v in row.items())) for row in result.mappings()
                )
        async with database.sessionmaker() as session, session.begin():  # the next run starts empty
            for table in reversed(metadata.sorted_tables):
                await session.execute(table.delete())
        return dump
    finally:
        await database.dispose()


@pytest.mark.parametrize("seed", range(12))
async def test_a_batch_leaves_the_rows_that_one_fact_at_a_time_leaves(database_url: str, seed: int) -> None:
    rng = random.Random(seed)
    facts = [random_fact(rng) for _ in range(rng.randrange(5, 30))]
    facts += rng.sample(facts, k=rng.randrange(1, 5))  # redelivered facts
    rng.shuffle(facts)
    one_by_one = await rows_after(database_url, [[fact] for fact in facts])
    whole = await rows_after(database_url, [facts])
    cuts = sorted(rng.sample(range(1, len(facts)), k=3))
    pieces = [facts[a:b] for a, b in zip([0, *cuts], [*cuts, len(facts)], strict=True)]
    in_pieces = await rows_after(database_url, pieces)
    assert any(one_by_one.values())
    assert whole == one_by_one, [type(event).__name__ for event, _at in facts]
    assert in_pieces == one_by_one
