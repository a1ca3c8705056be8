"""`runtime.stop()` has a bounded wait: with Kafka gone (SIGKILLed broker), a service
still stops within `stop_timeout_seconds` (and disposes its database), instead of
waiting on the dead broker without end.

The broker is one of the test's own (a temporary state directory), never the shared one."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conseils_cli.kafka import launcher
from conseils_runtime import service as service_module
from tests.runtime.test_consumer_and_outbox import Probe, council

STOP_TIMEOUT = 4.0


@pytest.fixture
def own_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[launcher.BrokerInfo]:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    state_dir = tmp_path / "kafka"
    info = launcher.start(state_dir)
    try:
        yield info
    finally:
        launcher.stop(state_dir)


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_service_stops_within_its_timeout_while_kafka_is_down(
    own_broker: launcher.BrokerInfo, tmp_path: Path, territory: str
) -> None:
    probe = Probe(own_broker.bootstrap, f"sqlite+aiosqlite:///{tmp_path}/probe.db", territory)
    probe.runtime.settings.stop_timeout_seconds = STOP_TIMEOUT
    # Offsets of processed events are committed by batches: keep the first one's for the stop.
    probe.runtime.consumers[0]._commit_interval = 600
    await probe.runtime.start()
    council_id = uuid.uuid4()
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("before the outage", council_id))
    await probe.wait_for_effects(1)
    assert own_broker.state_dir is not None
    await asyncio.to_thread(launcher.kill, own_broker.state_dir)
    # Work in flight when the broker dies: an event to relay, an offset to commit.
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("during the outage", council_id))

    disposed: list[bool] = []
    dispose = probe.runtime.database.dispose

    async def recorded_dispose() -> None:
        disposed.append(True)
        await dispose()

    probe.runtime.database.dispose = recorded_dispose  # type: ignore[method-assign]
    started = time.monotonic()
    await asyncio.wait_for(probe.runtime.stop(), timeout=STOP_TIMEOUT + 60)
    elapsed = time.monotonic() - started
    assert elapsed < STOP_TIMEOUT + 3, f"stop took {elapsed:.1f} s"
    assert disposed == [True]


async def test_a_stop_step_that_ignores_its_cancellation_does_not_hold_the_stop() -> None:
    disposed: list[str] = []
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():  # swallows every cancellation, like a client that "cleans up" forever
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    async def dispose() -> None:
        disposed.append("database")

    started = time.monotonic()
    await service_module._bounded("stubborn", stubborn, 0.2)
    await service_module._bounded("database", dispose, 0.2)
    elapsed = time.monotonic() - started
    release.set()  # the abandoned step may now end: the test's loop closes at once, not after 30 s
    await asyncio.sleep(0)
    assert elapsed < 0.2 + service_module._LAST_STEP_SECONDS + 0.5
    assert disposed == ["database"]
