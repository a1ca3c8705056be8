"""Local single-node Apache Kafka broker (KRaft, no Docker).

The broker is assembled from Maven Central with ``mvn`` (see ``pom.xml`` next to
this module), cached once per machine, and run as a detached ``java`` process
whose state (config, data, logs, ``broker.json``) lives in a state directory.

This module is a library used by the ``conseils kafka`` commands and by the test
suite's fixtures: importing it has no side effect.

Environment variables:

* ``KAFKA_BOOTSTRAP_SERVERS``: use that (external) broker; :func:`start` and
  :func:`status` only verify that it answers.
* ``CONSEILS_CACHE_DIR``: cache root (default ``~/.cache/conseils``); jars go in
  ``<cache>/kafka-<version>/jars``.
* ``CONSEILS_STATE_DIR``: state directory (default ``<repo>/.var/kafka``, or
  ``~/.local/state/conseils/kafka`` outside a git checkout).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "KAFKA_VERSION",
    "BrokerInfo",
    "KafkaLauncherError",
    "Progress",
    "cache_dir",
    "default_state_dir",
    "ensure_jars",
    "kill",
    "probe",
    "restart_same_ports",
    "start",
    "status",
    "stop",
]

KAFKA_VERSION = "4.1.1"
POM_FILE = Path(__file__).with_name("pom.xml")
MARKER_NAME = ".complete"
BROKER_FILE = "broker.json"
NODE_ID = 1
HOST = "127.0.0.1"
# A test run creates thousands of partitions (each test has its own territory):
# 512 MiB of heap ran out after about 15,000. CONSEILS_KAFKA_HEAP overrides it.
HEAP = os.environ.get("CONSEILS_KAFKA_HEAP", "2g")
JVM_OPTS = (f"-Xmx{HEAP}", "-Xms512m", "-Djava.awt.headless=true")
MVN_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"

Progress = Callable[[str], None]
"""Callback receiving short progress messages (phase descriptions)."""

_T = TypeVar("_T")

# Broker processes started by this interpreter, kept so they can be reaped
# (a killed child stays a zombie, i.e. "alive" for os.kill(pid, 0), until waited).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class KafkaLauncherError(RuntimeError):
    """The local broker could not be assembled, started or reached."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True)
class BrokerInfo:
    """A running (or just killed) broker."""

    bootstrap: str
    pid: int | None = None
    state_dir: Path | None = None
    log_file: Path | None = None
    port: int | None = None
    controller_port: int | None = None
    external: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "bootstrap": self.bootstrap,
            "pid": self.pid,
            "state_dir": str(self.state_dir) if self.state_dir else None,
            "log_file": str(self.log_file) if self.log_file else None,
            "port": self.port,
            "controller_port": self.controller_port,
            "external": self.external,
            "kafka_version": KAFKA_VERSION,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BrokerInfo:
        state_dir = data.get("state_dir")
        log_file = data.get("log_file")
        return cls(
            bootstrap=str(data["bootstrap"]),
            pid=int(data["pid"]) if data.get("pid") is not None else None,
            state_dir=Path(state_dir) if state_dir else None,
            log_file=Path(log_file) if log_file else None,
            port=int(data["port"]) if data.get("port") is not None else None,
            controller_port=(
                int(data["controller_port"]) if data.get("controller_port") is not None else None
            ),
            external=bool(data.get("external", False)),
        )


# --------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    """Root of the conseils cache (``$CONSEILS_CACHE_DIR`` or ``~/.cache/conseils``)."""
    env = os.environ.get("CONSEILS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "conseils"


def jars_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}" / "jars"


def _repo_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def default_state_dir() -> Path:
    """``$CONSEILS_STATE_DIR``, else ``<repo>/.var/kafka``, else ``~/.local/state``."""
    env = os.environ.get("CONSEILS_STATE_DIR")
    if env:
        return Path(env).expanduser()
    root = _repo_root(Path.cwd().resolve())
    if root is not None:
        return root / ".var" / "kafka"
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "conseils" / "kafka"


