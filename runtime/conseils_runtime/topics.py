"""Creates the territory's topics (and their dead-letter topics) on start, with
the platform's retention and compaction, and corrects existing topics.

Relying on broker auto-creation would give the compacted contacts topic the
default `delete` policy and let a consumer join before its topic exists; relying
on the broker's default retention (7 days) would make the June replay of the
year impossible. So every topic gets explicit configs, all chosen in
:func:`topic_configs`, and a topic found with other values is altered at start
(and logged), or refused when altering it would be unsafe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from conseils_runtime.kafka_security import KafkaClientSettings, KafkaSecurity, aiokafka_kwargs
from conseils_runtime.logs import get_logger
from conseils_runtime.settings import RetentionSettings
from conseils_schemas import ALL_TOPICS, COMPACTED_TOPICS, dlq_topic, topic_name

log = get_logger(__name__)

_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself

_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS

FACT_DLQ_RETENTION_DAYS = 30
"""Dead letters of fact topics: a month to look at them and replay them (`conseils ops dlq`)."""

# ----------------------------------------------------------------------------------------------
# The ONE place where the platform decides retention and compaction. docs/operations.md
# ("Retention and compaction") explains the same table for operators; keep both in step.
#
# Contacts topic (personal data, compacted). An erased card must leave the log within hours:
#  * segment.ms = 1 h: the cleaner never touches the active segment, so the segment holding the
#    tombstone must be closed; it is rolled at the first write that comes an hour after it opened.
#  * min.compaction.lag.ms = 0: a record may be compacted as soon as its segment is closed.
#  * max.compaction.lag.ms = 1 h: a log with a record dirty for an hour MUST be cleaned, whatever
#    its dirty ratio: compaction is guaranteed, not left to the ratio below.
#  * min.cleanable.dirty.ratio = 0.01: otherwise clean as soon as 1 % of the log is dirty
#    (the topic is small: one card per member, cleaning it is cheap).
#  => the card is gone about 1 to 2 hours after its tombstone (segment roll + at most one hour).
#  * delete.retention.ms = 1 day: the tombstone itself (a member id and no value: no personal
#    data) stays readable a day after that cleaning, so a consumer down for less than a day still
#    sees the erasure on this topic; one down longer still gets `MemberErased` on registry.members,
#    which is kept forever.
_COMPACTED: dict[str, str] = {
    "cleanup.policy": "compact",
    "segment.ms": str(_HOUR_MS),
    "min.compaction.lag.ms": "0",
    "max.compaction.lag.ms": str(_HOUR_MS),
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": str(_DAY_MS),
}


class TopicConfigError(RuntimeError):
    """An existing topic whose configs cannot (or must not) be brought to the platform's."""


def topic_configs(
    base_topic: str, settings: RetentionSettings | None = None, *, dead_letters: bool = False
) -> dict[str, str]:
    """The configs every topic `base_topic` of a territory (or its dead letters) must have."""
    if base_topic in COMPACTED_TOPICS:
        # Its dead letters hold the same contact cards: compacted the same way, so an erasure
        # tombstone (which the consumer dead-letters too when it fails) removes them as well.
        return dict(_COMPACTED)
    if dead_letters:
        return {
            "cleanup.policy": "delete",
            "retention.ms": str(FACT_DLQ_RETENTION_DAYS * _DAY_MS),
            "retention.bytes": "-1",
        }
    days = settings.fact_retention_days if settings is not None else None
    return {
        # Facts are the history: a consumer group (or a replay) reading from `earliest`
        # rebuilds its read model from them, so they are kept forever unless the territory
        # chose a finite period (never below MIN_FACT_RETENTION_DAYS, see settings.py).
        "cleanup.policy": "delete",
        "retention.ms": "-1" if days is None else str(days * _DAY_MS),
        "retention.bytes": "-1",  # never drop history because a partition grew
    }


def wanted_topics(
    territory: str,
    settings: RetentionSettings | None = None,
    config_overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, dict[str, str]]:
    """Every physical topic of `territory` with the configs it must have."""
    wanted: dict[str, dict[str, str]] = {}
    for base in ALL_TOPICS:
        extra = dict((config_overrides or {}).get(base, {}))
        name = topic_name(territory, base)
        wanted[name] = topic_configs(base, settings) | extra
        wanted[dlq_topic(name)] = topic_configs(base, settings, dead_letters=True) | extra
    return wanted


