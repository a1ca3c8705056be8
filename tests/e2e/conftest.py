"""The platform tests run on a secured broker (SASL/SCRAM and ACLs, one principal per service):
`kafka_bootstrap` is that broker's address here, `territory` comes with its topics and ACLs, and
`secured_kafka` gives each principal's credentials (see secured_kafka.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import IN_CI
from tests.e2e.secured_kafka import SecuredKafka, secured_kafka_session


@pytest.fixture(scope="session")
def secured_kafka() -> Iterator[SecuredKafka]:
    if os.environ.get("CONSEILS_UNIT") and not IN_CI:
        pytest.skip("`make unit` runs without Kafka (make test runs this test)")
    with secured_kafka_session() as kafka:
        yield kafka


@pytest.fixture(scope="session")
def kafka_bootstrap(secured_kafka: SecuredKafka) -> str:
    return secured_kafka.bootstrap


@pytest.fixture
async def territory(secured_kafka: SecuredKafka) -> AsyncIterator[str]:
    slug = f"t{uuid.uuid4().hex[:12]}"
    secured_kafka.grant(slug)
    try:
        yield slug
    finally:
        await secured_kafka.delete_topics(slug)
