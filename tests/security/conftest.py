"""The security tests that run the three services (authorization matrix, hostile uploads) run them
on the secured broker of tests/e2e (one principal per service, under its ACLs): `secured_kafka` and
`secured_territory`. The other tests here keep the suite's plaintext `kafka_bootstrap`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.e2e.secured_kafka import SecuredKafka, granted_territory, secured_kafka_fixture


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    yield from secured_kafka_fixture()


@pytest.fixture
async def secured_territory(secured_kafka: SecuredKafka) -> AsyncIterator[str]:
    async with granted_territory(secured_kafka) as slug:
        yield slug
