"""The platform tests run on a secured broker (SASL/SCRAM and ACLs, one principal per service):
`kafka_bootstrap` is that broker's address here, `territory` comes with its topics and ACLs, and
`secured_kafka` gives each principal's credentials (see secured_kafka.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.e2e.secured_kafka import SecuredKafka, granted_territory, secured_kafka_fixture


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    yield from secured_kafka_fixture()


@pytest.fixture(scope="session")
def kafka_bootstrap(secured_kafka: SecuredKafka) -> str:
    return secured_kafka.bootstrap


@pytest.fixture
async def territory(secured_kafka: SecuredKafka) -> AsyncIterator[str]:
    async with granted_territory(secured_kafka) as slug:
        yield slug
