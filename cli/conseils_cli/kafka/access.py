"""Who may use a running secured local broker: the topics and ACLs of territories, a principal's
client settings, a new integrator (``conseils kafka grant|credentials|add-integrator``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from conseils_cli.kafka.acls import grant_territory
from conseils_cli.kafka.broker_config import java_cmd
from conseils_cli.kafka.common import KafkaLauncherError, Progress
from conseils_cli.kafka.credentials import (
    ScramUser,
    add_scram_user,
    admin_client_properties,
    client_security,
    remember_user,
)
from conseils_cli.kafka.grants import validate_principal
from conseils_cli.kafka.jars import ensure_jars
from conseils_cli.kafka.probing import run_sync
from conseils_cli.kafka.processes import is_our_broker
from conseils_cli.kafka.state import BrokerInfo, read_record, resolve_state_dir
from conseils_runtime.kafka_security import KafkaSecurity


def recorded_secure(state_dir: Path | None) -> BrokerInfo:
    """The secured broker running in ``state_dir`` (else an error saying how to start it)."""
    directory = resolve_state_dir(state_dir)
    record = read_record(directory)
    if record is None or record.pid is None or not is_our_broker(record.pid):
        raise KafkaLauncherError(f"No local broker runs in {directory} (conseils kafka start --secure).")
    if not record.secure:
        raise KafkaLauncherError(f"The broker of {directory} is not secured (conseils kafka start --secure).")
    return record


def grant(
    info: BrokerInfo | Path | None,
    territories: Sequence[str],
    *,
    partitions: int = 3,
    progress: Progress | None = None,
) -> BrokerInfo:
    """Create the topics and the ACLs of ``territories`` on a secured local broker (idempotent)."""
    record = info if isinstance(info, BrokerInfo) else recorded_secure(info)
    assert record.state_dir is not None
    for territory in territories:
        if progress:
            progress(f"Topics et ACL du territoire {territory}…")
        job = partial(grant_territory, record.bootstrap, record.state_dir, territory, partitions=partitions)
        run_sync(job)
    return record


def credentials(state_dir: Path | None, principal: str) -> KafkaSecurity:
    """The client settings of ``principal`` on the secured local broker of ``state_dir``."""
    return client_security(resolve_state_dir(state_dir), principal)


def client_security_or_none(state_dir: Path, principal: str) -> KafkaSecurity | None:
    try:
        return client_security(state_dir, principal)
    except KafkaLauncherError:
        return None


def add_integrator(
    state_dir: Path | None,
    name: str,
    territories: Sequence[str],
    *,
    progress: Progress | None = None,
) -> KafkaSecurity:
    """A new read-only integrator principal on the running secured broker: its SCRAM credential
    (``kafka.admin.ConfigCommand``), its password in the state dir and its ACLs."""
    record = recorded_secure(state_dir)
    assert record.state_dir is not None
    validate_principal(name)
    existing = client_security_or_none(record.state_dir, name)
    if existing is None:
        user = ScramUser(name)
        log4j = record.state_dir / "log4j2.xml"
        tool = java_cmd(
            ensure_jars(progress),
            log4j,
            "kafka.admin.ConfigCommand",
            "--bootstrap-server",
            record.bootstrap,
            "--command-config",
            str(admin_client_properties(record.state_dir)),
        )
        if progress:
            progress(f"Identifiants SCRAM de {name}…")
        add_scram_user(tool, user)
        remember_user(record.state_dir, user)
    grant(record, territories, progress=progress)
    return client_security(record.state_dir, name)
