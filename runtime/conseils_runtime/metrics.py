"""Prometheus metrics of the runtime, shared by every service.

Every series carries the consumer (group) or topic it describes; the
service itself is the scrape target, so it is not a label.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "conseils_events_consumed_total",
    "Events handled by a consumer, by outcome (processed, duplicate, ignored, dead_lettered).",
    ["consumer", "event_type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "conseils_event_handler_seconds",
    "Time spent handling one event, database commit included.",
    ["consumer"],
)
HANDLER_RETRIES = Counter(
    "conseils_event_handler_retries_total",
    "Failed handler attempts that were retried.",
    ["consumer"],
)
DEAD_LETTERS = Counter(
    "conseils_dead_letters_total",
    "Messages sent to a dead-letter topic.",
    ["consumer", "topic", "reason"],
)
INFRASTRUCTURE_ERRORS = Counter(
    "conseils_infrastructure_errors_total",
    "Handler runs that hit an unavailable database or broker; the message is redelivered.",
    ["consumer"],
)
OUTBOX_RELAYED = Counter("conseils_outbox_relayed_total", "Outbox rows published to Kafka.")
OUTBOX_RELAY_FAILURES = Counter(
    "conseils_outbox_relay_failures_total", "Relay batches that failed and will be retried."
)
OUTBOX_PENDING = Gauge("conseils_outbox_pending", "Outbox rows not yet published (sampled on scrape).")
