"""An event committed while Kafka is down is relayed once Kafka is back.

This test starts a broker of its own (in a temporary state directory) so it
can SIGKILL and restart it without disturbing the shared one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from conseils_cli.kafka import launcher
from conseils_runtime import ServiceRuntime, ServiceSettings
from conseils_schemas import CouncilRegistered, topic_name
from tests.runtime.test_consumer_and_outbox import council, read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[launcher.BrokerInfo]:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    state_dir = tmp_path / "kafka"
    info = launcher.start(state_dir)
    try:
        yield info
    finally:
        launcher.stop(state_dir)


async def test_event_committed_while_kafka_is_down_is_relayed_when_it_is_back(
    own_broker: launcher.BrokerInfo, database_url: str, territory: str
) -> None:
    settings = ServiceSettings(
        service_name="probe",
        territory=territory,
        kafka_bootstrap_servers=own_broker.bootstrap,
        database_url=database_url,
        outbox_poll_seconds=0.2,
        log_json=False,
    )
    runtime = ServiceRuntime(settings, MetaData())
    await runtime.start()
    try:
        assert own_broker.state_dir is not None
        await asyncio.to_thread(launcher.kill, own_broker.state_dir)
        event = council("written during the outage", uuid.uuid4())
        async with runtime.database.sessionmaker() as session, session.begin():
            await runtime.outbox.add(session, event)
        await asyncio.sleep(3)  # the relay tries, fails, and keeps the row
        assert await runtime.relay.pending_count() == 1
        assert (await runtime.readiness())["kafka"] != "ok"

        await asyncio.to_thread(launcher.restart_same_ports, own_broker)
        deadline = asyncio.get_running_loop().time() + 90
        while await runtime.relay.pending_count() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.5)
        assert await runtime.relay.pending_count() == 0
    finally:
        await runtime.stop()

    records = await read_topic(own_broker.bootstrap, topic_name(territory, "registry.councils"), 1)
    assert [CouncilRegistered.model_validate_json(r.value).name for r in records] == [event.name]
    assert dict(records[0].headers)["ce_type"] == CouncilRegistered.event_type.encode()
