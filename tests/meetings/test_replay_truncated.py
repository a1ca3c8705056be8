"""A replay from a topic whose beginning was deleted (retention) refuses to give a bilan."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.records_to_delete import RecordsToDelete

from conseils_meetings.replay import TruncatedLog, read_log
from conseils_runtime.topics import ensure_topics
from conseils_schemas import CouncilRegistered, MemberJoined, topic_name

from .test_flow_kafka import publish_as_registry

pytestmark = pytest.mark.kafka


async def test_a_log_whose_beginning_was_deleted_is_refused(kafka_bootstrap: str, territory: str) -> None:
    await ensure_topics(kafka_bootstrap, territory, partitions=1)
    council_id = uuid.uuid4()
    await publish_as_registry(
        kafka_bootstrap,
        territory,
        [
            CouncilRegistered(
                council_id=council_id,
                territory=territory,
                city="Stains",
                city_code="93072",
                neighbourhood="Clos",
                name="Conseil citoyen du Clos",
            ),
            *(
                MemberJoined(
                    member_id=uuid.uuid4(),
                    council_id=council_id,
                    college="habitants",
                    joined_on=date(2027, 1, 1),
                )
                for _ in range(3)
            ),
        ],
    )
    assert len(await read_log(kafka_bootstrap, territory)) == 4  # whole: replayable

    # Retention deleted the first record of the members topic (what a 7-day default does).
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        members = TopicPartition(topic_name(territory, "registry.members"), 0)
        await admin.delete_records({members: RecordsToDelete(before_offset=1)})
    finally:
        await admin.close()
    with pytest.raises(TruncatedLog, match=r"registry\.members\[0\] starts at 1"):
        await read_log(kafka_bootstrap, territory)
