"""The registry read model: councils, members and referents from registry events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from conseils_meetings import tables
from conseils_meetings.app import create_app
from conseils_meetings.repository import Repository
from conseils_runtime import ServiceRuntime
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
)

from .conftest import apply_fact, meetings_settings

pytestmark = pytest.mark.postgres


async def test_registry_events_build_and_update_the_read_model(database_url: str, tmp_path: Path) -> None:
    app = create_app(meetings_settings(database_url, tmp_path))
    runtime: ServiceRuntime = app.state.runtime
    await runtime.database.create_all(runtime.metadata)
    council, member, early = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        async with runtime.database.sessionmaker() as session, session.begin():
            # an update seen before its registration keeps what it says
            await apply_fact(CouncilUpdated(council_id=early, name="Tôt"), session)
            registered = CouncilRegistered(
                council_id=council,
                territory="test",
                city="Stains",
                city_code="93072",
                neighbourhood="Clos",
                name="Conseil du Clos",
            )
            await apply_fact(registered, session)
            await apply_fact(registered, session)  # replay: same state
            await apply_fact(
                MemberJoined(
                    member_id=member, council_id=council, college="habitants", joined_on=date(2026, 1, 1)
                ),
                session,
            )
            await apply_fact(
                MemberUpdated(member_id=member, council_id=council, themes_followed=["sante"]), session
            )
            await apply_fact(
                ReferentDesignated(
                    council_id=council, theme="sante", member_id=member, since=date(2026, 2, 1)
                ),
                session,
            )
        async with runtime.database.sessionmaker() as session:
            repo = Repository(session)
            views = {view.id: view for view in await repo.council_views()}
            assert views[council].city_code == "93072"
            assert views[council].active
            assert early in views
            row = await repo.member(member)
            assert row is not None
            assert list(row.themes_followed) == ["sante"]
            assert await repo.referent_themes(member, date(2026, 3, 1)) == ["sante"]

        async with runtime.database.sessionmaker() as session, session.begin():
            await apply_fact(
                ReferentWithdrawn(
                    council_id=council,
                    theme="sante",
                    member_id=member,
                    until=date(2026, 6, 1),
                    reason="withdrawn",
                ),
                session,
            )
            await apply_fact(
                MemberLeft(member_id=member, council_id=council, left_on=date(2026, 6, 1)), session
            )
            await apply_fact(CouncilDissolved(council_id=council, dissolved_on=date(2026, 7, 1)), session)
        async with runtime.database.sessionmaker() as session:
            repo = Repository(session)
            assert not {view.id: view for view in await repo.council_views()}[council].active
            row = await repo.member(member)
            assert row is not None
            assert row.active is False
            assert await repo.referent_themes(member, date(2026, 6, 1)) == []
            assert await repo.referent_themes(member, date(2026, 5, 31)) == ["sante"]  # history kept

        async with runtime.database.sessionmaker() as session, session.begin():
            await apply_fact(MemberErased(member_id=member, erased_at=datetime.now(UTC)), session)
        async with runtime.database.sessionmaker() as session:
            erased = await Repository(session).member(member)
            assert erased is not None
            assert erased.erased  # ids only; never concerned again
            terms = await session.execute(
                select(tables.referent_terms).where(tables.referent_terms.c.member_id == member)
            )
            assert all(term.until is not None for term in terms)
    finally:
        await runtime.database.dispose()
