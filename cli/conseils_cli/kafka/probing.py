"""Is the broker there? A TCP connect, then an admin metadata request (authenticated on a secured
broker), and the waits built on it: an external broker (``KAFKA_BOOTSTRAP_SERVERS``) and a local
broker that is starting."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from conseils_cli.kafka.common import HOST, KafkaLauncherError
from conseils_cli.kafka.credentials import client_security
from conseils_cli.kafka.grants import ADMIN
from conseils_cli.kafka.processes import broker_tail, pid_alive
from conseils_cli.kafka.state import BrokerInfo
from conseils_runtime.kafka_security import KafkaSecurity, aiokafka_kwargs

_T = TypeVar("_T")


def run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion, even when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def tcp_open(bootstrap: str, timeout: float) -> bool:
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
    if not tcp_open(bootstrap, min(timeout, 2.0)):
        return False
    return run_sync(lambda: _describe_cluster(bootstrap, timeout, security))


def admin_security(info: BrokerInfo) -> KafkaSecurity | None:
    """The admin's credentials for a secured local broker, else None (the environment's)."""
    if info.secure and info.state_dir is not None:
        return client_security(info.state_dir, ADMIN, tls=info.tls)
    return None


def wait_external(timeout: float) -> BrokerInfo | None:
    """The broker of ``KAFKA_BOOTSTRAP_SERVERS`` once it answers (None when the variable is unset)."""
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


def wait_ready(info: BrokerInfo, timeout: float) -> None:
    """Return once the local broker answers; raise (with its log's tail) if it exits or stays mute."""
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
        if probe(info.bootstrap, timeout=min(5.0, max(1.0, remaining)), security=admin_security(info)):
            return
        if time.monotonic() >= deadline:
            raise KafkaLauncherError(
                f"The Kafka broker (pid {info.pid}) did not answer on "
                f"{info.bootstrap} within {timeout:.0f}s; see {info.log_file}.",
                broker_tail(info.state_dir),
            )
        time.sleep(0.5)
