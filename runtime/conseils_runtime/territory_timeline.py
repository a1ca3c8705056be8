"""The services that follow the participation scenarios (meetings, notifications) refuse to start
on a territory file that changes a scenario already in force on a past day.

At each start the service compares the file's participation periods with the ones it recorded at
its last start (table `participation_timeline`, one row, in its own database) by the same rule as
`conseils territory check FILE --previous DEPLOYED` (`territory_periods.past_changes`): a refusal
is `PastScenarioChange`, in French; the service's entry point prints it and exits with status 2.
Accepted, the file's periods become the recorded ones.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, update

from conseils_runtime.database import Database, UtcDateTime
from conseils_runtime.migrations import upgrade_to_head
from conseils_runtime.service import ServiceRuntime
from conseils_runtime.territory import ParticipationPeriod, TerritoryConfig
from conseils_runtime.territory_periods import past_changes

ROW_ID = 1


class PastScenarioChange(RuntimeError):
    """The territory file changes a participation scenario on a past day (French message)."""


def participation_timeline_table(metadata: MetaData) -> Table:
    """The service's record of the participation periods it last started with."""
    return Table(
        "participation_timeline",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("periods", JSON, nullable=False),  # {instance type: [{scenario, since}]}
        Column("recorded_at", UtcDateTime(), nullable=False),
    )


def _as_json(participation: dict[str, list[ParticipationPeriod]]) -> dict[str, Any]:
    return {kind: [p.model_dump(mode="json") for p in periods] for kind, periods in participation.items()}


def _from_json(value: dict[str, Any]) -> dict[str, list[ParticipationPeriod]]:
    return {kind: [ParticipationPeriod.model_validate(p) for p in periods] for kind, periods in value.items()}


def territory_today(territory: TerritoryConfig, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(territory.territory.timezone)).date()


async def check_and_record(
    database: Database, table: Table, territory: TerritoryConfig, today: date, *, service: str
) -> None:
    """Refuse (`PastScenarioChange`) a file whose scenarios before `today` differ from the recorded
    ones; otherwise record the file's periods."""
    current = _as_json(territory.participation)
    async with database.sessionmaker() as session, session.begin():
        row = (await session.execute(select(table).where(table.c.id == ROW_ID))).first()
        if row is not None:
            problems = past_changes(_from_json(row.periods), territory.participation, today)
            if problems:
                raise PastScenarioChange(
                    f"Démarrage refusé ({service}) : le fichier du territoire change un scénario de "
                    "participation déjà en vigueur (comparé à celui du dernier démarrage). "
                    + " ; ".join(problems)
                    + ". Remettez les périodes passées comme elles étaient (voir « conseils territory check "
                    "FICHIER --previous ANCIEN »)."
                )
            if row.periods != current:
                await session.execute(
                    update(table)
                    .where(table.c.id == ROW_ID)
                    .values(periods=current, recorded_at=datetime.now(UTC))
                )
            return
        await session.execute(insert(table).values(id=ROW_ID, periods=current, recorded_at=datetime.now(UTC)))


async def preflight(runtime: ServiceRuntime, table: Table, territory: TerritoryConfig) -> None:
    """Before the broker and the consumers: the schema up to date, then the scenarios checked and
    recorded (the secret's check first, as `ServiceRuntime.start` does)."""
    runtime.settings.require_safe_secret()
    if runtime.settings.create_schema:
        if runtime.migrations is not None:
            await upgrade_to_head(runtime.database, runtime.migrations, runtime.metadata)
        else:
            await runtime.database.create_all(runtime.metadata)
    await check_and_record(
        runtime.database, table, territory, territory_today(territory), service=runtime.settings.service_name
    )


def guarded_lifespan(
    runtime: ServiceRuntime, table: Table, territory: TerritoryConfig
) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The service's lifespan: `preflight`, then `runtime.lifespan`."""

    @asynccontextmanager
    async def lifespan(app: object = None) -> AsyncIterator[None]:
        await preflight(runtime, table, territory)
        async with runtime.lifespan(app):
            yield

    return lifespan


def refuse_or_continue(runtime: ServiceRuntime, table: Table, territory: TerritoryConfig) -> None:
    """For `python -m conseils_<service>`: the check before uvicorn; a refusal is printed in French
    (no traceback) and the process exits with status 2."""

    async def run() -> None:
        try:
            await preflight(runtime, table, territory)
        finally:
            await runtime.database.dispose()  # the server's own loop opens its connections

    try:
        asyncio.run(run())
    except PastScenarioChange as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
