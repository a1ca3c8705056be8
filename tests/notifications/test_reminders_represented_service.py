"""The reminders follow how the council is represented, through the service on a real database
(issue 20): under the rotation scenario the member whose turn it is is reminded, not the
referents (a council without a turn: nobody of it); under referent per theme, once the referent
cancelled and her substitute was invited, the substitute is reminded, not the referent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime import ServiceRuntime
from conseils_runtime.territory import default_territory_path
from conseils_schemas import RegistrationCancelled
from conseils_schemas.events import RotationTurnAssigned, SubstituteDesignated

from .helpers import NOW, contact, council, member, referent, scheduled

pytestmark = pytest.mark.postgres


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def rotation_territory(directory: Path) -> Path:
    """The demo territory, its comités techniques by rotation since before the tests' dates."""
    text = default_territory_path().read_text(encoding="utf-8")
    old = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
    assert old in text
    path = directory / "territoire.yaml"
    path.write_text(text.replace(old, "    - {scenario: rotation, since: 2026-01-01}\n", 1), encoding="utf-8")
    return path


class World:
    def __init__(self, runtime: ServiceRuntime, service: NotificationsService, clock: Clock) -> None:
        self.runtime, self.service, self.clock = runtime, service, clock
        self.ids: dict[str, uuid.UUID] = {}

    async def reminded(self) -> dict[uuid.UUID, str]:
        async with self.runtime.database.sessionmaker() as session:
            rows = await session.execute(
                select(t.deliveries.c.member_id, t.deliveries.c.reason).where(
                    t.deliveries.c.kind == "reminder"
                )
            )
            return dict(rows.all())


async def world_of(database_url: str, territory: str, territory_file: Path | None) -> AsyncIterator[World]:
    extra: dict[str, Any] = {"territory_file": territory_file} if territory_file else {}
    settings = NotificationsSettings(territory=territory, database_url=database_url, log_json=False, **extra)
    runtime = ServiceRuntime(settings, t.metadata)
    clock = Clock()
    service = NotificationsService(settings, runtime.database, runtime.outbox, clock)
    await runtime.database.create_all(t.metadata)
    # Two councils with an Emploi referent each (Aïcha, Karim); Fatou and Marc in Aïcha's.
    sd, st = council(), council("Conseil citoyen Clos Saint-Lazare", "93072")
    aicha, karim = member(sd.council_id, ["emploi"]), member(st.council_id)
    fatou, marc = member(sd.council_id), member(sd.council_id)
    async with service.units.begin() as unit:
        for fact in (sd, st, aicha, karim, fatou, marc):
            await service.apply_registry_fact(unit, fact)
        await service.apply_registry_fact(unit, referent(sd.council_id, aicha.member_id))
        await service.apply_registry_fact(unit, referent(st.council_id, karim.member_id))
        await service.record_contact(unit, contact(fatou.member_id, "Fatou", "fatou@demo.example"))
    w = World(runtime, service, clock)
    w.ids = {"sd": sd.council_id, "st": st.council_id, "aicha": aicha.member_id, "karim": karim.member_id,
             "fatou": fatou.member_id, "marc": marc.member_id}  # fmt: skip
    try:
        yield w
    finally:
        await runtime.database.dispose()


@pytest.fixture
async def rotation(database_url: str, territory: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in world_of(database_url, territory, rotation_territory(tmp_path)):
        yield w


@pytest.fixture
async def by_referent(database_url: str, territory: str) -> AsyncIterator[World]:
    async for w in world_of(database_url, territory, None):  # the demo: referent per theme until May
        yield w


async def test_under_the_rotation_the_member_whose_turn_it_is_is_reminded(rotation: World) -> None:
    ids, service = rotation.ids, rotation.service
    event = scheduled(starts_in_days=20)  # a comité technique (emploi), by rotation on its date
    async with service.units.begin() as unit:
        await service.instance_scheduled(unit, event, "s-rota")
        await service.rotation_turn(
            unit,
            RotationTurnAssigned(
                instance_id=event.instance_id, council_id=ids["sd"], member_id=ids["fatou"],
                next_position=1, assigned_at=NOW,
            ),
            "turn-1",
        )  # fmt: skip
    rotation.clock.now = event.starts_at - timedelta(days=6, hours=23)  # the J-7 reminder
    async with service.units.begin() as unit:
        assert await service.run_due_reminders(unit) >= 1
    # Fatou's turn for her council; Karim's council has no turn: nobody of it, no referent.
    assert await rotation.reminded() == {ids["fatou"]: "rotation_turn"}


async def test_the_substitute_invited_in_place_of_the_referent_is_reminded(by_referent: World) -> None:
    ids, service = by_referent.ids, by_referent.service
    event = scheduled(starts_in_days=20)
    async with service.units.begin() as unit:
        await service.substitute_designated(
            unit,
            SubstituteDesignated(
                council_id=ids["sd"], theme="emploi", member_id=ids["fatou"], since=date(2025, 1, 1)
            ),
        )
        await service.instance_scheduled(unit, event, "s-sub")
    registration = {
        "registration_id": uuid.uuid4(), "instance_id": event.instance_id, "member_id": ids["aicha"],
        "council_id": ids["sd"], "mode": "participant",
    }  # fmt: skip
    async with service.units.begin() as unit:
        await service.registration(unit, **registration, status="confirmed")
    async with service.units.begin() as unit:  # Aïcha cannot come: her substitute is invited
        await service.registration(unit, **registration, status="cancelled")
        assert await service.referent_cancelled(unit, RegistrationCancelled(**registration), "cancel-1") == 1
    by_referent.clock.now = event.starts_at - timedelta(days=6, hours=23)
    async with service.units.begin() as unit:
        assert await service.run_due_reminders(unit) >= 1
    assert await by_referent.reminded() == {
        ids["fatou"]: "substitute",  # not Aïcha, who said she cannot come
        ids["karim"]: "referent_nobody_registered",
    }
    assert by_referent.clock.now < datetime(2026, 5, 1, tzinfo=UTC)  # still referent per theme
