"""The operator views ask the metadata of a territory's topics at once (issue 18 item 7,
`/exploitation` under 1 s): asked cold, aiokafka learned the unknown topics one at a time, a
metadata round trip and a 100 ms backoff each, which was most of the page's 3.5 s."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient

from conseils_runtime import flows
from conseils_runtime.topics import ensure_topics
from conseils_schemas import ALL_TOPICS

pytestmark = pytest.mark.kafka


@pytest.fixture
def metadata_updates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = AIOKafkaClient.force_metadata_update

    def counted(self: AIOKafkaClient) -> Any:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(AIOKafkaClient, "force_metadata_update", counted)
    return calls


async def test_status_and_dead_letters_ask_the_metadata_once(metadata_updates: list[int]) -> None:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    territory = f"m{uuid.uuid4().hex[:10]}"
    await ensure_topics(bootstrap, territory, partitions=2)
    metadata_updates.clear()
    status = await flows.collect_status(bootstrap, territory, window=0)
    assert sum(t.exists for t in status.topics) == 2 * len(ALL_TOPICS)  # every topic and its dead letters
    # one consumer: one metadata update for all its topics (a few more when the brand-new topics'
    # leaders are still being elected: 4 seen in CI), never one per topic (40 before the fix)
    assert len(metadata_updates) <= 6 < len(ALL_TOPICS), len(metadata_updates)
    metadata_updates.clear()
    await flows.list_dead_letters(bootstrap, territory, last=3)
    assert len(metadata_updates) <= 6, len(metadata_updates)
