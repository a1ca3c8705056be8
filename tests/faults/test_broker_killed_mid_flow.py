"""The Kafka broker is SIGKILLed and restarted several times while the
notifications service (a real `python -m conseils_notifications` process) is
consuming a flow of registry events and many InstanceScheduled /
InstanceRescheduled events: every expected (event, recipient, channel) email
reaches the real SMTP server exactly once.

The broker is a private one (its own state directory, its own ports) so the
shared broker of the other tests is never touched; it is secured (SASL/SCRAM and ACLs) like
every broker of the fault tests: the service connects as `notifications`, the events are written
as `registry` and `meetings`.

Default mode (CI): 5 members, 9 instances each scheduled then rescheduled
(90 emails), 3 broker kills. `CONSEILS_LONG_FAULTS=1`: 10 members,
30 instances scheduled + rescheduled twice (900 emails), 6 kills, longer outages.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conseils_cli.kafka import launcher
from conseils_schemas import Event
from tests.e2e.secured_kafka import SecuredKafka
from tests.faults.harness import (
    LONG,
    Publisher,
    ServiceProcess,
    Smtp,
    expected_keys,
    notifications_env,
    population,
    rescheduled,
    scheduled,
    wait_for_mail,
    wait_rows,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

MEMBERS = 10 if LONG else 5
WAVES = 6 if LONG else 3
PER_WAVE = 5 if LONG else 3
RESCHEDULES = 2 if LONG else 1
OUTAGE_SECONDS = 8.0 if LONG else 1.0


@dataclass(frozen=True)
class PrivateBroker:
    info: launcher.BrokerInfo
    kafka: SecuredKafka
    territory: str  # its topics and ACLs granted on this broker


@pytest.fixture
def private_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateBroker]:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    state_dir = tmp_path / "kafka"
    info = launcher.start(state_dir, secure=True)
    try:
        kafka = SecuredKafka(info.bootstrap, state_dir)
        territory = f"t{uuid.uuid4().hex[:12]}"
        kafka.grant(territory)
        yield PrivateBroker(info, kafka, territory)
    finally:
        launcher.stop(state_dir)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    server = Smtp(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_broker_sigkilled_and_restarted_mid_flow_every_email_arrives_exactly_once(
    private_broker: PrivateBroker, postgres_url: str, smtp: Smtp, tmp_path: Path
) -> None:
    broker, kafka, territory = private_broker.info, private_broker.kafka, private_broker.territory
    assert broker.state_dir is not None
    env = notifications_env(broker.bootstrap, territory, postgres_url, smtp.port, kafka)
    service = ServiceProcess("notifications", env, tmp_path)
    service.start()
    try:
        await service.wait_ready()
        publisher = Publisher(broker.bootstrap, territory, kafka)
        people = population(MEMBERS)
        await publisher.send(people.events(territory))
        await wait_rows(postgres_url, "contacts", MEMBERS)
        await wait_rows(postgres_url, "members", MEMBERS)

        instances = [scheduled(days_ahead=30 + index) for index in range(WAVES * PER_WAVE)]
        waves = [instances[w * PER_WAVE : (w + 1) * PER_WAVE] for w in range(WAVES)]
        kills = 0
        for number, wave in enumerate(waves):
            events: list[Event] = list(wave)
            if number:  # move the previous wave's instances while new ones arrive
                events += [
                    rescheduled(i, seq) for i in waves[number - 1] for seq in range(1, RESCHEDULES + 1)
                ]
            await publisher.send(events)
            await asyncio.sleep(0.5)  # the service is now consuming / sending this wave
            assert await asyncio.to_thread(launcher.kill, broker.state_dir) is not None
            kills += 1
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.to_thread(launcher.restart_same_ports, broker)
        await publisher.send([rescheduled(i, seq) for i in waves[-1] for seq in range(1, RESCHEDULES + 1)])

        expected = expected_keys(instances, range(RESCHEDULES + 1), (email for _, email in people.members))
        result = await wait_for_mail(
            smtp.directory, len(expected), timeout=600 if LONG else 150, database_url=postgres_url
        )
    finally:
        service.stop()

    assert kills == WAVES
    missing = expected - set(result.counts)
    assert not missing, (
        f"{len(missing)} emails never arrived, e.g. {sorted(missing)[:3]}\n{service.log_tail()}"
    )
    assert set(result.counts) == expected, "unexpected emails"
    assert result.duplicates() == {}, f"sent twice: {result.duplicates()}"
