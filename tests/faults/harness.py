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

import httpx
from aiokafka import AIOKafkaProducer
from icalendar import Calendar

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

LONG = os.environ.get("CONSEILS_LONG_FAULTS", "").lower() in {"1", "true", "yes"}


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
    bootstrap: str, territory: str, database_url: str, smtp_port: int, **overrides: str
) -> dict[str, str]:
    env = {
        **os.environ,
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

    def __init__(self, bootstrap: str, territory: str) -> None:
        self.bootstrap = bootstrap
        self.territory = territory

    async def send(self, events: Iterable[Event]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all", request_timeout_ms=20000
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


async def wait_for_mail(directory: Path, expected: int, timeout: float) -> Tally:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if tally(directory).total >= expected:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # a late duplicate would show up now
    return tally(directory)


def expected_keys(
    instances: Iterable[InstanceScheduled], sequences: Iterable[int], emails: Iterable[str]
) -> set[Key]:
    emails = list(emails)
    sequences = list(sequences)
    return {(str(i.instance_id), s, e) for i in instances for s in sequences for e in emails}


async def count_rows(database_url: str, table: str) -> int:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))  # noqa: S608 - test constant
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


async def delete_territory_topics(bootstrap: str, territory: str) -> None:
    """Drop a test territory's topics: a shared dev broker (512 MiB heap) runs out of memory
    when every test leaves ~30 topics behind."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    # best effort: never turn a passing test red because cleaning up failed
    with contextlib.suppress(Exception):
        await admin.start()
        try:
            topics = [name for name in await admin.list_topics() if name.startswith(f"{territory}.")]
            if topics:
                await admin.delete_topics(topics)
        finally:
            await admin.close()
