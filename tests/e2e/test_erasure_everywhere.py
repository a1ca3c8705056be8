"""Right to erasure end to end: the three services run on the real broker with
their own PostgreSQL databases; a councillor is invited, registers, gets
emails, changes her preferences, one of her contact cards lands in the
dead-letter topic; then staff erase her in the registry.

Afterwards no column of any table of the three databases (read models,
delivery log, outboxes, processed events) holds her name, email or phone; no
topic of the territory carries them except the compacted contacts topic, and
her key on the contacts dead-letter topic (compacted too) ends with a tombstone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from conseils_runtime.kafka_security import KafkaSecurity
from conseils_schemas import (
    REGISTRY_MEMBER_CONTACTS,
    EventMetadata,
    MemberContactCard,
    dlq_topic,
    to_kafka_headers,
    topic_name,
)
from conseils_web.mailbox import MailCatcher, read_mailbox
from tests.conftest import _fresh_postgres_database
from tests.e2e.secured_kafka import SecuredKafka
from tests.e2e.stack import eventually, running_stack, seed_people
from tests.support.asyncapi_records import Catalogue

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.e2e]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[MailCatcher]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.fixture
async def databases() -> AsyncIterator[dict[str, str]]:
    async with contextlib.AsyncExitStack() as stack:
        urls = {}
        for name in ("registry", "meetings", "notifications"):
            generator = _fresh_postgres_database()
            urls[name] = await generator.__anext__()
            stack.push_async_callback(generator.aclose)  # type: ignore[attr-defined]
        yield urls


def traces_of(person: dict[str, Any]) -> list[str]:
    phone = person["phone"]
    national = "0" + phone.removeprefix("+33") if phone.startswith("+33") else phone
    plain = [person["display_name"], person["display_name"].split()[-1], person["email"], phone, national]
    return plain + [json.dumps(trace)[1:-1] for trace in plain if json.dumps(trace)[1:-1] != trace]


async def every_value(database_url: str) -> AsyncIterator[tuple[str, str, str]]:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = [
            row["table_name"]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        assert tables, database_url
        for table in tables:
            for row in await connection.fetch(f'SELECT * FROM "{table}"'):  # noqa: S608 - catalogue names
                for column, value in row.items():
                    if isinstance(value, bytes | memoryview):
                        yield table, column, bytes(value).decode("utf-8", "replace")
                    elif value is not None:
                        yield table, column, str(value)
    finally:
        await connection.close()


async def holds_any(database_url: str, traces: list[str]) -> bool:
    async for _table, _column, value in every_value(database_url):
        if any(trace.lower() in value.lower() for trace in traces):
            return True
    return False


async def dump_topics(bootstrap: str, territory: str, security: KafkaSecurity) -> dict[str, list[Any]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security.aiokafka_kwargs())
    await admin.start()
    try:
        topics = [name for name in await admin.list_topics() if name.startswith(f"{territory}.")]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partition_ids = {info["topic"]: [p["partition"] for p in info["partitions"]] for info in described}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **security.aiokafka_kwargs()
    )
    await consumer.start()
    dump: dict[str, list[Any]] = {}
    try:
        for topic in topics:
            partitions = [TopicPartition(topic, p) for p in partition_ids[topic]]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            records: list[Any] = []

            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batch = await consumer.getmany(*partitions, timeout_ms=1000)
                for chunk in batch.values():
                    records.extend(chunk)
            dump[topic] = records
    finally:
        await consumer.stop()
    return dump


async def cleanup_policy(bootstrap: str, topic: str, security: KafkaSecurity) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security.aiokafka_kwargs())
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    entries = response.resources[0][4]  # (error, message, type, name, configs)
    return next(str(entry[1]) for entry in entries if entry[0] == "cleanup.policy")


def record_text(record: Any) -> str:
    parts = [record.key or b"", record.value or b""] + [value for _, value in record.headers]
    return " ".join(part.decode(errors="replace") for part in parts)


async def test_erasing_a_member_leaves_no_trace_in_any_database_or_topic(  # noqa: PLR0917 - fixtures
    kafka_bootstrap: str,
    secured_kafka: SecuredKafka,
    territory: str,
    databases: dict[str, str],
    mailbox: MailCatcher,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")  # aiosmtpd: her mail server, not ours
    async with running_stack(
        kafka_bootstrap, territory, databases, tmp_path, smtp_port=mailbox.port, kafka=secured_kafka
    ) as stack:
        await seed_people(stack)
        her_id: uuid.UUID = stack.data["councillor"]
        her = next(p for p in stack.data["people"] if p["id"] == str(her_id))
        as_her = stack.headers("councillor", member_id=her_id, council_id=stack.data["council_a"])
        instance = stack.data["instance"]

        registered = await stack.call(
            "meetings", "POST", f"/instances/{instance}/registrations", as_her, json={"mode": "observer"}
        )
        assert registered.status_code < 300, registered.text
        prefs = await stack.call(
            "notifications",
            "PUT",
            f"/notifications/members/{her_id}/preferences",
            as_her,
            json={"channels": ["email"], "digest": False},
        )
        assert prefs.status_code < 300, prefs.text
        assert (
            await stack.call("notifications", "POST", f"/notifications/members/{her_id}/feed-token", as_her)
        ).status_code < 300

        # a contact card of hers that the notifications service cannot read: dead-lettered
        contacts_topic = topic_name(territory, REGISTRY_MEMBER_CONTACTS)
        # written as the registry, the only principal allowed to write the contacts topic
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, **secured_kafka.security("registry").aiokafka_kwargs()
        )
        await producer.start()
        try:
            metadata = EventMetadata(
                source="/tests/erasure", type=MemberContactCard.event_type, subject=str(her_id)
            )
            broken = {
                "member_id": str(her_id),
                "display_name": her["display_name"],
                "email": her["email"] + " (ancienne adresse)",
                "phone": her["phone"],
                "language": "fr",
            }
            await producer.send_and_wait(
                contacts_topic,
                json.dumps(broken).encode(),
                key=str(her_id).encode(),
                headers=to_kafka_headers(metadata),
            )
        finally:
            await producer.stop()

        def her_mail() -> list[Any]:
            return [m for m in read_mailbox(mailbox.directory, limit=1000) if her["email"] in m.recipients]

        async def got_mail() -> bool:
            return len(her_mail()) >= 1

        # Generous: under load her contact card may reach the notifications service after the
        # invitation, which then waits for it (retries with backoff) before going out.
        await eventually(got_mail, timeout=150, what="an email reached her")

        async def dead_lettered() -> bool:
            dump = await dump_topics(kafka_bootstrap, territory, secured_kafka.ops)
            return any(r.key == str(her_id).encode() for r in dump.get(dlq_topic(contacts_topic), []))

        await eventually(dead_lettered, timeout=60, what="her broken card is in the contacts DLQ")

        # she can download what is held about her (right of access) ...
        export = await stack.call("registry", "GET", f"/members/{her_id}/data", as_her)
        assert export.status_code == 200, export.text
        assert her["email"] in export.text
        assert her["display_name"] in export.text

        traces = traces_of(her)
        before = {service for service, url in databases.items() if await holds_any(url, traces)}
        assert before == {"registry", "notifications"}, "the scan must see her data before the erasure"

        erased = await stack.call("registry", "DELETE", f"/members/{her_id}", stack.staff)
        assert erased.status_code == 204, erased.text

        async def forgotten_everywhere() -> bool:
            contacts = {uuid.UUID(str(r["member_id"])) for r in await stack.rows("notifications", "contacts")}
            pending = [
                r for r in await stack.rows("registry", "outbox_messages") if r["published_at"] is None
            ]
            return her_id not in contacts and not pending

        await eventually(forgotten_everywhere, timeout=60, what="erasure reached the notifications service")

        async def settled_everywhere() -> bool:
            """Meetings' read model marked her erased, and every service's outbox is relayed."""
            mine = [
                r for r in await stack.rows("meetings", "members") if uuid.UUID(str(r["member_id"])) == her_id
            ]
            relayed = [
                not [r for r in await stack.rows(service, "outbox_messages") if r["published_at"] is None]
                for service in ("registry", "meetings", "notifications")
            ]
            return all(bool(r["erased"]) for r in mine) and all(relayed)

        await eventually(settled_everywhere, timeout=60, what="meetings' consumer and every relay")

        found = []
        for service, url in databases.items():
            async for table, column, value in every_value(url):
                found += [
                    (service, table, column, trace) for trace in traces if trace.lower() in value.lower()
                ]
        assert found == [], f"personal data left after erasure: {found}"

        log = await stack.call("notifications", "GET", "/notifications/deliveries", stack.staff)
        assert log.status_code == 200
        assert not any(trace.lower() in log.text.lower() for trace in traces), "delivery log still names her"

        after = await stack.call("registry", "GET", f"/members/{her_id}/data", stack.staff)
        assert not any(trace.lower() in after.text.lower() for trace in traces), after.text

        dump = await dump_topics(kafka_bootstrap, territory, secured_kafka.ops)
        dlq_policy = await cleanup_policy(kafka_bootstrap, dlq_topic(contacts_topic), secured_kafka.ops)
        documents = {name: app.state.runtime.asyncapi() for name, app in stack.apps.items()}

    # every record of the flow (events, contact cards, tombstones, dead letters) is claimed by
    # exactly one message of the services' AsyncAPI documents, as an outside client would check
    def injected_here(topic: str, record: Any) -> bool:  # the broken card this test wrote itself
        return not topic.endswith(".dlq") and (b"ce_source", b"/tests/erasure") in {
            (name.encode(), value) for name, value in record.headers
        }

    records = [
        (topic, record)
        for topic, topic_records in dump.items()
        for record in topic_records
        if not injected_here(topic, record)
    ]
    assert len({topic for topic, _ in records}) >= 6, sorted(dump)
    assert Catalogue(documents).unclaimed_or_ambiguous(records) == []
    # ... and every event record decodes with the official CloudEvents SDK (Kafka binding, binary mode)
    events = [(t, r) for t, r in records if not t.endswith(".dlq") and r.value is not None]
    assert len(events) >= 10
    for topic, record in events:
        message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        event = from_binary(message, JSONFormat(), CloudEvent)
        assert event.get_specversion() == "1.0", (topic, record.offset)
        assert event.get_type() == dict(record.headers)["ce_type"].decode()
        assert event.get_time() is not None
        assert event.get_extension("correlationid"), (topic, record.offset)
        assert event.get_dataschema(), (topic, record.offset)  # ce_dataschema on every record

    # no personal data in the logs of the whole flow (structured logs on stderr, stdlib logging)
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert len(logs) > 1000, "the logs were not captured"
    leaked = [
        line
        for line in logs.splitlines()
        if any(trace.lower() in line.lower() for trace in traces) and "mail.log" not in line
    ]
    assert leaked == [], "personal data in the logs:\n" + "\n".join(line[:300] for line in leaked[:10])

    leaks = [
        (topic, record.offset, trace)
        for topic, records in dump.items()
        if topic not in {contacts_topic, dlq_topic(contacts_topic)}
        for record in records
        for trace in traces
        if trace.lower() in record_text(record).lower()
    ]
    assert leaks == [], f"personal data outside the compacted contacts topic: {leaks}"

    assert dlq_policy == "compact"
    for compacted in (contacts_topic, dlq_topic(contacts_topic)):
        hers = [r for r in dump[compacted] if r.key == str(her_id).encode()]
        assert hers, compacted
        assert hers[-1].value is None, f"no tombstone for her key on {compacted}"
