"""Event flows of one territory, read from Kafka: counts, rates, lag, traces and dead letters.

This package owns the Kafka side of ``conseils ops`` and knows nothing of the
terminal: every function takes a bootstrap address and a territory slug and
returns plain dataclasses (with ``to_json()``), so an operator web page can
reuse it as is. Long scans report progress through an optional
``(done, total)`` callback.

Only reads, except :func:`replay_dead_letters`, which publishes to the origin
topic and commits what it replayed in the consumer group
``<territory>.ops.dlq-replay``.

The parts: :mod:`.names` (topics, groups, headers), :mod:`.clients` (Kafka clients and
the bounded scan), :mod:`.status` (counts, rates, lag), :mod:`.tracing` (one id across
the topics) and :mod:`.dead_letters` (list, show, replay).
"""

from conseils_runtime.flows.clients import OpsError, Progress
from conseils_runtime.flows.dead_letters import (
    DeadLetter,
    DeadLetterTopic,
    ReplayPlan,
    ReplayResult,
    list_dead_letters,
    plan_replay,
    replay_dead_letters,
    replay_headers,
    show_dead_letter,
)
from conseils_runtime.flows.names import (
    DLQ_HEADER_PREFIX,
    ORIGIN_TOPIC_HEADER,
    REPLAYED_FROM_HEADER,
    decode_headers,
    replay_group,
    resolve_dlq_topic,
    territory_topics,
)
from conseils_runtime.flows.status import GroupLag, StatusReport, TopicStats, collect_status, partition_lag
from conseils_runtime.flows.tracing import TraceEntry, select_chain, trace

__all__ = [
    "DLQ_HEADER_PREFIX",
    "ORIGIN_TOPIC_HEADER",
    "REPLAYED_FROM_HEADER",
    "DeadLetter",
    "DeadLetterTopic",
    "GroupLag",
    "OpsError",
    "Progress",
    "ReplayPlan",
    "ReplayResult",
    "StatusReport",
    "TopicStats",
    "TraceEntry",
    "collect_status",
    "decode_headers",
    "list_dead_letters",
    "partition_lag",
    "plan_replay",
    "replay_dead_letters",
    "replay_group",
    "replay_headers",
    "resolve_dlq_topic",
    "select_chain",
    "show_dead_letter",
    "territory_topics",
    "trace",
]
