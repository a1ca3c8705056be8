"""The ACLs of a territory on a secured broker, and their creation through the Admin API.

``StandardAuthorizer`` denies by default; :func:`territory_acls` lists every binding of one
territory (its services from :data:`~.grants.SERVICE_GRANTS`, the operator, its integrators) and
:func:`grant_territory` creates the territory's topics then these bindings (CreateAcls), as ``admin``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from conseils_cli.kafka.common import KafkaLauncherError
from conseils_cli.kafka.credentials import client_security, read_credentials
from conseils_cli.kafka.grants import (
    ADMIN,
    INTEGRATOR,
    INTEGRATOR_FORBIDDEN,
    OPS,
    SERVICE_GRANTS,
    ServiceGrants,
    validate_principal,
)
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import ALL_TOPICS, REGISTRY_MEMBERS, dlq_topic, topic_name
from conseils_schemas.topics import validate_territory_slug

# Kafka's wire codes (org.apache.kafka.common.resource / acl).
TOPIC, GROUP, CLUSTER = 2, 3, 4
LITERAL, PREFIXED = 3, 4
READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS, IDEMPOTENT_WRITE = 3, 4, 8, 10, 12
DENY, ALLOW = 2, 3
CLUSTER_NAME = "kafka-cluster"


@dataclass(frozen=True, order=True)
class Acl:
    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    operation: int
    permission: int = ALLOW
    host: str = "*"

    def wire(self) -> tuple[int, str, int, str, str, int, int]:
        return (
            self.resource_type,
            self.resource_name,
            self.pattern_type,
            self.principal,
            self.host,
            self.operation,
            self.permission,
        )


def service_acls(territory: str, service: str, grants: ServiceGrants) -> list[Acl]:
    user = f"User:{service}"
    acls = [Acl(TOPIC, topic_name(territory, base), LITERAL, user, WRITE) for base in grants.produces]
    acls += [Acl(TOPIC, topic_name(territory, base), LITERAL, user, READ) for base in grants.consumes]
    acls += [
        Acl(TOPIC, dlq_topic(topic_name(territory, base)), LITERAL, user, WRITE)
        for base in grants.dead_letters()
    ]
    # Creating and checking the territory's topics at start (ensure_topics) reads their metadata
    # and configs: existence and settings, never a record. Creating or altering them is the
    # operator's (grant_territory), not a service's.
    acls += [
        Acl(TOPIC, f"{territory}.", PREFIXED, user, DESCRIBE),
        Acl(TOPIC, f"{territory}.", PREFIXED, user, DESCRIBE_CONFIGS),
        Acl(GROUP, f"{territory}.{service}.", PREFIXED, user, READ),
        # The producers are idempotent (acks=all, no duplicate on retry): InitProducerId asks it.
        Acl(CLUSTER, CLUSTER_NAME, LITERAL, user, IDEMPOTENT_WRITE),
    ]
    return acls


def ops_acls(territory: str, principal: str = OPS) -> list[Acl]:
    """The operator: reads every topic (dead letters included), republishes dead letters to their
    origin topic (replay), sees every group's offsets; commits only in its own groups."""
    user = f"User:{principal}"
    prefix = f"{territory}."
    return [
        Acl(TOPIC, prefix, PREFIXED, user, READ),
        Acl(TOPIC, prefix, PREFIXED, user, WRITE),
        Acl(TOPIC, prefix, PREFIXED, user, DESCRIBE),
        Acl(TOPIC, prefix, PREFIXED, user, DESCRIBE_CONFIGS),
        Acl(GROUP, prefix, PREFIXED, user, DESCRIBE),
        Acl(GROUP, f"{territory}.{principal}.", PREFIXED, user, READ),
        Acl(CLUSTER, CLUSTER_NAME, LITERAL, user, DESCRIBE),
        Acl(CLUSTER, CLUSTER_NAME, LITERAL, user, IDEMPOTENT_WRITE),
    ]


def integrator_acls(territory: str, principal: str = INTEGRATOR) -> list[Acl]:
    """A read-only third party: every fact topic but the contacts one, no dead letter, its own groups
    ``<territory>.<principal>.*``. Deny by default covers the rest; the explicit denies keep it so
    even if a broader allow were added later."""
    user = f"User:{principal}"
    readable = [base for base in ALL_TOPICS if base not in INTEGRATOR_FORBIDDEN]
    acls = [Acl(TOPIC, topic_name(territory, base), LITERAL, user, READ) for base in readable]
    acls += [
        Acl(TOPIC, topic_name(territory, base), LITERAL, user, READ, DENY) for base in INTEGRATOR_FORBIDDEN
    ]
    acls += [
        Acl(TOPIC, dlq_topic(topic_name(territory, base)), LITERAL, user, READ, DENY) for base in ALL_TOPICS
    ]
    acls.append(Acl(GROUP, f"{territory}.{principal}.", PREFIXED, user, READ))
    return acls


