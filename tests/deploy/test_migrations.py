"""Each service's Alembic migrations build exactly the schema of its code
(its tables plus the runtime's outbox and processed-event tables), on SQLite
and PostgreSQL, and downgrade cleanly."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import inspect

from conseils_runtime.database import Database
from conseils_runtime.migrations import downgrade, pending_differences, upgrade_to_head

pytestmark = pytest.mark.postgres

SERVICES = ["registry", "meetings", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_give_the_schema_of_the_code(service: str, database_url: str) -> None:
    app_module = importlib.import_module(f"conseils_{service}.app")
    runtime = app_module.create_app().state.runtime  # defines the runtime tables on the metadata
    if runtime.migrations is None:
        pytest.fail(f"the {service} service has no migrations")
    database = Database(database_url)
    try:
        await upgrade_to_head(database, runtime.migrations, runtime.metadata)
        assert await pending_differences(database, runtime.metadata) == []
        await downgrade(database, runtime.migrations, runtime.metadata)
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert tables == {"alembic_version"}
    finally:
        await database.dispose()
