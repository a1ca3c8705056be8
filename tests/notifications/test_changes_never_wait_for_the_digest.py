"""A member who chose the weekly digest gets a new instance in the digest, but a reschedule or a
cancellation of it at once: a change a week late is useless (`URGENT_KINDS`). Proven through the
service on SQLite and PostgreSQL: the change's delivery is `pending` (the sender takes it now),
never `digest`, and the next weekly digest does not carry it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime import ServiceRuntime
from conseils_schemas import InstanceCancelled, InstanceRescheduled

from .helpers import NOW, contact, council, member, scheduled

pytestmark = pytest.mark.postgres


class Digested:
    def __init__(self, runtime: ServiceRuntime, service: NotificationsService, member_id: uuid.UUID) -> None:
        self.runtime, self.service, self.member_id = runtime, service, member_id

    async def statuses(self, source_event_id: str) -> list[tuple[str, str]]:
        query = select(t.deliveries.c.kind, t.deliveries.c.status).where(
            t.deliveries.c.source_event_id == source_event_id, t.deliveries.c.member_id == self.member_id
        )
        async with self.runtime.database.sessionmaker() as session:
            return [(kind, status) for kind, status in (await session.execute(query)).all()]

    async def digest_subjects(self, week: str) -> list[Any]:
        query = select(t.deliveries.c.context).where(t.deliveries.c.source_event_id == f"digest:{week}")
        async with self.runtime.database.sessionmaker() as session:
            rows = (await session.execute(query)).scalars().all()
        return [item["subject"] for context in rows for item in context["items"]]


@pytest.fixture
async def digested(database_url: str, territory: str) -> AsyncIterator[Digested]:
    settings = NotificationsSettings(territory=territory, database_url=database_url, log_json=False)
    runtime = ServiceRuntime(settings, t.metadata)
    service = NotificationsService(settings, runtime.database, runtime.outbox, lambda: NOW)
    await runtime.database.create_all(t.metadata)
    c = council()
    m = member(c.council_id)
    async with service.units.begin() as unit:
        await service.apply_registry_fact(unit, c)
        await service.apply_registry_fact(unit, m)
        await service.record_contact(unit, contact(m.member_id, "Karim Haddad", "karim@demo.example"))
        await unit.repo.save_preferences(m.member_id, Preferences(digest=True))
    try:
        yield Digested(runtime, service, m.member_id)
    finally:
        await runtime.database.dispose()


async def test_a_reschedule_and_a_cancellation_reach_a_digest_subscriber_at_once(digested: Digested) -> None:
    service = digested.service
    event = scheduled(scope="territory", theme=None)
    async with service.units.begin() as unit:
        await service.instance_scheduled(unit, event, "s-1")
    assert await digested.statuses("s-1") == [("scheduled", "digest")]  # news may wait for the digest

    moved = InstanceRescheduled(
        instance_id=event.instance_id,
        starts_at=event.starts_at + timedelta(days=2),
        ends_at=event.ends_at + timedelta(days=2),
        location="Salle B",
        previous_starts_at=event.starts_at,
        sequence=1,
    )
    async with service.units.begin() as unit:
        await service.instance_rescheduled(unit, moved, "r-1")
    assert await digested.statuses("r-1") == [("rescheduled", "pending")]  # a change may not

    cancelled = InstanceCancelled(instance_id=event.instance_id, reason="Salle indisponible", sequence=2)
    async with service.units.begin() as unit:
        await service.instance_cancelled(unit, cancelled, "c-1")
    assert await digested.statuses("c-1") == [("cancelled", "pending")]

    async with service.units.begin() as unit:
        await service.run_weekly_digest(unit, "2026-W10")
    subjects = await digested.digest_subjects("2026-W10")
    assert len(subjects) == 1  # only the announcement
    assert subjects[0].startswith("Nouvelle instance")
