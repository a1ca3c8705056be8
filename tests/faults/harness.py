"""Shared pieces of the fault tests: real service processes that can be
SIGKILLed and restarted, an SMTP server that can go down and come back on the
same port, a private Kafka broker, and the mailbox accounting that proves
"exactly once per (event, recipient, channel)".

Not a test module (no `test_` prefix): imported by the fault and e2e tests.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from icalendar import Calendar

from conseils_cli.kafka.grants import ADMIN, OPS, SERVICE_GRANTS
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import (
    CouncilRegistered,
    Event,
    EventMetadata,
    InstanceRescheduled,
    InstanceScheduled,
    MemberContactCard,
    MemberJoined,
    to_kafka_headers,
    topic_name,
)
from conseils_web.mailbox import MailCatcher, _free_port, load_mail
from tests.e2e.secured_kafka import SecuredKafka, current_secured

LONG = os.environ.get("CONSEILS_LONG_FAULTS", "").lower() in {"1", "true", "yes"}


# --------------------------------------------------------------------------- principals


def secured(bootstrap: str, kafka: SecuredKafka | None = None) -> SecuredKafka | None:
    """The secured broker behind `bootstrap` (`kafka` when given: a test's private one), or None
    on a plaintext broker."""
    if kafka is not None:
        return kafka
    shared = current_secured()
    return shared if shared is not None and shared.bootstrap == bootstrap else None


def principal(bootstrap: str, name: str, kafka: SecuredKafka | None = None) -> KafkaSecurity:
    """`name`'s credentials on a secured broker; plaintext (no credentials) otherwise."""
    broker = secured(bootstrap, kafka)
    return broker.security(name) if broker is not None else KafkaSecurity.model_construct()  # plaintext


def owner_of(topic: str) -> str:
    """The service whose principal writes `topic` (a base topic name, e.g. "registry.members")."""
    return next(name for name, grants in SERVICE_GRANTS.items() if topic in grants.produces)


def client_kwargs(bootstrap: str, name: str, kafka: SecuredKafka | None = None) -> dict[str, object]:
    """`bootstrap_servers` and `name`'s SASL settings, for an aiokafka client of the test."""
    return {"bootstrap_servers": bootstrap, **principal(bootstrap, name, kafka).aiokafka_kwargs()}


def ops_kwargs(bootstrap: str, kafka: SecuredKafka | None = None) -> dict[str, object]:
    """The test's own reads (topics, dead letters, group offsets): the operator's principal."""
    return client_kwargs(bootstrap, OPS, kafka)


def probe_identity(bootstrap: str, kafka: SecuredKafka | None = None) -> dict[str, Any]:
    """The `ServiceSettings` fields of a test's probe service: it consumes registry.councils and
    dead-letters what it cannot handle, as `meetings` does, under the meetings principal's ACLs
    (its consumer groups are `<territory>.meetings.*`). What it consumes is written as `registry`."""
    return {"service_name": "meetings", **principal(bootstrap, "meetings", kafka).settings_values()}


async def read_topic(
    bootstrap: str, topic: str, count: int, timeout: float = 60, kafka: SecuredKafka | None = None
) -> list[Any]:
    """Up to `count` records of `topic` from its beginning, read as `ops` (dead letters too)."""
    consumer = AIOKafkaConsumer(
        topic, **ops_kwargs(bootstrap, kafka), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def publish_raw(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[bytes, bytes, dict[str, str]]],
    owner: str = "registry",
) -> None:
    """Raw (value, key, headers) records written to `topic` as its owner's principal would."""
    producer = AIOKafkaProducer(**client_kwargs(bootstrap, owner), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for value, key, headers in records:
            await producer.send_and_wait(
                topic, value, key=key, headers=[(name, text.encode()) for name, text in headers.items()]
            )
    finally:
        await producer.stop()


# --------------------------------------------------------------------------- processes


class ServiceProcess:
    """`python -m conseils_<service>` on a free port; SIGKILL and restart at will."""

    def __init__(self, service: str, env: dict[str, str], log_dir: Path, *, port: int | None = None) -> None:
        self.service = service
        self.env = env
        self.port = port or _free_port()
        self.log_dir = log_dir
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.log_dir / f"{self.service}-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"conseils_{self.service}"],
            env={**self.env, f"CONSEILS_{self.service.upper()}_PORT": str(self.port)},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    async def wait_ready(self, timeout: float = 90) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.service} exited:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.service} not ready after {timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Smtp:
    """A real SMTP server (aiosmtpd) writing .eml files; stop and start again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self._catcher: MailCatcher | None = None

    def start(self) -> None:
        self._catcher = MailCatcher(self.directory, port=self.port)
        self._catcher.start()

    def stop(self) -> None:
        if self._catcher is not None:
            self._catcher.stop()
            self._catcher = None


def notifications_env(
    bootstrap: str,
    territory: str,
    database_url: str,
    smtp_port: int,
    kafka: SecuredKafka | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The notifications process's environment; on a secured broker it connects as `notifications`."""
    env = {
        **os.environ,
        **principal(bootstrap, "notifications", kafka).env(),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "CONSEILS_TERRITORY": territory,
        "CONSEILS_NOTIFICATIONS_DATABASE_URL": database_url,
        "CONSEILS_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "CONSEILS_NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "CONSEILS_NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "5",
        "CONSEILS_NOTIFICATIONS_SMTP_RATE_PER_SECOND": "40",
        "CONSEILS_NOTIFICATIONS_SMTP_CONCURRENCY": "2",
        "CONSEILS_NOTIFICATIONS_SENDER_POLL_SECONDS": "0.3",
        "CONSEILS_NOTIFICATIONS_SENDER_BACKOFF_SECONDS": "0.5",
        "CONSEILS_NOTIFICATIONS_SENDER_MAX_ATTEMPTS": "12",
        # a killed sender's claimed rows come back after the lease: short, so the test is short
        "CONSEILS_NOTIFICATIONS_SENDER_LEASE_SECONDS": "6",
        "CONSEILS_NOTIFICATIONS_LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


# --------------------------------------------------------------------------- events


class Publisher:
    """A third party's producer; a new connection per batch so a broker restart costs nothing."""

    def __init__(self, bootstrap: str, territory: str, kafka: SecuredKafka | None = None) -> None:
        self.bootstrap = bootstrap
        self.territory = territory
        self.kafka = kafka

    async def send(self, events: Iterable[Event]) -> None:
        """Each event written as the service that owns its topic (registry, meetings) would."""
        by_owner: dict[str, list[Event]] = collections.defaultdict(list)
        for event in events:
            by_owner[owner_of(event.topic)].append(event)
        for owner, owned in by_owner.items():
            await self._send_as(owner, owned)

    async def _send_as(self, owner: str, events: list[Event]) -> None:
        producer = AIOKafkaProducer(
            **client_kwargs(self.bootstrap, owner, self.kafka),
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=20000,
        )
        await producer.start()
        try:
            for event in events:
                metadata = EventMetadata(
                    source="/tests/faults", type=event.event_type, subject=event.partition_key()
                )
                await producer.send_and_wait(
                    topic_name(self.territory, event.topic),
                    event.model_dump_json().encode(),
                    key=event.partition_key().encode(),
                    headers=to_kafka_headers(metadata),
                )
        finally:
            await producer.stop()


@dataclass
class Population:
    council_id: uuid.UUID
    members: list[tuple[uuid.UUID, str]]  # (member id, email)

    def events(self, territory: str) -> list[Event]:
        events: list[Event] = [
            CouncilRegistered(
                council_id=self.council_id,
                territory=territory,
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="Franc-Moisin",
                name="Conseil citoyen Franc-Moisin",
            )
        ]
        for index, (member_id, email) in enumerate(self.members):
            events.append(
                MemberJoined(
                    member_id=member_id,
                    council_id=self.council_id,
                    college="habitants",
                    joined_on=date(2025, 1, 1),
                    themes_followed=["emploi"],
                )
            )
            events.append(
                MemberContactCard(
                    member_id=member_id,
                    display_name=f"Membre {index}",
                    email=email,
                    consent_given_at=datetime(2025, 1, 1, tzinfo=UTC),  # no consent: no email
                )
            )
        return events


def population(size: int) -> Population:
    return Population(
        uuid.uuid4(),
        [(uuid.uuid4(), f"membre{index}.{uuid.uuid4().hex[:6]}@demo.example") for index in range(size)],
    )


def scheduled(days_ahead: int = 30) -> InstanceScheduled:
    starts = datetime.now(UTC).replace(hour=17, minute=30, second=0, microsecond=0) + timedelta(
        days=days_ahead
    )
    return InstanceScheduled(
        instance_id=uuid.uuid4(),
        instance_type="comite-technique",
        title="Comité technique Emploi",
        theme="emploi",
        scope="theme",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Mairie de Saint-Denis",
        is_political=False,
        is_evening=True,
    )


def rescheduled(first: InstanceScheduled, sequence: int) -> InstanceRescheduled:
    starts = first.starts_at + timedelta(days=sequence)
    return InstanceRescheduled(
        instance_id=first.instance_id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Maison de quartier Franc-Moisin",
        previous_starts_at=first.starts_at + timedelta(days=sequence - 1),
        sequence=sequence,
    )


# --------------------------------------------------------------------------- mailbox accounting

Key = tuple[str, int, str]  # (instance id from the ICS UID, ICS SEQUENCE, recipient address)
_DELIVERY_IN_MESSAGE_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@")


@dataclass
class Tally:
    """Emails per (instance, sequence, recipient) in the mailbox, and the delivery rows that sent them."""

    counts: collections.Counter[Key]
    deliveries: dict[Key, list[str]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def duplicates(self) -> dict[Key, list[str]]:
        return {key: self.deliveries[key] for key, count in self.counts.items() if count > 1}

    def duplicates_from_distinct_deliveries(self) -> dict[Key, list[str]]:
        """Two delivery rows for one (event, recipient, channel): idempotency broken (never allowed)."""
        return {key: ids for key, ids in self.duplicates().items() if len(set(ids)) > 1}


def tally(directory: Path) -> Tally:
    counts: collections.Counter[Key] = collections.Counter()
    deliveries: dict[Key, list[str]] = collections.defaultdict(list)
    for file in sorted(directory.glob("*.eml")):
        mail = load_mail(file)
        for name, _kind, data in mail.attachments():
            if not name.endswith(".ics"):
                continue
            event = Calendar.from_ical(data).walk("VEVENT")[0]
            key = (
                str(event["UID"]).split("@", maxsplit=1)[0],
                int(event.get("SEQUENCE", 0)),
                parseaddr(mail.recipients)[1],
            )
            counts[key] += 1
            found = _DELIVERY_IN_MESSAGE_ID.search(str(mail.message.get("Message-ID", "")))
            deliveries[key].append(found.group(1) if found else "?")
    return Tally(counts, deliveries)


async def wait_for_mail(directory: Path, expected: int, timeout: float, database_url: str) -> Tally:
    """The mailbox once `expected` emails arrived and the sender has nothing left to send: no
    delivery row is `pending` or `sending` (a row is marked `sent` only after SMTP accepted it,
    and the SMTP server writes the file before it accepts). Only a row still open could send a
    late duplicate, so this positive signal replaces a fixed pause."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if tally(directory).total >= expected:
            break
        await asyncio.sleep(0.5)
    while asyncio.get_running_loop().time() < deadline:
        with contextlib.suppress(Exception):  # the database may be briefly away
            if await count_rows(database_url, "deliveries", "status IN ('pending', 'sending')") == 0:
                break
        await asyncio.sleep(0.3)
    else:
        raise AssertionError(f"deliveries still pending or sending after {timeout}s")
    return tally(directory)


def expected_keys(
    instances: Iterable[InstanceScheduled], sequences: Iterable[int], emails: Iterable[str]
) -> set[Key]:
    emails = list(emails)
    sequences = list(sequences)
    return {(str(i.instance_id), s, e) for i in instances for s in sequences for e in emails}


async def count_rows(database_url: str, table: str, where: str = "TRUE") -> int:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await connection.fetchval(f'SELECT count(*) FROM "{table}" WHERE {where}'))  # noqa: S608 - test constants
    finally:
        await connection.close()


async def wait_rows(database_url: str, table: str, expected: int, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    count = -1
    while asyncio.get_running_loop().time() < deadline:
        try:
            count = await count_rows(database_url, table)
        except Exception:  # the table does not exist yet (migrations at start)
            count = -1
        if count >= expected:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{table}: {count} rows after {timeout}s, expected {expected}")


async def delete_territory_topics(bootstrap: str, territory: str, kafka: SecuredKafka | None = None) -> None:
    """Drop a test territory's topics (as `admin` on a secured broker): a shared dev broker
    (512 MiB heap) runs out of memory when every test leaves ~30 topics behind."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap, ADMIN, kafka), request_timeout_ms=10000)
    # best effort: never turn a passing test red because cleaning up failed
    with contextlib.suppress(Exception):
        await admin.start()
        try:
            topics = [name for name in await admin.list_topics() if name.startswith(f"{territory}.")]
            if topics:
                await admin.delete_topics(topics)
        finally:
            await admin.close()
