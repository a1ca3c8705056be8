"""Fixtures shared by every test: the real Kafka broker, the databases
(SQLite and PostgreSQL from one parametrised fixture), and per-test
territories so tests never see each other's topics or consumer groups.

In CI (`CI=true`) a missing broker or PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Every test has a territory of its own, hence topics of its own: two partitions
# each (enough for the scale-out tests) keep the broker's partition count sane.
os.environ.setdefault("CONSEILS_TOPIC_PARTITIONS", "2")


def _missing(what: str) -> None:
    message = f"{what} is required for this test and is not available"
    if IN_CI:
        pytest.fail(f"{message} (CI never skips it)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """A real broker: KAFKA_BOOTSTRAP_SERVERS, else one started by the launcher."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        return configured
    if os.environ.get("CONSEILS_UNIT") and not IN_CI:
        pytest.skip("`make unit` runs without Kafka (make test runs this test)")
    if IN_CI:
        pytest.fail("KAFKA_BOOTSTRAP_SERVERS is not set: CI must start Kafka (scripts/test.sh does)")
    from conseils_cli.kafka.launcher import start

    return start().bootstrap


@pytest.fixture
def territory() -> str:
    """A territory slug of its own: unique topics and consumer groups per test."""
    return f"t{uuid.uuid4().hex[:12]}"


async def _create_postgres_database(base_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(base_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_postgres_database(base_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(base_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _fresh_postgres_database() -> AsyncIterator[str]:
    base_url = os.environ.get("CONSEILS_TEST_POSTGRES_URL")
    if not base_url:
        _missing("PostgreSQL (CONSEILS_TEST_POSTGRES_URL)")
        return
    name = f"test_{uuid.uuid4().hex[:16]}"
    await _create_postgres_database(base_url, name)
    head, _, _ = base_url.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        await _drop_postgres_database(base_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test against SQLite (embedded default) and PostgreSQL (production)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        return
    async for url in _fresh_postgres_database():
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for tests that only make sense with a server."""
    async for url in _fresh_postgres_database():
        yield url