async def ensure_topics(
    bootstrap_servers: str,
    territory: str,
    *,
    partitions: int = 3,
    settings: RetentionSettings | None = None,
    config_overrides: Mapping[str, Mapping[str, str]] | None = None,
    security: KafkaSecurity | None = None,
) -> list[str]:
    """Create every catalogue topic of `territory` that does not exist yet, correct the configs of
    those that do; returns the created ones.

    `settings` defaults to the environment's (`CONSEILS_FACT_RETENTION_DAYS`). `config_overrides`
    (base topic -> configs merged over the platform's) is for tests only, e.g. a segment.ms of a
    second to watch the compaction of the contacts topic happen. `security`: SASL settings (default:
    the environment's, see `conseils_runtime.kafka_security`).
    """
    if settings is None:
        settings = RetentionSettings()
    if security is None and isinstance(settings, KafkaClientSettings):
        security = settings.kafka_security()
    wanted = wanted_topics(territory, settings, config_overrides)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="conseils-topics", **aiokafka_kwargs(security)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        present = {name: configs for name, configs in wanted.items() if name in existing}
        if present:
            await _correct_configs(admin, present)
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
        raced: dict[str, dict[str, str]] = {}
        for name, code, *message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code == _TOPIC_ALREADY_EXISTS:  # another replica created it meanwhile
                raced[name] = wanted[name]
            else:
                raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
        if raced:
            await _correct_configs(admin, raced)
        await _wait_for_leaders(admin, created)
        return created
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], timeout: float = 15.0) -> None:
    """Return once every partition of the new topics has a leader (bounded).

    Right after creation the controller still elects leaders; consumers that join
    then log NotLeaderForPartition and GroupCoordinatorNotAvailable errors, harmless
    but alarming on a first `make up`.
    """
    if not topics:
        return
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(topics)
        if all(
            topic["error_code"] == 0
            and topic["partitions"]
            and all(p["leader"] >= 0 for p in topic["partitions"])
            for topic in described
        ):
            return
        await asyncio.sleep(0.1)
    log.warning("topic leaders not elected yet", topics=len(topics), waited_seconds=timeout)


async def describe_topic_configs(
    admin: AIOKafkaAdminClient, topics: list[str], *, wait_seconds: float = 10.0
) -> dict[str, dict[str, Any]]:
    """topic -> {config name: (value, is set on the topic itself)} as the broker reports them.

    A topic created a moment ago (by another replica) may be unknown to the broker for a few
    hundred milliseconds: asked again for up to `wait_seconds`.
    """
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        )
        found: dict[str, dict[str, Any]] = {}
        unknown = False
        for response in responses:
            for code, message, _type, name, entries in response.resources:
                if code == _UNKNOWN_TOPIC and asyncio.get_running_loop().time() < deadline:
                    unknown = True
                elif code != 0:
                    raise TopicConfigError(f"cannot read the configs of topic {name}: error {code} {message}")
                found[name] = {
                    entry[0]: (
                        entry[1],
                        # v0 says is_default, later versions the config source
                        (not entry[3]) if response.API_VERSION == 0 else entry[3] == _DYNAMIC_TOPIC_CONFIG,
                    )
                    for entry in entries
                }
        if not unknown:
            return found
        await asyncio.sleep(0.2)


def _same(current: str | None, wanted: str) -> bool:
    if current == wanted:
        return True
    try:
        return current is not None and float(current) == float(wanted)
    except ValueError:
        return False


def _policies(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


async def _correct_configs(admin: AIOKafkaAdminClient, wanted: Mapping[str, Mapping[str, str]]) -> None:
    current = await describe_topic_configs(admin, list(wanted))
    alterations: list[ConfigResource] = []
    changes: dict[str, dict[str, tuple[str | None, str]]] = {}
    for name, configs in wanted.items():
        have = current.get(name, {})
        diff = {
            key: (have.get(key, (None, False))[0], value)
            for key, value in configs.items()
            if not _same(have.get(key, (None, False))[0], value)
        }
        if not diff:
            continue
        old_policy, new_policy = diff.get("cleanup.policy", (None, ""))
        if "compact" in _policies(old_policy) and "compact" not in _policies(new_policy):
            raise TopicConfigError(
                f"le topic {name} est compacté (cleanup.policy={old_policy}) : le passer en "
                f"{new_policy!r} garderait des données personnelles effacées ; un opérateur doit "
                f"décider / topic {name} is compacted: switching it to {new_policy!r} would keep "
                "erased personal data; an operator must decide (see docs/operations.md)"
            )
        # AlterConfigs replaces the topic's whole set of overrides: keep the ones we do not manage.
        kept = {key: value for key, (value, dynamic) in have.items() if dynamic and value is not None}
        alterations.append(ConfigResource(ConfigResourceType.TOPIC, name, kept | dict(configs)))
        changes[name] = diff
    if not alterations:
        return
    for response in await admin.alter_configs(alterations):
        for code, message, _type, name in response.resources:
            if code != 0:
                raise TopicConfigError(
                    f"le broker refuse de corriger le topic {name} / the broker refuses to correct "
                    f"topic {name} to {changes.get(name)}: error {code} {message}"
                )
    for name, diff in changes.items():
        log.warning(
            "topic configs corrected",
            topic=name,
            changes={key: f"{old} -> {new}" for key, (old, new) in diff.items()},
        )
