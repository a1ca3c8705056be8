"""Fixtures of the meetings tests: an app on the `database_url` database (no
broker needed: events stay in the outbox, where the tests read them), a clock
the tests move, a seeded read model and signed tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.app import create_app
from conseils_meetings.fact_clock import mark_fact
from conseils_meetings.service import MeetingsService
from conseils_meetings.settings import MeetingsSettings
from conseils_runtime import ServiceRuntime
from conseils_runtime.auth import Role, issue_token
from conseils_runtime.registry_view import RegistryView
from conseils_schemas import CouncilRegistered, Event, MemberJoined, ReferentDesignated

SECRET = "test-secret-meetings"  # noqa: S105 - a test-only signing key
# A Monday, well before the instances the tests schedule.
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """Councils and members of the read model, by short name."""

    councils: dict[str, uuid.UUID] = field(default_factory=dict)
    members: dict[str, uuid.UUID] = field(default_factory=dict)


def token(role: Role, subject: str | uuid.UUID | None = None, council_id: uuid.UUID | None = None) -> str:
    # A day, not the 5 minutes of production: STAFF below is made once, at collection, for the whole run.
    return issue_token(
        SECRET,
        subject=str(subject or uuid.uuid4()),
        role=role,
        council_id=council_id,
        audience="meetings",
        ttl_seconds=24 * 3600,
    )


def auth(role: Role, subject: str | uuid.UUID | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject)}"}


STAFF = auth("staff", "agent-territoire")


def meetings_settings(database_url: str, tmp_path: Path, **overrides: Any) -> MeetingsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "auth_secret": SECRET,
        "documents_dir": tmp_path / "documents",
        "log_json": False,
        **overrides,
    }
    return MeetingsSettings(**values)


async def apply_fact(event: Event, session: AsyncSession, at: datetime | None = None) -> None:
    """A registry fact through the shared read model, with its processed-event row in the same
    transaction and the transaction marked as recording a fact (what the consumer does: the bilan's
    cache sees a new fact by that row on SQLite, by the fact clock on PostgreSQL)."""
    mark_fact(session)
    await RegistryView(tables.registry_view).apply(session, event, at or datetime.now(UTC))
    await session.execute(
        tables.metadata.tables["processed_events"]
        .insert()
        .values(
            consumer="registry-read-model",
            event_id=str(uuid.uuid4()),
            event_type=event.event_type,
            processed_at=datetime.now(UTC),
        )
    )


async def seed_world(service: MeetingsService) -> World:
    """Three councils in two cities, members and referents, through the consumers' handlers."""
    world = World()
    layout = {
        "franc-moisin": ("93066", "Saint-Denis"),
        "floreal": ("93066", "Saint-Denis"),
        "villette": ("93001", "Aubervilliers"),
    }
    async with service.database.sessionmaker() as session, session.begin():
        for name, (city_code, city) in layout.items():
            council_id = uuid.uuid4()
            world.councils[name] = council_id
            await apply_fact(
                CouncilRegistered(
                    council_id=council_id,
                    territory="test",
                    city=city,
                    city_code=city_code,
                    neighbourhood="QPV",
                    name=f"Conseil citoyen {name}",
                ),
                session,
            )
            for index in range(4):
                member_id = uuid.uuid4()
                world.members[f"{name}-{index}"] = member_id
                await apply_fact(
                    MemberJoined(
                        member_id=member_id,
                        council_id=council_id,
                        college="habitants",
                        joined_on=date(2026, 1, 1),
                        themes_followed=["emploi"] if index == 0 else [],
                    ),
                    session,
                )
            await apply_fact(
                ReferentDesignated(
                    council_id=council_id,
                    theme="emploi",
                    member_id=world.members[f"{name}-0"],
                    since=date(2026, 1, 1),
                ),
                session,
            )
    return world


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    service: MeetingsService
    clock: Clock
    world: World

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def member(self, name: str) -> dict[str, str]:
        return auth("councillor", self.world.members[name])

    async def outbox(self) -> list[tuple[str, dict[str, Any]]]:
        """(type, payload) of every event written to the outbox, in order.

        The type drops the "fr.conseils." prefix, "meetings." and the version:
        "instance.scheduled", "alerts.staff_alert.raised".
        """
        table = self.runtime.tables.outbox
        async with self.runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(table).order_by(table.c.seq))).mappings().all()
        result = []
        for row in rows:
            headers = dict(row["headers"])
            kind = (
                headers["ce_type"].removeprefix("fr.conseils.").removeprefix("meetings.").removesuffix(".v1")
            )
            result.append((kind, json.loads(row["payload"])))
        return result


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    app = create_app(meetings_settings(database_url, tmp_path))
    runtime: ServiceRuntime = app.state.runtime
    service: MeetingsService = app.state.service
    clock = Clock(NOW)
    service.clock = clock
    await runtime.database.create_all(runtime.metadata)
    world = await seed_world(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Harness(app, client, service, clock, world)
    await runtime.database.dispose()
