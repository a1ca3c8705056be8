"""Watch a consumer group from outside, like an operator would."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def wait_until_committed(
    producer: AIOKafkaProducer, bootstrap: str, topic: str, group: str, timeout: float = 45
) -> None:
    """Return once ``group`` has committed past every record of ``topic`` published so far.

    With ``AckPolicy.ACK`` a committed offset means the records before it were processed.
    """
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await probe.start()
    await admin.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))]
        ends = await probe.end_offsets(partitions)
        committed: dict[TopicPartition, Any] = {}
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            committed = await admin.list_consumer_group_offsets(group)
            if all(
                ends[tp] == 0 or (tp in committed and committed[tp].offset >= ends[tp]) for tp in partitions
            ):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"group {group} did not commit up to {ends}: {committed}")
    finally:
        await admin.close()
        await probe.stop()
