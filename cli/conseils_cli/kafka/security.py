"""The secured broker: its SASL (and TLS) listeners; the names of its principals, credentials and ACLs.

``conseils kafka start --secure`` runs the broker the way a deployment does:

* clients connect on one listener with SCRAM-SHA-512, ``SASL_PLAINTEXT``, or ``SASL_SSL`` with
  ``--tls`` (a local CA and the broker's certificate, :mod:`.tls`; clients verify the CA), one
  principal each (:mod:`.grants`); the broker's own principal ``admin`` is the only super user;
* the controller listener (127.0.0.1 only) uses SASL/PLAIN with the ``admin`` credentials written in
  ``server.properties`` (SCRAM credentials live in the metadata log, so the controller cannot
  rely on them): no listener accepts an unauthenticated client;
* every SCRAM credential is written into the metadata log by ``kafka-storage format --add-scram``
  before the first start, later ones by ``kafka.admin.ConfigCommand`` (:mod:`.credentials`);
* ``StandardAuthorizer`` with deny by default; the ACLs of a territory are created through the
  Admin API (CreateAcls) by :func:`~.acls.grant_territory`, which first creates the territory's topics.

This module writes the broker's side of it; the other names are those of :mod:`.grants`,
:mod:`.credentials` and :mod:`.acls`, importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conseils_cli.kafka.acls import (
    ALLOW,
    CLUSTER,
    DENY,
    DESCRIBE,
    DESCRIBE_CONFIGS,
    GROUP,
    IDEMPOTENT_WRITE,
    LITERAL,
    PREFIXED,
    READ,
    TOPIC,
    WRITE,
    Acl,
    create_acls,
    grant_territory,
    integrator_acls,
    ops_acls,
    provision_territory,
    service_acls,
    territory_acls,
    wait_effective,
)
from conseils_cli.kafka.credentials import (
    MECHANISM,
    ScramUser,
    add_scram_user,
    admin_client_properties,
    client_security,
    ensure_credentials,
    jaas,
    read_credentials,
    remember_user,
)
from conseils_cli.kafka.grants import (
    ADMIN,
    INTEGRATOR,
    INTEGRATOR_FORBIDDEN,
    OPS,
    PRINCIPALS,
    SERVICE_GRANTS,
    ServiceGrants,
    validate_principal,
)
from conseils_cli.kafka.tls import ca_file, keystore_file

__all__ = [
    "ADMIN",
    "ALLOW",
    "CLUSTER",
    "DENY",
    "DESCRIBE",
    "DESCRIBE_CONFIGS",
    "GROUP",
    "IDEMPOTENT_WRITE",
    "INTEGRATOR",
    "INTEGRATOR_FORBIDDEN",
    "LITERAL",
    "MECHANISM",
    "OPS",
    "PREFIXED",
    "PRINCIPALS",
    "READ",
    "SERVICE_GRANTS",
    "TOPIC",
    "WRITE",
    "Acl",
    "ScramUser",
    "ServiceGrants",
    "add_scram_args",
    "add_scram_user",
    "admin_client_properties",
    "client_security",
    "create_acls",
    "ensure_credentials",
    "grant_territory",
    "integrator_acls",
    "ops_acls",
    "provision_territory",
    "read_credentials",
    "remember_user",
    "secure_listener_settings",
    "service_acls",
    "territory_acls",
    "validate_principal",
    "wait_effective",
]

PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def secure_listener_settings(
    host: str,
    port: int,
    controller_port: int,
    admin_password: str,
    *,
    tls_state_dir: Path | None = None,
) -> dict[str, str]:
    """The ``server.properties`` lines of a SASL-only broker with the ACL authorizer; with
    ``tls_state_dir``, the clients' listener is ``SASL_SSL`` with the certificates of that state dir."""
    protocol = "SASL_SSL" if tls_state_dir is not None else "SASL_PLAINTEXT"
    settings = {
        "listeners": f"BROKER://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"BROKER://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "listener.security.protocol.map": f"BROKER:{protocol},CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": "BROKER",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.broker.sasl.enabled.mechanisms": MECHANISM,
        "listener.name.broker.scram-sha-512.sasl.jaas.config": jaas(SCRAM_MODULE, ADMIN, admin_password),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": jaas(
            PLAIN_MODULE, ADMIN, admin_password, **{ADMIN: admin_password}
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }
    if tls_state_dir is not None:
        settings |= {
            # The key store holds the broker's key, its certificate and the CA (PEM, tls.py); the
            # broker's own inter-broker connections verify it against the same CA.
            "listener.name.broker.ssl.keystore.type": "PEM",
            "listener.name.broker.ssl.keystore.location": str(keystore_file(tls_state_dir)),
            "listener.name.broker.ssl.truststore.type": "PEM",
            "listener.name.broker.ssl.truststore.location": str(ca_file(tls_state_dir)),
            "listener.name.broker.ssl.endpoint.identification.algorithm": "https",
            "listener.name.broker.ssl.client.auth": "none",
        }
    return settings


def add_scram_args(credentials: Mapping[str, str]) -> list[str]:
    """``kafka-storage format`` arguments writing every principal's SCRAM credential."""
    args: list[str] = []
    for name in sorted(credentials):
        args += ["--add-scram", f"{MECHANISM}=[name={name},password={credentials[name]}]"]
    return args
