"""Fixtures of the registry tests: the service on a database (no broker), and
the whole app (real broker, lifespan) with an HTTP client and tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from conseils_registry.app import create_app
from conseils_registry.records import MemberRecord
from conseils_registry.seed import seed_territory
from conseils_registry.service import RegistryService
from conseils_registry.settings import RegistrySettings
from conseils_registry.tables import metadata
from conseils_runtime import ServiceRuntime
from conseils_runtime.auth import Role, issue_token
from conseils_runtime.territory import TerritoryConfig, default_territory_path, load_territory

SECRET = "test-secret-registry"  # noqa: S105 - signs test tokens only


@pytest.fixture(scope="session")
def demo_territory() -> TerritoryConfig:
    """The demo territory without its directory: these tests count the seed's events and the
    directory's own; test_community.py seeds the whole file, directory included."""
    return load_territory(default_territory_path()).model_copy(update={"directory": []})


@dataclass
class Registry:
    runtime: ServiceRuntime
    service: RegistryService

    async def member_named(self, council_id: uuid.UUID, display_name: str) -> MemberRecord:
        async with self.service.units.reading() as repo:
            members = await repo.members(council_id=council_id)
        return next(member for member in members if member.display_name == display_name)

    async def outbox(self) -> list[dict[str, Any]]:
        """Outbox rows in order, with the CloudEvents type and the decoded payload (None = tombstone)."""
        table = self.runtime.tables.outbox
        async with self.runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(table).order_by(table.c.seq))).mappings().all()
        return [
            {
                "topic": row["topic"],
                "key": row["key"],
                "type": dict(row["headers"]).get("ce_type"),
                "payload": json.loads(row["payload"]) if row["payload"] is not None else None,
            }
            for row in rows
        ]


@pytest.fixture
async def registry(
    database_url: str, territory: str, demo_territory: TerritoryConfig
) -> AsyncIterator[Registry]:
    """The registry seeded with the demo territory, on SQLite or PostgreSQL, without a broker."""
    settings = RegistrySettings(database_url=database_url, territory=territory, log_json=False)
    runtime = ServiceRuntime(settings, metadata)
    await runtime.database.create_all(metadata)
    await seed_territory(runtime, demo_territory)
    try:
        yield Registry(runtime, RegistryService(runtime.database, runtime.outbox, territory=territory))
    finally:
        await runtime.database.dispose()


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient

    def as_(
        self, role: Role, subject: str | None = None, council_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        token = issue_token(
            SECRET,
            subject=subject or str(uuid.uuid4()),
            role=role,
            council_id=council_id,
            audience="registry",
        )
        return {"Authorization": f"Bearer {token}"}

    @property
    def staff(self) -> dict[str, str]:
        return self.as_("staff")

    @property
    def service(self) -> RegistryService:
        service: RegistryService = self.app.state.registry
        return service


@pytest.fixture
async def api(
    kafka_bootstrap: str, database_url: str, territory: str, demo_territory: TerritoryConfig
) -> AsyncIterator[Api]:
    """The registry app started like in production (real broker), seeded with the demo territory."""
    settings = RegistrySettings(
        database_url=database_url,
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        auth_secret=SECRET,
        log_json=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await seed_territory(app.state.runtime, demo_territory)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(app, client)
