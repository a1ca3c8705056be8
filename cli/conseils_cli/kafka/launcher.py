"""Local single-node Apache Kafka broker (KRaft, no Docker).

The broker is assembled from Maven Central with ``mvn`` (see ``pom.xml`` next to
this module), cached once per machine, and run as a detached ``java`` process
whose state (config, data, logs, ``broker.json``) lives in a state directory.

This module is a library used by the ``conseils kafka`` commands and by the test
suite's fixtures: importing it has no side effect. It probes, starts and stops the
broker; its parts live next to it: :mod:`.jars` (the Maven assembly and its cache),
:mod:`.broker_config` (``server.properties``, ``log4j2.xml``, the ``java`` command),
:mod:`.state` (the state directory and its records) and :mod:`.processes` (pids,
signals, ports, log tails).

Environment variables:

* ``KAFKA_BOOTSTRAP_SERVERS``: use that (external) broker; :func:`start` and
  :func:`status` only verify that it answers.
* ``CONSEILS_CACHE_DIR``: cache root (default ``~/.cache/conseils``); jars go in
  ``<cache>/kafka-<version>/jars``.
* ``CONSEILS_STATE_DIR``: state directory (default ``<repo>/.var/kafka``, or
  ``~/.local/state/conseils/kafka`` outside a git checkout).
* ``CONSEILS_KAFKA_*``: how :func:`probe` authenticates to an external broker
  (:mod:`conseils_runtime.kafka_security`).

``start(secure=True)`` runs the broker with SASL listeners and ACLs (see :mod:`.security`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from conseils_cli.kafka.broker_config import cluster_id, java_cmd, log4j2_xml, server_properties
from conseils_cli.kafka.common import HOST, KAFKA_VERSION, KafkaLauncherError, Progress, locked, tail_text
from conseils_cli.kafka.jars import MARKER_NAME, cache_dir, ensure_jars, jars_dir
from conseils_cli.kafka.processes import (
    CHILDREN,
    broker_tail,
    free_port,
    is_our_broker,
    pid_alive,
    port_free,
    signal_and_wait,
)
from conseils_cli.kafka.security import (
    ADMIN,
    PRINCIPALS,
    ScramUser,
    add_scram_args,
    add_scram_user,
    admin_client_properties,
    client_security,
    ensure_credentials,
    grant_territory,
    remember_user,
    validate_principal,
)
from conseils_cli.kafka.state import (
    BrokerInfo,
    default_state_dir,
    read_ports,
    read_record,
    remove_record,
    resolve_state_dir,
    write_record,
)
from conseils_runtime.kafka_security import KafkaSecurity, aiokafka_kwargs

__all__ = [
    "KAFKA_VERSION",
    "MARKER_NAME",
    "PRINCIPALS",
    "BrokerInfo",
    "KafkaLauncherError",
    "Progress",
    "add_integrator",
    "cache_dir",
    "credentials",
    "default_state_dir",
    "ensure_jars",
    "grant",
    "jars_dir",
    "kill",
    "probe",
    "read_record",
    "resolve_state_dir",
    "restart_same_ports",
    "start",
    "status",
    "stop",
]

_T = TypeVar("_T")


# ------------------------------------------------------------------------- probing


def _run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion, even when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _tcp_open(bootstrap: str, timeout: float) -> bool:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or HOST, int(port)), timeout=timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


async def _describe_cluster(bootstrap: str, wait_s: float, security: KafkaSecurity | None) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    request_timeout_ms = max(1000, int(wait_s * 1000))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        client_id="conseils-launcher",
        **aiokafka_kwargs(security),
    )
    try:
        await asyncio.wait_for(admin.start(), wait_s)
        cluster: dict[str, Any] = await asyncio.wait_for(admin.describe_cluster(), wait_s)
        return bool(cluster.get("brokers"))
    except Exception:  # any failure means "not ready"
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def probe(bootstrap: str, timeout: float = 5.0, security: KafkaSecurity | None = None) -> bool:
    """True when the broker answers an admin metadata request with >= 1 broker.

    ``security``: how to authenticate (default: the environment's ``CONSEILS_KAFKA_*``)."""
    if not _tcp_open(bootstrap, min(timeout, 2.0)):
        return False
    return _run_sync(lambda: _describe_cluster(bootstrap, timeout, security))


def _security(info: BrokerInfo) -> KafkaSecurity | None:
    """The admin's credentials for a secured local broker, else None (the environment's)."""
    if info.secure and info.state_dir is not None:
        return client_security(info.state_dir, ADMIN)
    return None


# ----------------------------------------------------------------------- lifecycle


def _external(timeout: float) -> BrokerInfo | None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if not bootstrap:
        return None
    deadline = time.monotonic() + timeout
    while True:
        if probe(bootstrap, timeout=min(5.0, max(1.0, deadline - time.monotonic()))):
            return BrokerInfo(bootstrap=bootstrap, external=True)
        if time.monotonic() >= deadline:
            raise KafkaLauncherError(
                f"KAFKA_BOOTSTRAP_SERVERS={bootstrap} does not answer (no metadata within {timeout:.0f}s)."
            )
        time.sleep(0.5)


def _wait_ready(info: BrokerInfo, timeout: float) -> None:
    assert info.pid is not None
    assert info.state_dir is not None
    deadline = time.monotonic() + timeout
    while True:
        if not pid_alive(info.pid):
            raise KafkaLauncherError(
                f"The Kafka broker (pid {info.pid}) exited during start-up; see {info.log_file}.",
                broker_tail(info.state_dir),
            )
        remaining = deadline - time.monotonic()
        if probe(info.bootstrap, timeout=min(5.0, max(1.0, remaining)), security=_security(info)):
            return
        if time.monotonic() >= deadline:
            raise KafkaLauncherError(
                f"The Kafka broker (pid {info.pid}) did not answer on "
                f"{info.bootstrap} within {timeout:.0f}s; see {info.log_file}.",
                broker_tail(info.state_dir),
            )
        time.sleep(0.5)


DATA_MODE_FILE = ".conseils-security"


def _data_mode(data_dir: Path) -> str:
    try:
        return (data_dir / DATA_MODE_FILE).read_text().strip()
    except OSError:
        return "plaintext"


def _launch(
    state_dir: Path,
    ports: tuple[int, int] | None,
    timeout: float,
    progress: Progress | None,
    secure: bool = False,
) -> BrokerInfo:
    """Start a broker in ``state_dir`` (the caller holds the state lock)."""
    jars = ensure_jars(progress)
    data_dir = state_dir / "data"
    mode = "sasl" if secure else "plaintext"
    if (data_dir / "meta.properties").exists() and _data_mode(data_dir) != mode:
        # The SCRAM credentials are written when the storage is formatted: switching between a
        # plaintext and a secured broker starts from a fresh metadata log (local broker only).
        shutil.rmtree(data_dir)
    credentials = ensure_credentials(state_dir) if secure else {}
    logs_dir = state_dir / "logs"
    logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = logs_dir / "server.log"

    if ports is None:
        previous = read_ports(state_dir)
        if previous is not None and all(port_free(p) for p in previous):
            ports = previous
        else:
            if previous is not None and data_dir.exists():
                # The KRaft voter set records the controller endpoint: new ports
                # need a fresh metadata log.
                shutil.rmtree(data_dir)
            port = free_port()
            controller_port = free_port()
            while controller_port == port:
                controller_port = free_port()
            ports = (port, controller_port)
    else:
        busy = [p for p in ports if not port_free(p)]
        if busy:
            raise KafkaLauncherError(f"Port(s) {busy} on {HOST} already in use.")
    port, controller_port = ports

    properties = state_dir / "server.properties"
    admin_password = credentials[ADMIN] if secure else None
    properties.touch(mode=0o600)
    os.chmod(properties, 0o600)  # holds the admin password when secured
    properties.write_text(server_properties(state_dir, port, controller_port, admin_password=admin_password))
    (state_dir / "ports.json").write_text(
        json.dumps({"port": port, "controller_port": controller_port}) + "\n"
    )
    log4j = state_dir / "log4j2.xml"
    log4j.write_text(log4j2_xml(log_file))

    if not (data_dir / "meta.properties").exists():
        if progress:
            progress("Formatage du stockage KRaft…")
        shutil.rmtree(data_dir, ignore_errors=True)
        fmt = subprocess.run(
            java_cmd(
                jars,
                log4j,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id(),
                "-c",
                str(properties),
                *add_scram_args(credentials),
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            output = fmt.stdout + fmt.stderr
            for password in credentials.values():
                output = output.replace(password, "***")
            raise KafkaLauncherError(
                f"kafka-storage format failed (exit {fmt.returncode}).", tail_text(output)
            )
        (data_dir / DATA_MODE_FILE).write_text(mode + "\n")

    if progress:
        progress("Démarrage du broker Kafka…")
    with (logs_dir / "stdout.log").open("ab") as out:
        proc = subprocess.Popen(
            java_cmd(jars, log4j, "kafka.Kafka", str(properties)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=state_dir,
            start_new_session=True,
            close_fds=True,
        )
    CHILDREN[proc.pid] = proc
    info = BrokerInfo(
        bootstrap=f"{HOST}:{port}",
        pid=proc.pid,
        state_dir=state_dir,
        log_file=log_file,
        port=port,
        controller_port=controller_port,
        secure=secure,
    )
    write_record(info)
    if progress:
        progress(f"Attente du broker sur {info.bootstrap}…")
    try:
        _wait_ready(info, timeout)
    except KafkaLauncherError:
        signal_and_wait(proc.pid, signal.SIGKILL, 10)
        remove_record(state_dir)
        raise
    return info


def start(
    state_dir: Path | None = None,
    timeout: float = 90,
    *,
    progress: Progress | None = None,
    secure: bool = False,
    territories: Sequence[str] = (),
) -> BrokerInfo:
    """Start (or reuse) the local broker and return it once it answers.

    * ``KAFKA_BOOTSTRAP_SERVERS`` set: only check that broker (``external=True``).
    * A healthy broker already recorded in ``state_dir``: returned as is (it must be
      secured if and only if ``secure`` is asked).
    * Otherwise a new detached broker is started; ports of the previous run in
      the same state dir are reused when free (data kept), else new ones are
      picked and the data dir is reset.
    * ``secure``: SASL/SCRAM listeners and ACLs; the topics and ACLs of each of
      ``territories`` are created once the broker answers (see :func:`grant`).
    """
    external = _external(timeout)
    if external is not None:
        return external
    directory = resolve_state_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with locked(directory / ".launcher.lock"):
        record = read_record(directory)
        info: BrokerInfo | None = None
        if record is not None and record.pid is not None:
            if is_our_broker(record.pid):
                if record.secure != secure:
                    raise KafkaLauncherError(
                        f"A {'secured' if record.secure else 'plaintext'} broker already runs in {directory} "
                        f"(pid {record.pid}): stop it first (conseils kafka stop)."
                    )
                if progress:
                    progress(f"Broker déjà lancé (pid {record.pid}), vérification…")
                _wait_ready(record, timeout)
                info = record
            else:
                remove_record(directory)
        if info is None:
            info = _launch(directory, None, timeout, progress, secure)
    if secure and territories:
        grant(info, territories, progress=progress)
    return info


def _recorded_secure(state_dir: Path | None) -> BrokerInfo:
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
    record = info if isinstance(info, BrokerInfo) else _recorded_secure(info)
    assert record.state_dir is not None
    for territory in territories:
        if progress:
            progress(f"Topics et ACL du territoire {territory}…")
        job = partial(grant_territory, record.bootstrap, record.state_dir, territory, partitions=partitions)
        _run_sync(job)
    return record


def credentials(state_dir: Path | None, principal: str) -> KafkaSecurity:
    """The SASL settings of ``principal`` on the secured local broker of ``state_dir``."""
    return client_security(resolve_state_dir(state_dir), principal)


def add_integrator(
    state_dir: Path | None,
    name: str,
    territories: Sequence[str],
    *,
    progress: Progress | None = None,
) -> KafkaSecurity:
    """A new read-only integrator principal on the running secured broker: its SCRAM credential
    (``kafka.admin.ConfigCommand``), its password in the state dir and its ACLs."""
    record = _recorded_secure(state_dir)
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


def client_security_or_none(state_dir: Path, principal: str) -> KafkaSecurity | None:
    try:
        return client_security(state_dir, principal)
    except KafkaLauncherError:
        return None


def restart_same_ports(
    info: BrokerInfo,
    timeout: float = 90,
    *,
    progress: Progress | None = None,
) -> BrokerInfo:
    """Restart a stopped/killed broker on the same ports and data dir."""
    if info.external or info.state_dir is None:
        raise KafkaLauncherError("Cannot restart an external broker.")
    if info.port is None or info.controller_port is None:
        raise KafkaLauncherError("BrokerInfo lacks the ports to restart on.")
    directory = info.state_dir
    with locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is not None and record.pid is not None and is_our_broker(record.pid):
            raise KafkaLauncherError(f"A broker is still running in {directory} (pid {record.pid}).")
        remove_record(directory)
        ports = (info.port, info.controller_port)
        # A just-killed listener may take a moment to release its port.
        deadline = time.monotonic() + 10
        while not all(port_free(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        return _launch(directory, ports, timeout, progress, info.secure)


def status(state_dir: Path | None = None, timeout: float = 5.0) -> BrokerInfo | None:
    """The broker if it is running and answers a metadata request, else None.

    With ``KAFKA_BOOTSTRAP_SERVERS`` set, reports on that external broker.
    """
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if bootstrap:
        if probe(bootstrap, timeout):
            return BrokerInfo(bootstrap=bootstrap, external=True)
        return None
    record = read_record(resolve_state_dir(state_dir))
    if record is None or record.pid is None or not is_our_broker(record.pid):
        return None
    return record if probe(record.bootstrap, timeout, security=_security(record)) else None


def stop(state_dir: Path | None = None, timeout: float = 30) -> BrokerInfo | None:
    """SIGTERM the local broker (SIGKILL after ``timeout``); return what was stopped.

    Never touches an external broker (``KAFKA_BOOTSTRAP_SERVERS``).
    """
    directory = resolve_state_dir(state_dir)
    if not directory.exists():
        return None
    with locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is None or record.pid is None:
            return None
        if is_our_broker(record.pid) and not signal_and_wait(record.pid, signal.SIGTERM, timeout):
            signal_and_wait(record.pid, signal.SIGKILL, 10)
        remove_record(directory)
        return record


def kill(state_dir: Path | None = None) -> BrokerInfo | None:
    """SIGKILL the local broker (fault injection); return it for a later restart."""
    directory = resolve_state_dir(state_dir)
    if not directory.exists():
        return None
    with locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is None or record.pid is None:
            return None
        if is_our_broker(record.pid):
            signal_and_wait(record.pid, signal.SIGKILL, 10)
        remove_record(directory)
        return record
