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

``start(secure=True)`` runs the broker with SASL listeners and ACLs (see :mod:`.security`),
``start(secure=True, tls=True)`` over TLS with a local certificate authority (:mod:`.tls`).
The running broker's operations for principals (grant, credentials, add an integrator) are in
:mod:`.access`, the readiness probes in :mod:`.probing`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from conseils_cli.kafka.access import add_integrator, credentials, grant
from conseils_cli.kafka.broker_config import cluster_id, java_cmd, log4j2_xml, server_properties
from conseils_cli.kafka.common import HOST, KAFKA_VERSION, KafkaLauncherError, Progress, locked, tail_text
from conseils_cli.kafka.credentials import ensure_credentials
from conseils_cli.kafka.grants import ADMIN, PRINCIPALS
from conseils_cli.kafka.jars import MARKER_NAME, cache_dir, ensure_jars, jars_dir
from conseils_cli.kafka.probing import admin_security, probe, wait_external, wait_ready
from conseils_cli.kafka.processes import (
    CHILDREN,
    free_port,
    is_our_broker,
    port_free,
    signal_and_wait,
)
from conseils_cli.kafka.security import add_scram_args
from conseils_cli.kafka.state import (
    BrokerInfo,
    default_state_dir,
    read_ports,
    read_record,
    remove_record,
    resolve_state_dir,
    write_record,
)
from conseils_cli.kafka.tls import ensure_certificates

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


# ----------------------------------------------------------------------- lifecycle


DATA_MODE_FILE = ".conseils-security"


def _data_mode(data_dir: Path) -> str:
    try:
        return (data_dir / DATA_MODE_FILE).read_text().strip()
    except OSError:
        return "plaintext"


def _mode_name(info: BrokerInfo) -> str:
    return "SASL_SSL" if info.tls else "SASL" if info.secure else "plaintext"


def _launch(
    state_dir: Path,
    ports: tuple[int, int] | None,
    timeout: float,
    progress: Progress | None,
    *,
    secure: bool = False,
    tls: bool = False,
) -> BrokerInfo:
    """Start a broker in ``state_dir`` (the caller holds the state lock)."""
    jars = ensure_jars(progress)
    data_dir = state_dir / "data"
    mode = "sasl" if secure else "plaintext"
    if (data_dir / "meta.properties").exists() and _data_mode(data_dir) != mode:
        # The SCRAM credentials are written when the storage is formatted: switching between a
        # plaintext and a secured broker starts from a fresh metadata log (local broker only).
        shutil.rmtree(data_dir)
    passwords = ensure_credentials(state_dir) if secure else {}
    if tls:
        ensure_certificates(state_dir)
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
    admin_password = passwords[ADMIN] if secure else None
    properties.touch(mode=0o600)
    os.chmod(properties, 0o600)  # holds the admin password when secured
    properties.write_text(
        server_properties(state_dir, port, controller_port, admin_password=admin_password, tls=tls)
    )
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
                *add_scram_args(passwords),
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            output = fmt.stdout + fmt.stderr
            for password in passwords.values():
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
        tls=tls,
    )
    write_record(info)
    if progress:
        progress(f"Attente du broker sur {info.bootstrap}…")
    try:
        wait_ready(info, timeout)
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
    tls: bool = False,
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
    * ``tls`` (with ``secure``): the clients' listener is ``SASL_SSL``, its certificate signed by
      a local CA (``<state dir>/tls/ca.pem``) that the clients verify.
    """
    if tls and not secure:
        raise KafkaLauncherError("TLS is served with SASL only (start --secure --tls).")
    external = wait_external(timeout)
    if external is not None:
        return external
    directory = resolve_state_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with locked(directory / ".launcher.lock"):
        record = read_record(directory)
        info: BrokerInfo | None = None
        if record is not None and record.pid is not None:
            if is_our_broker(record.pid):
                if (record.secure, record.tls) != (secure, tls):
                    raise KafkaLauncherError(
                        f"A {_mode_name(record)} broker already runs in {directory} "
                        f"(pid {record.pid}): stop it first (conseils kafka stop)."
                    )
                if progress:
                    progress(f"Broker déjà lancé (pid {record.pid}), vérification…")
                wait_ready(record, timeout)
                info = record
            else:
                remove_record(directory)
        if info is None:
            info = _launch(directory, None, timeout, progress, secure=secure, tls=tls)
    if secure and territories:
        grant(info, territories, progress=progress)
    return info


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
        return _launch(directory, ports, timeout, progress, secure=info.secure, tls=info.tls)


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
    return record if probe(record.bootstrap, timeout, security=admin_security(record)) else None


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
