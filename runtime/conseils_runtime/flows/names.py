"""Names of a territory's topics and groups, and Kafka headers read as text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from conseils_schemas import ALL_TOPICS, dlq_topic, topic_name
from conseils_schemas.topics import DLQ_ORIGIN_TOPIC, DLQ_REPLAYED_FROM, DLQ_SUFFIX, validate_territory_slug

DLQ_HEADER_PREFIX = "dlq_"
ORIGIN_TOPIC_HEADER = DLQ_ORIGIN_TOPIC
REPLAYED_FROM_HEADER = DLQ_REPLAYED_FROM


def territory_topics(territory: str, *, dead_letters: bool = True) -> list[str]:
    """Physical topics of ``territory``: each catalogue topic, followed by its dead-letter topic."""
    validate_territory_slug(territory)
    names: list[str] = []
    for base in ALL_TOPICS:
        name = topic_name(territory, base)
        names.append(name)
        if dead_letters:
            names.append(dlq_topic(name))
    return names


def resolve_dlq_topic(territory: str, name: str) -> str:
    """The dead-letter topic an operator means by ``name``.

    Accepts the physical DLQ topic, its origin topic, or either without the
    territory prefix: ``meetings.instances`` → ``<territory>.meetings.instances.dlq``.
    """
    name = name.strip()
    if name.removesuffix(DLQ_SUFFIX) in ALL_TOPICS:
        name = topic_name(territory, name)
    return name if name.endswith(DLQ_SUFFIX) else dlq_topic(name)


def replay_group(territory: str) -> str:
    """Consumer group that records which dead letters were replayed."""
    return f"{territory}.ops.dlq-replay"


def decode_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Kafka headers as text (the last value wins for a repeated name)."""
    return {
        name: (bytes(value).decode("utf-8", "replace") if value is not None else "")
        for name, value in headers or ()
    }


def as_text(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).decode("utf-8", "replace")


def iso_ms(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