def resolve_state_dir(state_dir: Path | None) -> Path:
    return (state_dir if state_dir is not None else default_state_dir()).resolve()


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------- jars


def _jars_complete(directory: Path) -> bool:
    marker = directory / MARKER_NAME
    try:
        expected = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(expected, dict) or not expected:
        return False
    for name, size in expected.items():
        jar = directory / str(name)
        try:
            if jar.stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def ensure_jars(progress: Progress | None = None) -> Path:
    """Return the directory holding the broker's jars, downloading them if needed.

    Runs ``mvn`` only when the cache is missing or incomplete; a complete copy is
    recorded by a marker file listing every jar with its size.
    """
    target = jars_dir()
    if _jars_complete(target):
        return target
    with _locked(target.parent / ".lock"):
        if _jars_complete(target):  # another process finished the copy meanwhile
            return target
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaLauncherError(
                "Maven (mvn) is required to fetch the Kafka jars but was not found "
                "on PATH; install Maven 3 and a JDK >= 17."
            )
        if progress:
            progress(f"Téléchargement de Kafka {KAFKA_VERSION} (Maven)…")
        work = target.parent / f"download-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "jars").mkdir(parents=True)
        # Run from a copy of the pom: the package directory may be read-only.
        shutil.copy2(POM_FILE, work / "pom.xml")
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(work / "pom.xml"),
                MVN_GOAL,
                "-DincludeScope=runtime",
                f"-DoutputDirectory={work / 'jars'}",
            ],
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        jars = sorted((work / "jars").glob("*.jar"))
        if result.returncode != 0 or not jars:
            tail = _tail_text(result.stdout + result.stderr)
            shutil.rmtree(work, ignore_errors=True)
            raise KafkaLauncherError(
                f"mvn failed to fetch the Kafka jars (exit {result.returncode}).",
                tail,
            )
        manifest = {jar.name: jar.stat().st_size for jar in jars}
        (work / "jars" / MARKER_NAME).write_text(json.dumps(manifest, indent=1))
        shutil.rmtree(target, ignore_errors=True)
        (work / "jars").rename(target)
        shutil.rmtree(work, ignore_errors=True)
    return target


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


async def _describe_cluster(bootstrap: str, wait_s: float) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    request_timeout_ms = max(1000, int(wait_s * 1000))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        client_id="conseils-launcher",
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


def probe(bootstrap: str, timeout: float = 5.0) -> bool:
    """True when the broker answers an admin metadata request with >= 1 broker."""
    if not _tcp_open(bootstrap, min(timeout, 2.0)):
        return False
    return _run_sync(lambda: _describe_cluster(bootstrap, timeout))


# ----------------------------------------------------------------------- processes


def _pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields and fields[0] in ("Z", "X"):
                return False
        except (OSError, IndexError):
            pass
    return True


def _is_our_broker(pid: int) -> bool:
    """Guard against pid reuse: on Linux check the command line."""
    if not _pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True
    try:
        return b"kafka.Kafka" in cmdline.read_bytes()
    except OSError:
        return False