def territory_acls(territory: str, integrators: Iterable[str] = (INTEGRATOR,)) -> list[Acl]:
    """Every ACL of one territory: its services, the operator and its integrators."""
    validate_territory_slug(territory)
    acls: list[Acl] = []
    for service, grants in SERVICE_GRANTS.items():
        acls += service_acls(territory, service, grants)
    acls += ops_acls(territory)
    for integrator in integrators:
        acls += integrator_acls(territory, validate_principal(integrator))
    return acls


def _create_acls_request() -> Any:
    from aiokafka.protocol.admin import CreateAclsRequest_v1
    from aiokafka.protocol.api import Request

    class CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
        """CreateAcls v1 (pattern types) with many bindings in one request."""

        API_KEY: ClassVar[int] = 30

        def __init__(self, creations: list[tuple[int, str, int, str, str, int, int]]) -> None:
            self.creations = creations

        def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
            return request_struct_class(self.creations)

    return CreateAcls


async def create_acls(bootstrap: str, security: KafkaSecurity, acls: Iterable[Acl]) -> None:
    """Create the bindings through the Admin API (creating an existing one is a no-op)."""
    from aiokafka.admin import AIOKafkaAdminClient

    bindings = sorted(set(acls))
    if not bindings:
        return
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="conseils-acls",
        request_timeout_ms=15000,
        **security.aiokafka_kwargs(),
    )
    await admin.start()
    try:
        request = _create_acls_request()([acl.wire() for acl in bindings])
        response = await admin._send_request(request)
        errors = [
            (acl, code, message)
            for acl, (code, message) in zip(bindings, response.creation_responses, strict=True)
            if code != 0
        ]
        if errors:
            acl, code, message = errors[0]
            raise KafkaLauncherError(
                f"CreateAcls refused {len(errors)} binding(s), e.g. {acl}: error {code} {message}"
            )
    finally:
        await admin.close()


async def grant_territory(
    bootstrap: str,
    state_dir: Path,
    territory: str,
    *,
    integrators: Iterable[str] | None = None,
    partitions: int = 3,
) -> None:
    """Create the territory's topics (as ``admin``) and every ACL of its principals."""

    known = read_credentials(state_dir)
    if integrators is None:
        integrators = sorted(name for name in known if name not in {ADMIN, OPS, *SERVICE_GRANTS})
    await provision_territory(
        bootstrap,
        client_security(state_dir, ADMIN),
        territory,
        integrators=integrators,
        partitions=partitions,
        wait_as=client_security(state_dir, OPS),
    )


async def provision_territory(
    bootstrap: str,
    admin: KafkaSecurity,
    territory: str,
    *,
    integrators: Iterable[str] = (INTEGRATOR,),
    partitions: int = 3,
    wait_as: KafkaSecurity | None = None,
) -> None:
    """Any secured broker (docker-compose's too): the territory's topics and ACLs, created as a super
    user; with ``wait_as`` (a principal given rights here), return once they are in force."""
    from conseils_runtime.topics import ensure_topics

    await ensure_topics(bootstrap, territory, partitions=partitions, security=admin)
    await create_acls(bootstrap, admin, territory_acls(territory, integrators))
    if wait_as is not None:
        await wait_effective(bootstrap, wait_as, topic_name(territory, REGISTRY_MEMBERS))


async def wait_effective(bootstrap: str, security: KafkaSecurity, topic: str, timeout: float = 30.0) -> None:
    """Return once the broker's authorizer lets ``security`` see ``topic``.

    The controller commits new ACLs at once, but the broker's authorizer applies them a few
    seconds later: without this wait, a client starting right after ``grant`` is refused."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="conseils-acls",
        request_timeout_ms=15000,
        **security.aiokafka_kwargs(),
    )
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            described = await admin.describe_topics([topic])
            if described and all(entry["error_code"] == 0 for entry in described):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise KafkaLauncherError(f"The ACLs of {topic} are still not in force after {timeout:.0f}s.")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
