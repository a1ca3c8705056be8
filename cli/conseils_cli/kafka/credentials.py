"""The passwords of a secured local broker's principals and the client settings built from them.

Passwords are generated once and kept in ``<state dir>/credentials.json`` (mode 0600); every
SCRAM credential is written into the metadata log by ``kafka-storage format --add-scram`` before
the first start, later ones (another integrator) by ``kafka.admin.ConfigCommand``
(:func:`add_scram_user`). A broker started with TLS (``--tls``) gives its clients ``SASL_SSL``
and the local CA to verify it with (:mod:`.tls`).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conseils_cli.kafka.common import KafkaLauncherError, tail_text
from conseils_cli.kafka.grants import ADMIN, PRINCIPALS, validate_principal
from conseils_cli.kafka.state import read_record
from conseils_cli.kafka.tls import ca_file
from conseils_runtime.kafka_security import KafkaSecurity

MECHANISM = "SCRAM-SHA-512"
CREDENTIALS_FILE = "credentials.json"
ADMIN_CLIENT_PROPERTIES = "admin-client.properties"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def credentials_path(state_dir: Path) -> Path:
    return state_dir / CREDENTIALS_FILE


def read_credentials(state_dir: Path) -> dict[str, str]:
    try:
        data = json.loads(credentials_path(state_dir).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def write_credentials(state_dir: Path, credentials: Mapping[str, str]) -> None:
    write_private(credentials_path(state_dir), json.dumps(dict(credentials), indent=2, sort_keys=True) + "\n")


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


def _serves_tls(state_dir: Path) -> bool:
    record = read_record(state_dir)
    return bool(record is not None and record.tls)


def client_security(state_dir: Path, principal: str, *, tls: bool | None = None) -> KafkaSecurity:
    """The settings a client of ``principal`` uses on the broker of ``state_dir``: SASL/SCRAM, over
    TLS verified with the local CA when the broker serves TLS (``tls=None``: as its record says)."""
    password = read_credentials(state_dir).get(principal)
    if password is None:
        raise KafkaLauncherError(
            f"No Kafka principal {principal!r} in {credentials_path(state_dir)} "
            f"(known: {', '.join(sorted(read_credentials(state_dir))) or 'none'})."
        )
    if tls is None:
        tls = _serves_tls(state_dir)
    if tls:
        return KafkaSecurity.scram(principal, password, protocol="SASL_SSL", cafile=str(ca_file(state_dir)))
    return KafkaSecurity.scram(principal, password)


def jaas(module: str, username: str, password: str, **users: str) -> str:
    extra = "".join(f' user_{name}="{value}"' for name, value in users.items())
    return f'{module} required username="{username}" password="{password}"{extra};'


def admin_client_properties(state_dir: Path) -> Path:
    """A client config file for the Java tools, as the ``admin`` principal (mode 0600)."""
    password = read_credentials(state_dir)[ADMIN]
    path = state_dir / ADMIN_CLIENT_PROPERTIES
    lines = [f"sasl.mechanism={MECHANISM}", f"sasl.jaas.config={jaas(SCRAM_MODULE, ADMIN, password)}"]
    if _serves_tls(state_dir):
        lines += [
            "security.protocol=SASL_SSL",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={ca_file(state_dir)}",
        ]
    else:
        lines.append("security.protocol=SASL_PLAINTEXT")
    write_private(path, "\n".join(lines) + "\n")
    return path


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
