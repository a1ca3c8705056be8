"""The registry's events on the real broker, read like a third party would:
a plain aiokafka consumer on the territory's topics, CloudEvents headers in
binary mode, JSON payloads that parse with the published schemas, contact
data only on the compacted contacts topic, and a tombstone on erasure."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from conseils_registry.app import create_app
from conseils_registry.domain import council_id_for
from conseils_registry.seed import seed_territory
from conseils_registry.settings import RegistrySettings
from conseils_runtime.auth import issue_token
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    REGISTRY_COUNCILS,
    REGISTRY_MEMBER_CONTACTS,
    REGISTRY_MEMBERS,
    from_kafka_headers,
    parse_event,
    topic_name,
)
from tests.registry.conftest import SECRET

pytestmark = pytest.mark.kafka


class ThirdParty:
    """An integrator's consumer: reads the three registry topics from the beginning."""

    def __init__(self, kafka: str, territory: str) -> None:
        self.topics = {
            base: topic_name(territory, base)
            for base in (REGISTRY_COUNCILS, REGISTRY_MEMBERS, REGISTRY_MEMBER_CONTACTS)
        }
        self.consumer = AIOKafkaConsumer(
            *self.topics.values(),
            bootstrap_servers=kafka,
            group_id=f"integrator-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.records: list[Any] = []

    async def read_until(self, count: int, *, timeout: float = 60, quiet: float = 0) -> list[Any]:
        """Read until `count` records arrived, then keep listening `quiet` seconds for extra ones."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.records) < count and loop.time() < deadline:
            for batch in (await self.consumer.getmany(timeout_ms=500)).values():
                self.records.extend(batch)
        settle = loop.time() + quiet
        while loop.time() < settle:
            for batch in (await self.consumer.getmany(timeout_ms=300)).values():
                self.records.extend(batch)
        return self.records


async def test_a_third_party_reads_the_seeded_territory_and_an_erasure(
    kafka_bootstrap: str, territory: str, demo_territory: TerritoryConfig, tmp_path: Path
) -> None:
    settings = RegistrySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}",
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        auth_secret=SECRET,
        outbox_poll_seconds=0.1,
        log_json=False,
    )
    app = create_app(settings)
    third_party = ThirdParty(kafka_bootstrap, territory)
    async with app.router.lifespan_context(app):
        await third_party.consumer.start()
        try:
            await seed_territory(app.state.runtime, demo_territory)
            assert not (await seed_territory(app.state.runtime, demo_territory)).changed
            records = await third_party.read_until(44, quiet=2.0)
            assert len(records) == 44  # the second seed published nothing

            by_topic: dict[str, list[Any]] = {}
            for record in records:
                by_topic.setdefault(record.topic, []).append(record)
            councils = by_topic[third_party.topics[REGISTRY_COUNCILS]]
            members = by_topic[third_party.topics[REGISTRY_MEMBERS]]
            contacts = by_topic[third_party.topics[REGISTRY_MEMBER_CONTACTS]]
            assert (len(councils), len(members), len(contacts)) == (28, 8, 8)

            seen_ids = set()
            for record in records:
                headers = {name: value.decode() for name, value in record.headers}
                metadata = from_kafka_headers(record.headers)
                assert headers["ce_specversion"] == "1.0"
                assert headers["ce_source"] == f"/conseils/{territory}/registry"
                assert headers["ce_type"].startswith("fr.conseils.registry.")
                assert headers["ce_correlationid"]
                assert metadata.id not in seen_ids
                seen_ids.add(metadata.id)
                event = parse_event(metadata.type, record.value)
                assert record.key.decode() == event.partition_key() == metadata.subject
                if record.topic != third_party.topics[REGISTRY_MEMBER_CONTACTS]:
                    body = record.value.decode()
                    assert "@" not in body, body  # no email outside the contacts topic
                    assert not any(demo.display_name in body for demo in demo_territory.demo_members)

            council_types = [dict(r.headers)["ce_type"].decode() for r in councils]
            assert council_types.count("fr.conseils.registry.council.registered.v1") == 20
            assert council_types.count("fr.conseils.registry.referent.designated.v1") == 8
            registered = [
                json.loads(r.value) for r in councils if b"council.registered" in dict(r.headers)["ce_type"]
            ]
            assert {uuid.UUID(e["council_id"]) for e in registered} == {
                council_id_for("plaine-commune", c.slug) for c in demo_territory.councils
            }
            cards = {json.loads(r.value)["email"]: r.key.decode() for r in contacts}
            assert set(cards) == {demo.email for demo in demo_territory.demo_members}
            joined = {r.key.decode() for r in members}
            assert set(cards.values()) == joined  # each card is keyed by the member id of its MemberJoined

            # erasure: MemberErased on the members topic, a tombstone (null value) on the contacts topic
            sophie = cards["sophie.nguyen@demo.example"]
            token = issue_token(SECRET, subject=str(uuid.uuid4()), role="staff", audience="registry")
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client:
                response = await client.delete(
                    f"/members/{sophie}", headers={"Authorization": f"Bearer {token}"}
                )
            assert response.status_code == 204
            later = (await third_party.read_until(44 + 3))[44:]
            kinds = sorted(
                (
                    r.topic.rsplit(".", 1)[-1],
                    dict(r.headers).get("ce_type", b"tombstone").decode() if r.value else "tombstone",
                )
                for r in later
            )
            assert kinds == [
                ("member-contacts", "tombstone"),
                ("members", "fr.conseils.registry.member.erased.v1"),
                ("members", "fr.conseils.registry.member.left.v1"),
            ]
            assert all(r.key.decode() == sophie for r in later)
            tombstone = next(r for r in later if r.value is None)
            assert tombstone.topic == third_party.topics[REGISTRY_MEMBER_CONTACTS]
        finally:
            await third_party.consumer.stop()
