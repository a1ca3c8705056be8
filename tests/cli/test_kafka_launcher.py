"""The local Kafka launcher (conseils_cli.kafka.launcher) and `conseils kafka`."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from typer.testing import CliRunner

from conseils_cli.kafka import launcher
from conseils_cli.main import app


def _forbid(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"mvn must not run: {args!r} {kwargs!r}")


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def _consume_one(bootstrap: str, topic: str) -> bytes:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
        assert record.value is not None
        return bytes(record.value)
    finally:
        await consumer.stop()


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private state dir; the launcher test always runs its own broker."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    directory = tmp_path / "kafka"
    try:
        yield directory
    finally:
        launcher.kill(directory)


# ------------------------------------------------------------------ jar cache (no broker)


def _fake_cache(root: Path, size: int) -> Path:
    jars = root / f"kafka-{launcher.KAFKA_VERSION}" / "jars"
    jars.mkdir(parents=True)
    (jars / "kafka_2.13.jar").write_bytes(b"x" * 10)
    (jars / launcher.MARKER_NAME).write_text(json.dumps({"kafka_2.13.jar": size}))
    return jars


def test_ensure_jars_complete_cache_skips_mvn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSEILS_CACHE_DIR", str(tmp_path))
    jars = _fake_cache(tmp_path, size=10)
    monkeypatch.setattr(shutil, "which", _forbid)
    monkeypatch.setattr(subprocess, "run", _forbid)
    assert launcher.ensure_jars() == jars


def test_ensure_jars_incomplete_cache_runs_mvn_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSEILS_CACHE_DIR", str(tmp_path))
    jars = _fake_cache(tmp_path, size=999)  # truncated jar: the marker does not match
    calls: list[list[str]] = []

    def fake_mvn(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        out = Path(next(a for a in cmd if a.startswith("-DoutputDirectory=")).split("=", 1)[1])
        (out / "kafka_2.13.jar").write_bytes(b"y" * 999)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "run", fake_mvn)
    messages: list[str] = []
    assert launcher.ensure_jars(messages.append) == jars
    assert len(calls) == 1
    assert messages
    assert (jars / "kafka_2.13.jar").stat().st_size == 999
    monkeypatch.setattr(subprocess, "run", _forbid)
    assert launcher.ensure_jars() == jars


@pytest.mark.kafka
def test_second_ensure_jars_does_not_run_mvn(monkeypatch: pytest.MonkeyPatch) -> None:
    jars = launcher.ensure_jars()  # real cache, downloads at most once per machine
    assert len(list(jars.glob("*.jar"))) > 40
    monkeypatch.setattr(shutil, "which", _forbid)
    monkeypatch.setattr(subprocess, "run", _forbid)
    monkeypatch.setattr(subprocess, "Popen", _forbid)
    assert launcher.ensure_jars() == jars


# ---------------------------------------------------------------------------- CLI


def test_cli_status_without_broker_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    result = CliRunner().invoke(app, ["kafka", "status", "--json", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"running": False}


# ------------------------------------------------------------------- real broker


@pytest.mark.kafka
def test_broker_lifecycle(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = launcher.start(state_dir)
    assert info.bootstrap == f"127.0.0.1:{info.port}"
    assert info.pid is not None
    assert not info.external
    assert json.loads((state_dir / "broker.json").read_text())["pid"] == info.pid

    topic = f"launcher-{uuid.uuid4().hex[:8]}"
    asyncio.run(_produce(info.bootstrap, topic, b"bonjour"))
    assert asyncio.run(_consume_one(info.bootstrap, topic)) == b"bonjour"

    assert launcher.status(state_dir) == info
    assert launcher.start(state_dir) == info  # healthy broker reused, not duplicated

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", info.bootstrap)
    external = launcher.start(state_dir / "unused", timeout=10)
    assert external.external
    assert external.pid is None
    assert external.bootstrap == info.bootstrap
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS")

    assert launcher.stop(state_dir) == info
    assert launcher.status(state_dir) is None
    assert not (state_dir / "broker.json").exists()
    assert launcher.stop(state_dir) is None


@pytest.mark.kafka
def test_kill_then_restart_on_same_ports_keeps_data(state_dir: Path) -> None:
    info = launcher.start(state_dir)
    topic = f"fault-{uuid.uuid4().hex[:8]}"
    asyncio.run(_produce(info.bootstrap, topic, b"avant la panne"))

    killed = launcher.kill(state_dir)
    assert killed == info
    assert launcher.status(state_dir) is None

    again = launcher.restart_same_ports(info)
    assert again.bootstrap == info.bootstrap
    assert again.pid != info.pid
    assert launcher.status(state_dir) == again
    assert asyncio.run(_consume_one(again.bootstrap, topic)) == b"avant la panne"
    assert launcher.stop(state_dir) == again
