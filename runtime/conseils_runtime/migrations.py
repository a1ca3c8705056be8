"""Alembic migrations, the same way in every service.

Each service keeps its revisions in `conseils_<service>/migrations/versions/`
and an `env.py` of two lines that calls `run_env()`. The runtime upgrades
the database to head at start (`ServiceSettings.create_schema`), and
`python scripts/migrations.py <service> "message"` writes a new revision by
comparing the models with a database migrated to head.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Connection

from conseils_runtime.database import Database


def _config(script_location: Path, connection: Connection | None, metadata: MetaData) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


def run_env() -> None:
    """Body of every service's `migrations/env.py`."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    metadata = context.config.attributes.get("metadata")
    if connection is None:
        raise RuntimeError("migrations run through conseils_runtime.migrations, with a connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic keeps its environment in module state: two services of one process
# (`conseils up`, tests) must not migrate at the same moment.
_ALEMBIC = asyncio.Lock()


async def upgrade_to_head(database: Database, script_location: Path, metadata: MetaData) -> None:
    def upgrade(connection: Connection) -> None:
        command.upgrade(_config(script_location, connection, metadata), "head")

    async with _ALEMBIC, database.engine.begin() as connection:
        await connection.run_sync(upgrade)


async def downgrade(
    database: Database, script_location: Path, metadata: MetaData, revision: str = "base"
) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(_config(script_location, connection, metadata), revision)

    async with _ALEMBIC, database.engine.begin() as connection:
        await connection.run_sync(run)


async def pending_differences(database: Database, metadata: MetaData) -> list[Any]:
    """What the models have that the migrated database lacks (empty when in sync)."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, metadata)
        return differences

    async with database.engine.connect() as connection:
        return await connection.run_sync(compare)


def new_revision(script_location: Path, metadata: MetaData, message: str) -> None:
    """Autogenerate a revision against a scratch SQLite database migrated to head."""
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        config = _config(script_location, connection, metadata)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
