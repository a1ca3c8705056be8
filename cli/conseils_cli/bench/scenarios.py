"""Benchmark scenarios on the real broker. Each one measures conseils and the
same work done by the bare library (aiokafka, aiosmtplib) in the same run."""

from __future__ import annotations

import asyncio
import resource
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import Column, MetaData, String, Table, insert

from conseils_cli.bench.kafka_tools import own_name
from conseils_runtime.kafka_security import aiokafka_kwargs

Progress = Callable[[str, int, int], None]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _create_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **aiokafka_kwargs())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def raw_kafka_round_trip(bootstrap: str, count: int, rate: float) -> list[float]:
    """aiokafka alone: idempotent producer (acks=all) to a consumer, latency per message."""
    topic = own_name("bench-raw-", 8)
    await _create_topic(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{topic}-g",
        **aiokafka_kwargs(),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **aiokafka_kwargs()
    )
    await consumer.start()
    await producer.start()
    latencies: list[float] = []
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)

        async def receive() -> None:
            while len(latencies) < count:
                batch = await consumer.getmany(timeout_ms=200)
                now = time.perf_counter()
                for records in batch.values():
                    latencies.extend(now - float(record.value.decode()) for record in records)

        receiver = asyncio.create_task(receive())
        for index in range(count):
            await producer.send(topic, str(time.perf_counter()).encode(), key=str(index % 50).encode())
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(receiver, timeout=120)
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies


async def event_hop(
    bootstrap: str, producer_url: str, consumer_url: str, count: int, rate: float
) -> list[float]:
    """conseils: state change + outbox in one transaction, relayed, consumed by another service."""
    from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
    from conseils_schemas import CouncilRegistered

    territory = own_name("bench", 8)
    # When each event was committed and when its handler ran. The relay may publish, and the
    # consumer handle, an event before the producer's loop gets back from its commit: so arrivals
    # are kept by name and matched afterwards (matching in the handler lost those events, and the
    # run waited for them until its timeout).
    committing: dict[str, float] = {}
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done = asyncio.Event()
    producer_metadata = MetaData()
    councils = Table("councils", producer_metadata, Column("id", String(36), primary_key=True))
    producer = ServiceRuntime(
        ServiceSettings(
            service_name="bench-producer",
            territory=territory,
            kafka_bootstrap_servers=bootstrap,
            database_url=producer_url,
            outbox_poll_seconds=0.05,
            log_json=False,
            log_level="WARNING",
        ),
        producer_metadata,
    )
    consumer_runtime = ServiceRuntime(
        ServiceSettings(
            service_name="bench-consumer",
            territory=territory,
            kafka_bootstrap_servers=bootstrap,
            database_url=consumer_url,
            log_json=False,
            log_level="WARNING",
        ),
        MetaData(),
    )
    read_model = consumer_runtime.consumer("read-model")

    warmed_up = asyncio.Event()

    @read_model.on(CouncilRegistered)
    async def handle(event: CouncilRegistered, _context: EventContext) -> None:
        if event.name == "warm-up":
            warmed_up.set()
            return
        arrived.setdefault(event.name, time.perf_counter())
        if len(arrived) >= count:
            done.set()

    await producer.start()
    await consumer_runtime.start()
    try:
        # The first event waits for the consumer group to form; it is not measured.
        for index in range(-1, count):
            council_id = uuid.uuid4()
            name = f"c{index}" if index >= 0 else "warm-up"
            async with producer.database.sessionmaker() as session, session.begin():
                await session.execute(insert(councils).values(id=str(council_id)))
                await producer.outbox.add(
                    session,
                    CouncilRegistered(
                        council_id=council_id,
                        territory=territory,
                        city="Saint-Denis",
                        city_code="93066",
                        neighbourhood="bench",
                        name=name,
                        status="active",
                    ),
                )
                committing[name] = time.perf_counter()
            committed[name] = time.perf_counter()
            if index < 0:
                await asyncio.wait_for(warmed_up.wait(), timeout=60)
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(done.wait(), timeout=120)
    finally:
        await consumer_runtime.stop()
        await producer.stop()
    # From the commit's end; an event handled before the producer got back from its commit
    # counts from the commit's start.
    return [
        at - (committed[name] if committed[name] <= at else committing[name]) for name, at in arrived.items()
    ]


class _Sink:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        self.received += 1
        return "250 OK"


def sample_parts() -> tuple[str, str, bytes]:
    """Text, HTML and invitation.ics of one real invitation (rendered once by the notifications code),
    so the raw baseline sends messages of the same structure and size."""
    from datetime import UTC, datetime, timedelta

    from conseils_notifications.mail import MailSettings, build_email

    starts = datetime(2027, 1, 5, 18, 30, tzinfo=UTC)
    message = build_email(
        MailSettings(
            sender="Conseils citoyens <conseils@bench.example>",
            public_base_url="http://127.0.0.1",
            territory="bench",
            secret="bench",  # noqa: S106 - signs unsubscribe links of a sample message
        ),
        delivery_id=uuid.uuid4(),
        kind="scheduled",
        category="scheduling",
        reason="council_member",
        context={
            "instance": {
                "instance_id": str(uuid.uuid4()),
                "title": "Comité de pilotage du contrat de ville",
                "instance_type": "copil",
                "type_name": "Comité de pilotage",
                "theme": None,
                "theme_name": None,
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "location": "Hôtel de ville",
                "sequence": 0,
                "status": "scheduled",
            }
        },
        member_id=uuid.uuid4(),
        display_name="Membre 1",
        email="membre1@bench.example",
    )
    text = html = ""
    ics = b""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = str(part.get_content())
        elif part.get_content_type() == "text/html":
            html = str(part.get_content())
        elif part.get_content_type() == "text/calendar":
            content = part.get_content()
            ics = content if isinstance(content, bytes) else str(content).encode()
    return text, html, ics


async def raw_smtp_throughput(
    count: int, connections: int = 4, parts: tuple[str, str, bytes] | None = None
) -> float:
    """aiosmtplib alone: `count` messages over `connections` reused connections to a local sink.

    With `parts`, each message is text + HTML + invitation.ics like a real invitation
    (built with the standard library, no template, no database)."""
    import aiosmtplib
    from aiosmtpd.controller import Controller

    from conseils_cli.kafka.processes import free_port

    sink = _Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(count):
            queue.put_nowait(index)

        async def worker() -> None:
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
            await client.connect()
            try:
                while not queue.empty():
                    index = queue.get_nowait()
                    message = EmailMessage()
                    message["From"] = "bench@conseils.example"
                    message["To"] = f"m{index}@demo.example"
                    message["Subject"] = "Comité technique « Emploi »"
                    if parts is None:
                        message.set_content("Bonjour, vous êtes invité·e.")
                    else:
                        message.set_content(parts[0], subtype="plain", charset="utf-8")
                        message.add_alternative(parts[1], subtype="html", charset="utf-8")
                        message.add_attachment(
                            parts[2], maintype="text", subtype="calendar", filename="invitation.ics"
                        )
                    await client.send_message(message)
            finally:
                await client.quit()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    return count / elapsed
