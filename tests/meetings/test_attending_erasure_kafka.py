"""Her needs to come, her attestations and her receipts go with her: a MemberErased published on
the registry's topic reaches the meetings consumer on the real broker, which deletes them (the
receipt's file too) in the consumer's transaction; her claim stays, ids and amount only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from conseils_meetings.app import create_app
from conseils_meetings.attending_tables import attestations, claim_receipts, cost_claims, needs
from conseils_meetings.service import MeetingsService
from conseils_schemas import CouncilRegistered, MemberErased, MemberJoined

from .conftest import NOW, STAFF, Clock, auth, meetings_settings
from .test_api import EVENING, instance_body
from .test_attending import PNG
from .test_flow_kafka import publish_as_registry, wait_for_member

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def count(service: MeetingsService, table: object) -> int:
    async with service.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_an_erased_member_takes_her_needs_attestations_and_receipts_with_her(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    council_id, member_id, other_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    joined = date(2026, 9, 1)
    await publish_as_registry(
        kafka_bootstrap,
        territory,
        [
            CouncilRegistered(
                council_id=council_id,
                territory=territory,
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="Franc-Moisin",
                name="Conseil citoyen Franc-Moisin",
            ),
            MemberJoined(member_id=member_id, council_id=council_id, college="habitants", joined_on=joined),
            MemberJoined(member_id=other_id, council_id=council_id, college="habitants", joined_on=joined),
        ],
    )
    settings = meetings_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}",
        tmp_path,
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings)
    service: MeetingsService = app.state.service
    service.clock = Clock(NOW)
    async with app.router.lifespan_context(app):
        await wait_for_member(service, member_id)
        await wait_for_member(service, other_id)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            held_id = (
                await client.post("/instances", json=instance_body("copil", EVENING), headers=STAFF)
            ).json()["id"]
            later = EVENING + timedelta(days=7)
            upcoming_id = (
                await client.post("/instances", json=instance_body("copil", later), headers=STAFF)
            ).json()["id"]
            for person in (member_id, other_id):
                for iid in (held_id, upcoming_id):
                    response = await client.post(
                        f"/instances/{iid}/registrations",
                        json={"mode": "participant"},
                        headers=auth("councillor", person),
                    )
                    assert response.status_code == 200, response.text
                body = {"needs": [{"kind": "childcare", "children": 1, "ages": [4]}]}
                assert (
                    await client.put(
                        f"/instances/{upcoming_id}/needs/me", json=body, headers=auth("councillor", person)
                    )
                ).is_success
            service.clock = Clock(EVENING + timedelta(hours=3))
            present = {"present_member_ids": [str(member_id), str(other_id)]}
            assert (
                await client.post(f"/instances/{held_id}/attendance", json=present, headers=STAFF)
            ).is_success
            for person in (member_id, other_id):
                claimed = await client.post(
                    f"/instances/{held_id}/claims",
                    data={"kind": "transport", "amount": "5"},
                    files={"receipt": ("ticket.png", PNG, "image/png")},
                    headers=auth("councillor", person),
                )
                assert claimed.status_code == 201, claimed.text
                attestation = {"name": "Une Personne", "verify_url": "http://x/attestation/verifier"}
                assert (
                    await client.post(
                        f"/me/attestations/{held_id}", json=attestation, headers=auth("councillor", person)
                    )
                ).is_success
        files = sorted(settings.documents_dir.glob("*"))
        assert len(files) == 2
        assert (
            await count(service, needs),
            await count(service, claim_receipts),
            await count(service, attestations),
        ) == (2, 2, 2)

        await publish_as_registry(
            kafka_bootstrap, territory, [MemberErased(member_id=member_id, erased_at=datetime.now(UTC))]
        )
        deadline = asyncio.get_running_loop().time() + 60
        while await count(service, needs) != 1:
            assert asyncio.get_running_loop().time() < deadline, "the erasure never reached the needs"
            await asyncio.sleep(0.2)
        assert await count(service, claim_receipts) == 1
        assert await count(service, attestations) == 1
        assert await count(service, cost_claims) == 2  # the claims stay: ids and amounts, for the accounts
        assert len(sorted(settings.documents_dir.glob("*"))) == 1  # her receipt's file is gone
        async with service.database.sessionmaker() as session:
            left = set(await session.scalars(select(needs.c.member_id)))
        assert left == {other_id}