def _signal_and_wait(pid: int, sig: signal.Signals, timeout: float) -> bool:
    """Send ``sig`` to ``pid``; True when the process is gone within ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    return not _pid_alive(pid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _tail_text(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _tail_file(path: Path | None, lines: int = 40) -> str:
    if path is None:
        return ""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return _tail_text(data, lines)


def _broker_tail(state_dir: Path) -> str:
    parts = [
        _tail_file(state_dir / "logs" / "server.log"),
        _tail_file(state_dir / "logs" / "stdout.log", 15),
    ]
    return "\n".join(part for part in parts if part)


# -------------------------------------------------------------------------- config


def _cluster_id() -> str:
    while True:
        cid = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")
        if not cid.startswith("-"):  # Kafka's Uuid.randomUuid() avoids those too
            return cid


def _server_properties(state_dir: Path, port: int, controller_port: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": (f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}"),
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(state_dir / "data"),
        "num.partitions": "3",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a SIGKILL the controller refuses the restarted broker until the old
        # session expires (default 9 s): keep that short for fault tests.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "4000",
        # Retention is the platform's decision (conseils_runtime.topics.topic_configs sets it on
        # every catalogue topic); a topic created any other way (auto-creation, a third-party
        # tool) must not silently expire after the broker's 7-day default either: keep forever.
        "log.retention.ms": "-1",
        "log.retention.bytes": "-1",
        # The log cleaner wakes every 15 s by default when it has nothing to do; 1 s lets the
        # compaction tests (tests/runtime/test_topic_configs.py) watch an erased card go quickly.
        "log.cleaner.backoff.ms": "1000",
    }
    lines = ["# Generated by conseils_cli.kafka.launcher; rewritten at each start."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _log4j2_xml(log_file: Path) -> str:
    pattern = "[%d] %p %m (%c)%n"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="file" fileName="{log_file}" filePattern="{log_file}.%i">
      <PatternLayout pattern="{pattern}"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="state.change.logger" level="warn"/>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
"""


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaLauncherError("java (JDK >= 17) was not found on PATH.")
    return java


def _java_cmd(jars: Path, log4j: Path, main: str, *args: str) -> list[str]:
    return [
        _java(),
        *JVM_OPTS,
        "-cp",
        str(jars / "*"),
        f"-Dlog4j2.configurationFile={log4j}",
        main,
        *args,
    ]


# ----------------------------------------------------------------------- lifecycle


def read_record(state_dir: Path) -> BrokerInfo | None:
    try:
        data = json.loads((state_dir / BROKER_FILE).read_text())
        return BrokerInfo.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(info: BrokerInfo) -> None:
    assert info.state_dir is not None
    path = info.state_dir / BROKER_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info.to_json(), indent=2) + "\n")
    tmp.replace(path)


def _remove_record(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir / BROKER_FILE).unlink()


