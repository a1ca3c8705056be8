"""The Alembic migrations build exactly the schema of the code (notifications
tables plus the runtime's outbox and processed-event tables), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from conseils_notifications.migrate import alembic_config, upgrade_with
from conseils_notifications.tables import metadata
from conseils_runtime.database import RuntimeTables

pytestmark = pytest.mark.postgres


def differences(connection: Connection) -> list[Any]:
    if "outbox_messages" not in metadata.tables:
        RuntimeTables.define(metadata)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_gives_the_schema_of_the_code_and_downgrade_removes_it(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_with)
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            tables = await connection.run_sync(table_names)
        assert {"contacts", "deliveries", "reminders", "preferences", "outbox_messages"} <= tables
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(connection=sync), "base"))
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) <= {"alembic_version"}
    finally:
        await engine.dispose()
