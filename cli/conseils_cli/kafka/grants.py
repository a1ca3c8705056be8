"""Who may do what on a secured broker: the principals and each service's topics.

One principal per service (:data:`SERVICE_GRANTS`: it writes its own topics and its consumers'
dead letters, reads what it consumes), ``ops`` for the operator (and the site), ``integrator`` for
a read-only third party, ``admin`` the broker's only super user. :mod:`.acls` turns these into
Kafka ACL bindings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conseils_cli.kafka.common import KafkaLauncherError
from conseils_schemas import (
    MEETINGS_INSTANCES,
    MEETINGS_OUTCOMES,
    MEETINGS_REGISTRATIONS,
    NOTIFICATIONS_DELIVERIES,
    REGISTRY_COUNCILS,
    REGISTRY_DIRECTORY,
    REGISTRY_MEMBER_CONTACTS,
    REGISTRY_MEMBERS,
    STAFF_ALERTS,
)

ADMIN = "admin"
OPS = "ops"
INTEGRATOR = "integrator"


@dataclass(frozen=True)
class ServiceGrants:
    """What one service's principal may do on its territory's topics."""

    produces: tuple[str, ...]
    consumes: tuple[str, ...] = ()
    extra_dead_letters: tuple[str, ...] = ()
    """Dead-letter topics it writes besides those of what it consumes."""

    def dead_letters(self) -> tuple[str, ...]:
        return (*self.consumes, *self.extra_dead_letters)


SERVICE_GRANTS: Mapping[str, ServiceGrants] = {
    # Erasure writes a tombstone to the contacts topic's dead letters too (registry/privacy.py).
    "registry": ServiceGrants(
        produces=(REGISTRY_COUNCILS, REGISTRY_MEMBERS, REGISTRY_MEMBER_CONTACTS, REGISTRY_DIRECTORY),
        extra_dead_letters=(REGISTRY_MEMBER_CONTACTS,),
    ),
    "meetings": ServiceGrants(
        produces=(MEETINGS_INSTANCES, MEETINGS_REGISTRATIONS, MEETINGS_OUTCOMES, STAFF_ALERTS),
        consumes=(REGISTRY_COUNCILS, REGISTRY_MEMBERS),
    ),
    "notifications": ServiceGrants(
        produces=(NOTIFICATIONS_DELIVERIES, STAFF_ALERTS),
        consumes=(
            REGISTRY_COUNCILS,
            REGISTRY_MEMBERS,
            REGISTRY_MEMBER_CONTACTS,
            MEETINGS_INSTANCES,
            MEETINGS_REGISTRATIONS,
            MEETINGS_OUTCOMES,  # the webhook consumer (public facts only)
            STAFF_ALERTS,
        ),
    ),
}
"""Kept in step with the services' AsyncAPI documents by tests/cli/test_kafka_security.py."""

INTEGRATOR_FORBIDDEN: frozenset[str] = frozenset({REGISTRY_MEMBER_CONTACTS})
"""Base topics no integrator may read (besides every dead-letter topic)."""

PRINCIPALS: tuple[str, ...] = (ADMIN, *SERVICE_GRANTS, OPS, INTEGRATOR)
"""The principals a secured broker is formatted with."""


def validate_principal(name: str) -> str:
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name) or name[0] == "-":
        raise KafkaLauncherError(f"Invalid principal name {name!r}: letters, digits, '-' and '_' only.")
    return name
