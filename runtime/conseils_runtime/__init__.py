"""Shared runtime of the conseils services.

Owns what every service needs once: settings, structured logs, the database
handle, the transactional outbox and its relay, idempotent consumers with
bounded retry and dead letters, health and metrics endpoints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conseils_runtime.consumer import EventConsumer, EventContext, RetryLater
    from conseils_runtime.database import Database, RuntimeTables
    from conseils_runtime.outbox import Outbox, OutboxRelay
    from conseils_runtime.service import ServiceRuntime
    from conseils_runtime.settings import ServiceSettings
    from conseils_runtime.unit_of_work import UnitOfWork, UnitsOfWork

# Loaded on first use (PEP 562): `import conseils_runtime.errors` from a domain module
# must not pull in FastAPI, SQLAlchemy, FastStream and aiokafka.
_LAZY = {
    "Database": "conseils_runtime.database",
    "EventConsumer": "conseils_runtime.consumer",
    "EventContext": "conseils_runtime.consumer",
    "Outbox": "conseils_runtime.outbox",
    "OutboxRelay": "conseils_runtime.outbox",
    "RetryLater": "conseils_runtime.consumer",
    "RuntimeTables": "conseils_runtime.database",
    "ServiceRuntime": "conseils_runtime.service",
    "ServiceSettings": "conseils_runtime.settings",
    "UnitOfWork": "conseils_runtime.unit_of_work",
    "UnitsOfWork": "conseils_runtime.unit_of_work",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'conseils_runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


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
    "UnitOfWork",
    "UnitsOfWork",
]
