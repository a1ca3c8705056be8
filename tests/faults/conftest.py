"""The fault tests run on a secured broker (SASL/SCRAM and ACLs, one principal per service), as
tests/e2e do: `kafka_bootstrap` is that broker's address here, `territory` comes with its topics and
ACLs, and each client of a test connects as the principal that owns what it does (the registry
writes registry topics, the notifications service reads as `notifications`, the test's own reads
as `ops`), so a grant missing from conseils_cli.kafka.grants fails here. The broker-kill test runs a
private secured broker of its own (test_broker_killed_mid_flow.py)."""

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
