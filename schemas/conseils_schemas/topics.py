"""Kafka topic names of the conseils event bus.

This module owns the *base* topic names (without territory prefix), the list of
log-compacted topics, and the helpers that build the physical topic name of a
territory (``plaine-commune.meetings.instances``) and of its dead-letter topic.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ALL_TOPICS",
    "COMPACTED_TOPICS",
    "DLQ_SUFFIX",
    "MEETINGS_INSTANCES",
    "MEETINGS_OUTCOMES",
    "MEETINGS_REGISTRATIONS",
    "MEETINGS_VOICE",
    "NOTIFICATIONS_DELIVERIES",
    "REGISTRY_COUNCILS",
    "REGISTRY_DIRECTORY",
    "REGISTRY_MEMBERS",
    "REGISTRY_MEMBER_CONTACTS",
    "STAFF_ALERTS",
    "dlq_topic",
    "topic_name",
    "validate_territory_slug",
]

REGISTRY_COUNCILS: Final = "registry.councils"
"""Councils and their thematic referents. Key: council id."""
REGISTRY_MEMBERS: Final = "registry.members"
"""Council members, ids and roles only (no contact data). Key: member id."""
REGISTRY_MEMBER_CONTACTS: Final = "registry.member-contacts"
"""Contact cards (name, email, phone). Log-compacted; tombstone on erasure. Key: member id."""
MEETINGS_INSTANCES: Final = "meetings.instances"
"""Instances (meetings), dossiers, minutes, attendance. Key: instance id."""
MEETINGS_REGISTRATIONS: Final = "meetings.registrations"
"""Registrations of councillors to instances. Key: instance id."""
NOTIFICATIONS_DELIVERIES: Final = "notifications.deliveries"
"""Outcome of each notification delivery. Key: member id."""
STAFF_ALERTS: Final = "alerts.staff"
"""Alerts for territory staff (rule broken). Key: id of the subject of the alert."""
MEETINGS_OUTCOMES: Final = "meetings.outcomes"
"""Forum outcomes: councils' proposals, elected officials' commitments, their follow-up. Key: outcome id."""
REGISTRY_DIRECTORY: Final = "registry.directory"
"""Public directory of partners, schemes and places (institutional data only). Key: entry id."""
MEETINGS_VOICE: Final = "meetings.voice"
"""Councils' voice: projects of an instance, councils' opinions, decisions (key: instance id);
councils' participation choices (key: council id)."""

ALL_TOPICS: Final[tuple[str, ...]] = (
    REGISTRY_COUNCILS,
    REGISTRY_MEMBERS,
    REGISTRY_MEMBER_CONTACTS,
    MEETINGS_INSTANCES,
    MEETINGS_REGISTRATIONS,
    NOTIFICATIONS_DELIVERIES,
    STAFF_ALERTS,
    MEETINGS_OUTCOMES,
    REGISTRY_DIRECTORY,
    MEETINGS_VOICE,
)
"""Every base topic, in a stable order (new topics are appended)."""

COMPACTED_TOPICS: Final[frozenset[str]] = frozenset({REGISTRY_MEMBER_CONTACTS})
"""Base topics that must be created with ``cleanup.policy=compact``."""

DLQ_SUFFIX: Final = ".dlq"

# Headers the runtime adds to a dead-lettered record (documented in the event catalogue);
# the operators' tools read them back. Written here once.
DLQ_ORIGIN_TOPIC: Final = "dlq_origin_topic"
DLQ_ORIGIN_PARTITION: Final = "dlq_origin_partition"
DLQ_ORIGIN_OFFSET: Final = "dlq_origin_offset"
DLQ_CONSUMER_GROUP: Final = "dlq_consumer_group"
DLQ_ERROR: Final = "dlq_error"
DLQ_ATTEMPTS: Final = "dlq_attempts"
DLQ_FAILED_AT: Final = "dlq_failed_at"
DLQ_REPLAYED_FROM: Final = "dlq_replayed_from"
# Added only to a dead letter that had to be truncated to fit in a broker record (its value,
# and possibly its key and copied headers, are cut): the original value's size and hash.
DLQ_TRUNCATED: Final = "dlq_truncated"
DLQ_ORIGINAL_SIZE: Final = "dlq_original_size"
DLQ_ORIGINAL_SHA256: Final = "dlq_original_sha256"
DLQ_TRUNCATION_HEADER_NAMES: Final = (DLQ_TRUNCATED, DLQ_ORIGINAL_SIZE, DLQ_ORIGINAL_SHA256)
DLQ_HEADER_NAMES: Final = (
    DLQ_ORIGIN_TOPIC,
    DLQ_ORIGIN_PARTITION,
    DLQ_ORIGIN_OFFSET,
    DLQ_CONSUMER_GROUP,
    DLQ_ERROR,
    DLQ_ATTEMPTS,
    DLQ_FAILED_AT,
    *DLQ_TRUNCATION_HEADER_NAMES,
)

_SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BASE_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")


def validate_territory_slug(prefix: str) -> str:
    """Return ``prefix`` if it is a valid territory slug, else raise ``ValueError``."""
    if not _SLUG_RE.fullmatch(prefix):
        raise ValueError(
            f"invalid territory prefix {prefix!r}: expected a slug matching "
            "^[a-z0-9][a-z0-9-]*$ (lowercase letters, digits and hyphens)"
        )
    return prefix


def topic_name(prefix: str, base: str) -> str:
    """Physical topic name for territory ``prefix``: ``f"{prefix}.{base}"``.

    >>> topic_name("plaine-commune", MEETINGS_INSTANCES)
    'plaine-commune.meetings.instances'
    """
    validate_territory_slug(prefix)
    if not _BASE_RE.fullmatch(base):
        raise ValueError(
            f"invalid base topic {base!r}: expected dot-separated lowercase slugs, e.g. 'meetings.instances'"
        )
    return f"{prefix}.{base}"


def dlq_topic(topic: str) -> str:
    """Dead-letter topic of ``topic`` (``topic + ".dlq"``).

    Raises ``ValueError`` for an empty name or a topic that is already a
    dead-letter topic (dead letters of dead letters are not a thing).
    """
    if not topic:
        raise ValueError("topic name must not be empty")
    if topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{topic!r} is already a dead-letter topic")
    return topic + DLQ_SUFFIX