def _read_ports(state_dir: Path) -> tuple[int, int] | None:
    try:
        data = json.loads((state_dir / "ports.json").read_text())
        return int(data["port"]), int(data["controller_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
        if not _pid_alive(info.pid):
            raise KafkaLauncherError(
                f"The Kafka broker (pid {info.pid}) exited during start-up; see {info.log_file}.",
                _broker_tail(info.state_dir),
            )
        remaining = deadline - time.monotonic()
        if probe(info.bootstrap, timeout=min(5.0, max(1.0, remaining))):
            return
        if time.monotonic() >= deadline:
            raise KafkaLauncherError(
                f"The Kafka broker (pid {info.pid}) did not answer on "
                f"{info.bootstrap} within {timeout:.0f}s; see {info.log_file}.",
                _broker_tail(info.state_dir),
            )
        time.sleep(0.5)


def _launch(
    state_dir: Path,
    ports: tuple[int, int] | None,
    timeout: float,
    progress: Progress | None,
) -> BrokerInfo:
    """Start a broker in ``state_dir`` (the caller holds the state lock)."""
    jars = ensure_jars(progress)
    data_dir = state_dir / "data"
    logs_dir = state_dir / "logs"
    logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = logs_dir / "server.log"

    if ports is None:
        previous = _read_ports(state_dir)
        if previous is not None and all(_port_free(p) for p in previous):
            ports = previous
        else:
            if previous is not None and data_dir.exists():
                # The KRaft voter set records the controller endpoint: new ports
                # need a fresh metadata log.
                shutil.rmtree(data_dir)
            port = _free_port()
            controller_port = _free_port()
            while controller_port == port:
                controller_port = _free_port()
            ports = (port, controller_port)
    else:
        busy = [p for p in ports if not _port_free(p)]
        if busy:
            raise KafkaLauncherError(f"Port(s) {busy} on {HOST} already in use.")
    port, controller_port = ports

    properties = state_dir / "server.properties"
    properties.write_text(_server_properties(state_dir, port, controller_port))
    (state_dir / "ports.json").write_text(
        json.dumps({"port": port, "controller_port": controller_port}) + "\n"
    )
    log4j = state_dir / "log4j2.xml"
    log4j.write_text(_log4j2_xml(log_file))

    if not (data_dir / "meta.properties").exists():
        if progress:
            progress("Formatage du stockage KRaft…")
        shutil.rmtree(data_dir, ignore_errors=True)
        fmt = subprocess.run(
            _java_cmd(
                jars,
                log4j,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                _cluster_id(),
                "-c",
                str(properties),
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise KafkaLauncherError(
                f"kafka-storage format failed (exit {fmt.returncode}).",
                _tail_text(fmt.stdout + fmt.stderr),
            )

    if progress:
        progress("Démarrage du broker Kafka…")
    with (logs_dir / "stdout.log").open("ab") as out:
        proc = subprocess.Popen(
            _java_cmd(jars, log4j, "kafka.Kafka", str(properties)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=state_dir,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    info = BrokerInfo(
        bootstrap=f"{HOST}:{port}",
        pid=proc.pid,
        state_dir=state_dir,
        log_file=log_file,
        port=port,
        controller_port=controller_port,
    )
    _write_record(info)
    if progress:
        progress(f"Attente du broker sur {info.bootstrap}…")
    try:
        _wait_ready(info, timeout)
    except KafkaLauncherError:
        _signal_and_wait(proc.pid, signal.SIGKILL, 10)
        _remove_record(state_dir)
        raise
    return info


def start(
    state_dir: Path | None = None,
    timeout: float = 90,
    *,
    progress: Progress | None = None,
) -> BrokerInfo:
    """Start (or reuse) the local broker and return it once it answers.

    * ``KAFKA_BOOTSTRAP_SERVERS`` set: only check that broker (``external=True``).
    * A healthy broker already recorded in ``state_dir``: returned as is.
    * Otherwise a new detached broker is started; ports of the previous run in
      the same state dir are reused when free (data kept), else new ones are
      picked and the data dir is reset.
    """
    external = _external(timeout)
    if external is not None:
        return external
    directory = resolve_state_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is not None and record.pid is not None:
            if _is_our_broker(record.pid):
                if progress:
                    progress(f"Broker déjà lancé (pid {record.pid}), vérification…")
                _wait_ready(record, timeout)
                return record
            _remove_record(directory)
        return _launch(directory, None, timeout, progress)


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
    with _locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is not None and record.pid is not None and _is_our_broker(record.pid):
            raise KafkaLauncherError(f"A broker is still running in {directory} (pid {record.pid}).")
        _remove_record(directory)
        ports = (info.port, info.controller_port)
        # A just-killed listener may take a moment to release its port.
        deadline = time.monotonic() + 10
        while not all(_port_free(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        return _launch(directory, ports, timeout, progress)


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
    if record is None or record.pid is None or not _is_our_broker(record.pid):
        return None
    return record if probe(record.bootstrap, timeout) else None


def stop(state_dir: Path | None = None, timeout: float = 30) -> BrokerInfo | None:
    """SIGTERM the local broker (SIGKILL after ``timeout``); return what was stopped.

    Never touches an external broker (``KAFKA_BOOTSTRAP_SERVERS``).
    """
    directory = resolve_state_dir(state_dir)
    if not directory.exists():
        return None
    with _locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is None or record.pid is None:
            return None
        if _is_our_broker(record.pid) and not _signal_and_wait(record.pid, signal.SIGTERM, timeout):
            _signal_and_wait(record.pid, signal.SIGKILL, 10)
        _remove_record(directory)
        return record


def kill(state_dir: Path | None = None) -> BrokerInfo | None:
    """SIGKILL the local broker (fault injection); return it for a later restart."""
    directory = resolve_state_dir(state_dir)
    if not directory.exists():
        return None
    with _locked(directory / ".launcher.lock"):
        record = read_record(directory)
        if record is None or record.pid is None:
            return None
        if _is_our_broker(record.pid):
            _signal_and_wait(record.pid, signal.SIGKILL, 10)
        _remove_record(directory)
        return record
