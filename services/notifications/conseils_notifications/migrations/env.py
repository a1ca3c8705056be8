"""Alembic environment of the notifications service: its tables plus the runtime's outbox and
processed-event tables, on SQLite or PostgreSQL (async drivers)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from conseils_notifications.tables import metadata
from conseils_runtime.database import RuntimeTables

if "outbox_messages" not in metadata.tables:  # the service may have defined them already
    RuntimeTables.define(metadata)
config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:  # called from code that already holds a connection (tests, the service)
    run_with(connection)
else:
    asyncio.run(run_async(config.get_main_option("sqlalchemy.url") or ""))
