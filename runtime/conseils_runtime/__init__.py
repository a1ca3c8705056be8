"""Shared runtime of the conseils services.

Owns what every service needs once: settings, structured logs, the database
handle, the transactional outbox and its relay, idempotent consumers with
bounded retry and dead letters, health and metrics endpoints.
"""

from conseils_runtime.consumer import EventConsumer, EventContext, RetryLater
from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.outbox import Outbox, OutboxRelay
from conseils_runtime.service import ServiceRuntime
from conseils_runtime.settings import ServiceSettings

__all__ = [
    "Database",
    "EventConsumer",
    "EventContext",
    "Outbox",
    "OutboxRelay",
    "RetryLater",
    "RuntimeTables",
    "ServiceRuntime",
    "ServiceSettings",
]
