"""The secured broker: its principals and their passwords, its SASL listeners, and the ACLs of a territory.

``conseils kafka start --secure`` runs the broker the way a deployment does:

* clients connect on one ``SASL_PLAINTEXT`` listener with SCRAM-SHA-512, one principal each
  (:data:`SERVICE_GRANTS` for the services, ``ops`` for the operator, ``integrator`` for a
  read-only third party); the broker's own principal ``admin`` is the only super user;
* the controller listener uses SASL/PLAIN with the ``admin`` credentials written in
  ``server.properties`` (SCRAM credentials live in the metadata log, so the controller cannot
  rely on them): no listener accepts an unauthenticated client;
* every SCRAM credential is written into the metadata log by ``kafka-storage format --add-scram``
  before the first start; later ones (another integrator) by ``kafka.admin.ConfigCommand``;
* ``StandardAuthorizer`` with deny by default; the ACLs of a territory are created through the
  Admin API (CreateAcls) by :func:`grant_territory`, which first creates the territory's topics.

TLS is out of scope (SASL_PLAINTEXT on 127.0.0.1): a deployment across hosts puts TLS on the
listener (``SASL_SSL``, which the runtime's clients support). Passwords are generated once and kept
in ``<state dir>/credentials.json`` (mode 0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from conseils_cli.kafka.common import KafkaLauncherError, tail_text
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import (
    ALL_TOPICS,
    MEETINGS_INSTANCES,
    MEETINGS_OUTCOMES,
    MEETINGS_REGISTRATIONS,
    NOTIFICATIONS_DELIVERIES,
    REGISTRY_COUNCILS,
    REGISTRY_DIRECTORY,
    REGISTRY_MEMBER_CONTACTS,
    REGISTRY_MEMBERS,
    STAFF_ALERTS,
    dlq_topic,
    topic_name,
)
from conseils_schemas.topics import validate_territory_slug

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"
OPS = "ops"
INTEGRATOR = "integrator"
CREDENTIALS_FILE = "credentials.json"
ADMIN_CLIENT_PROPERTIES = "admin-client.properties"


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

# --------------------------------------------------------------------------------- credentials


def credentials_path(state_dir: Path) -> Path:
    return state_dir / CREDENTIALS_FILE


def read_credentials(state_dir: Path) -> dict[str, str]:
    try:
        data = json.loads(credentials_path(state_dir).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def write_credentials(state_dir: Path, credentials: Mapping[str, str]) -> None:
    _write_private(
        credentials_path(state_dir), json.dumps(dict(credentials), indent=2, sort_keys=True) + "\n"
    )


def new_password() -> str:
    return secrets.token_urlsafe(24)  # letters, digits, - and _: nothing to escape in JAAS or --add-scram


def ensure_credentials(state_dir: Path, principals: Iterable[str] = PRINCIPALS) -> dict[str, str]:
    """The passwords of the state dir, a new one generated for every principal that has none."""
    credentials = read_credentials(state_dir)
    missing = [name for name in principals if name not in credentials]
    if missing:
        for name in missing:
            credentials[name] = new_password()
        write_credentials(state_dir, credentials)
    return credentials


def client_security(state_dir: Path, principal: str) -> KafkaSecurity:
    """The SASL settings a client of ``principal`` uses on the broker of ``state_dir``."""
    password = read_credentials(state_dir).get(principal)
    if password is None:
        raise KafkaLauncherError(
            f"No Kafka principal {principal!r} in {credentials_path(state_dir)} "
            f"(known: {', '.join(sorted(read_credentials(state_dir))) or 'none'})."
        )
    return KafkaSecurity.scram(principal, password)


def validate_principal(name: str) -> str:
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name) or name[0] == "-":
        raise KafkaLauncherError(f"Invalid principal name {name!r}: letters, digits, '-' and '_' only.")
    return name


# ------------------------------------------------------------------------------ broker settings


def _jaas(module: str, username: str, password: str, **users: str) -> str:
    extra = "".join(f' user_{name}="{value}"' for name, value in users.items())
    return f'{module} required username="{username}" password="{password}"{extra};'


def secure_listener_settings(
    host: str, port: int, controller_port: int, admin_password: str
) -> dict[str, str]:
    """The ``server.properties`` lines of a SASL-only broker with the ACL authorizer."""
    scram_module = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain_module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return {
        "listeners": f"BROKER://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"BROKER://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "listener.security.protocol.map": "BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": "BROKER",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.broker.sasl.enabled.mechanisms": MECHANISM,
        "listener.name.broker.scram-sha-512.sasl.jaas.config": _jaas(scram_module, ADMIN, admin_password),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            plain_module, ADMIN, admin_password, **{ADMIN: admin_password}
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }


def add_scram_args(credentials: Mapping[str, str]) -> list[str]:
    """``kafka-storage format`` arguments writing every principal's SCRAM credential."""
    args: list[str] = []
    for name in sorted(credentials):
        args += ["--add-scram", f"{MECHANISM}=[name={name},password={credentials[name]}]"]
    return args


def admin_client_properties(state_dir: Path) -> Path:
    """A client config file for the Java tools, as the ``admin`` principal (mode 0600)."""
    password = read_credentials(state_dir)[ADMIN]
    path = state_dir / ADMIN_CLIENT_PROPERTIES
    module = "org.apache.kafka.common.security.scram.ScramLoginModule"
    _write_private(
        path,
        "security.protocol=SASL_PLAINTEXT\n"
        f"sasl.mechanism={MECHANISM}\n"
        f"sasl.jaas.config={_jaas(module, ADMIN, password)}\n",
    )
    return path


# ----------------------------------------------------------------------------------------- ACLs

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


# ------------------------------------------------------------------------------- more principals


@dataclass
class ScramUser:
    name: str
    password: str = field(default_factory=new_password)


def add_scram_user(java_cmd: list[str], user: ScramUser) -> None:
    """Write (or replace) a SCRAM credential on the running broker with ``kafka.admin.ConfigCommand``."""
    result = subprocess.run(
        [
            *java_cmd,
            "--alter",
            "--entity-type",
            "users",
            "--entity-name",
            validate_principal(user.name),
            "--add-config",
            f"{MECHANISM}=[password={user.password}]",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise KafkaLauncherError(
            f"kafka-configs could not add the SCRAM user {user.name!r} (exit {result.returncode}).",
            tail_text((result.stdout + result.stderr).replace(user.password, "***")),
        )


def remember_user(state_dir: Path, user: ScramUser) -> None:
    credentials = read_credentials(state_dir)
    credentials[user.name] = user.password
    write_credentials(state_dir, credentials)


def forget_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
