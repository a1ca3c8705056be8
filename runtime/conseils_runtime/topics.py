"""Creates the territory's topics (and their dead-letter topics) on start.

Relying on broker auto-creation would give the compacted contacts topic the
default `delete` policy and let a consumer join before its topic exists.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from conseils_schemas import ALL_TOPICS, COMPACTED_TOPICS, dlq_topic, topic_name

_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(bootstrap_servers: str, territory: str, *, partitions: int = 3) -> list[str]:
    """Create every catalogue topic of `territory` that does not exist yet; returns the created ones."""
    wanted: dict[str, dict[str, str]] = {}
    for base in ALL_TOPICS:
        name = topic_name(territory, base)
        compacted = base in COMPACTED_TOPICS
        wanted[name] = {"cleanup.policy": "compact"} if compacted else {}
        # The dead letters of a compacted topic hold the same personal data (contact cards):
        # compacted too, so an erasure tombstone removes them as well.
        wanted[dlq_topic(name)] = dict(wanted[name])
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="conseils-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=wanted[name])
                for name in missing
            ]
        )
        created: list[str] = []
        for name, code, *message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != _TOPIC_ALREADY_EXISTS:
                raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
        return created
    finally:
        await admin.close()
