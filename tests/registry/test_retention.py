"""A person's rights in the registry: her erasure request confirmed by staff, the erasure of
members who left once the territory's retention period is over (a worker whose clock is
injected), and the demo members' consent to be contacted."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from conseils_registry.commands import MemberJoin
from conseils_registry.domain import council_id_for
from conseils_registry.retention import months_before
from conseils_registry.service import RegistryService
from conseils_registry.tasks import RetentionSweep
from conseils_runtime.http import NotFound
from tests.registry.conftest import Registry

pytestmark = pytest.mark.postgres

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_months_before_keeps_the_day_or_the_end_of_a_shorter_month() -> None:
    assert months_before(date(2027, 3, 15), 12) == date(2026, 3, 15)
    assert months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert months_before(date(2027, 1, 10), 13) == date(2025, 12, 10)


async def test_members_who_left_are_erased_after_the_retention_period(registry: Registry) -> None:
    clock = Clock(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    service = RegistryService(
        registry.runtime.database, registry.runtime.outbox, territory="plaine-commune", clock=clock
    )
    leaving = await service.join_member(
        MemberJoin(
            council_id=FRANC_MOISIN, display_name="Nora Bensaïd", email="nora@exemple.fr", consent=True
        )
    )
    staying = await service.join_member(
        MemberJoin(council_id=FRANC_MOISIN, display_name="Paul Girard", email="paul@exemple.fr")
    )
    await service.leave_member(leaving.id, date(2026, 1, 10))
    sweep = RetentionSweep(service, retention_months=12, every_seconds=3600)

    clock.now = datetime(2027, 1, 9, 9, 0, tzinfo=UTC)  # 12 months less a day: kept
    assert await sweep.run_once() == 0
    clock.now = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert await sweep.run_once() == 1
    assert await sweep.run_once() == 0  # once only

    async with service.units.reading() as repo:
        gone = await repo.member(leaving.id)
        kept = await repo.member(staying.id)
    assert gone is not None
    assert gone.erased_at is not None
    assert gone.display_name is None
    assert kept is not None
    assert kept.erased_at is None
    assert kept.display_name == "Paul Girard"
    erased = [
        row for row in await registry.outbox() if row["type"] and row["type"].endswith("member.erased.v1")
    ]
    assert [row["payload"]["member_id"] for row in erased] == [str(leaving.id)]
    tombstones = [row for row in await registry.outbox() if row["payload"] is None]
    assert str(leaving.id) in {row["key"] for row in tombstones}


async def test_her_erasure_request_waits_for_staff_then_erases_her(registry: Registry) -> None:
    service = registry.service
    her = await service.join_member(
        MemberJoin(council_id=FRANC_MOISIN, display_name="Inès Martin", email="ines@exemple.fr", consent=True)
    )
    first = await service.request_erasure(her.id)
    assert (await service.request_erasure(her.id)).id == first.id  # asking twice: one request
    pending = await service.pending_erasures()
    assert [(item.request.id, item.display_name) for item in pending] == [(first.id, "Inès Martin")]
    async with service.units.reading() as repo:
        assert (await repo.member(her.id)).erased_at is None  # type: ignore[union-attr]

    await service.confirm_erasure(first.id, by="agent-1")

    assert await service.pending_erasures() == []
    (done,) = await service.erasure_requests_of(her.id)
    assert done.confirmed_by == "agent-1"
    assert done.confirmed_at is not None
    async with service.units.reading() as repo:
        member = await repo.member(her.id)
    assert member is not None
    assert member.erased_at is not None
    assert member.email is None
    with pytest.raises(NotFound):
        await service.confirm_erasure(first.id, by="agent-1")


async def test_the_demo_members_consented_to_be_contacted(registry: Registry) -> None:
    async with registry.service.units.reading() as repo:
        members = await repo.members()
    assert len(members) == 8
    assert all(member.consent_given_at is not None for member in members)
    cards = [
        row for row in await registry.outbox() if row["type"] and row["type"].endswith("contact_card.v1")
    ]
    assert cards
    assert all(row["payload"]["consent_given_at"] for row in cards)
