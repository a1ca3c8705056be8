"""Reminders that ask: the territory's sequence (J-7, J-1, the morning of an evening instance)
and « Étiez-vous présent·e ? » one hour after the end, on a real database: planned with the
instance, moved by a reschedule, kept when the instance is held, told to the registered only,
by email (no calendar attachment) and, for those who chose it, by SMS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_notifications.mail import MailSettings, build_email
from conseils_notifications.reminder_sequence import ReminderSequence, sequence_plan
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.sms_text import sms_body
from conseils_runtime import ServiceRuntime
from conseils_schemas import InstanceHeld, InstanceRescheduled, InstanceScheduled, MemberContactCard

from ..notifications.helpers import council, member

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVENING = datetime(2026, 3, 19, 17, 30, tzinfo=UTC)  # Thursday 18:30 in Paris


def test_the_morning_of_an_evening_instance_and_the_prompt_after_it() -> None:
    plan = sequence_plan(
        ReminderSequence(),
        starts_at=EVENING,
        ends_at=EVENING + timedelta(hours=2),
        timezone="Europe/Paris",
        now=NOW,
    )
    assert plan == {
        ("morning", 0): datetime(2026, 3, 19, 7, 0, tzinfo=UTC),  # 08:00 in Paris
        ("presence_prompt", 0): EVENING + timedelta(hours=3),
    }
    daytime = EVENING - timedelta(hours=6)
    assert set(sequence_plan(ReminderSequence(), starts_at=daytime, ends_at=daytime + timedelta(hours=2),
                             timezone="Europe/Paris", now=NOW)) == {("presence_prompt", 0)}  # fmt: skip
    quiet = ReminderSequence(morning_of_evening=False, presence_prompt_minutes=None)
    assert sequence_plan(quiet, starts_at=EVENING, ends_at=EVENING, timezone="Europe/Paris", now=NOW) == {}
    late = ReminderSequence(evening_from=time(19, 0))
    assert ("morning", 0) not in sequence_plan(
        late, starts_at=EVENING, ends_at=EVENING + timedelta(hours=2), timezone="Europe/Paris", now=NOW
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self, database_url: str, territory: str) -> None:
        self.settings = NotificationsSettings(territory=territory, database_url=database_url, log_json=False)
        self.runtime = ServiceRuntime(self.settings, t.metadata)
        self.clock = Clock()
        self.service = NotificationsService(
            self.settings, self.runtime.database, self.runtime.outbox, self.clock
        )
        self.council = council()
        self.members = [member(self.council.council_id) for _ in range(2)]
        self.instance = InstanceScheduled(
            instance_id=uuid.uuid4(), instance_type="copil", title="Comité de pilotage", scope="territory",
            starts_at=EVENING, ends_at=EVENING + timedelta(hours=2), location="Mairie de Saint-Denis",
            is_political=False, is_evening=True,
        )  # fmt: skip

    async def setup(self) -> None:
        await self.runtime.database.create_all(t.metadata)
        async with self.service.units.begin() as unit:
            await self.service.apply_registry_fact(unit, self.council)
            for index, person in enumerate(self.members):
                await self.service.apply_registry_fact(unit, person)
                await self.service.record_contact(unit, MemberContactCard(
                    member_id=person.member_id, display_name=f"Personne {index}",
                    email=f"p{index}@demo.example", phone="06 12 34 56 7" + str(index),
                    consent_given_at=NOW))  # fmt: skip
            await unit.repo.save_preferences(
                self.members[0].member_id, Preferences(channels=frozenset({"sms"}))
            )
            await self.service.instance_scheduled(unit, self.instance, "event-evening")
            await self.service.registration(
                unit, registration_id=uuid.uuid4(), instance_id=self.instance.instance_id,
                member_id=self.members[0].member_id, council_id=self.council.council_id,
                mode="participant", status="confirmed", event_id="event-registered",
            )  # fmt: skip

    async def reminders(self) -> dict[str, datetime]:
        async with self.runtime.database.sessionmaker() as session:
            rows = (await session.execute(select(t.reminders))).mappings()
            return {f"{row['kind']}:{row['days_before']}": row["due_at"] for row in rows}

    async def deliveries(self, kind: str) -> list[dict[str, Any]]:
        async with self.runtime.database.sessionmaker() as session:
            query = select(t.deliveries).where(t.deliveries.c.kind == kind)
            return [dict(row) for row in (await session.execute(query)).mappings()]

    async def run_at(self, moment: datetime) -> None:
        self.clock.now = moment
        async with self.service.units.begin() as unit:
            await self.service.run_due_reminders(unit)


@pytest.fixture
async def world(database_url: str, territory: str) -> AsyncIterator[World]:
    w = World(database_url, territory)
    await w.setup()
    try:
        yield w
    finally:
        await w.runtime.database.dispose()


async def test_the_sequence_is_planned_moved_and_the_prompt_goes_to_the_registered(world: World) -> None:
    planned = await world.reminders()
    assert planned["reminder:7"] == EVENING - timedelta(days=7)
    assert planned["reminder:1"] == EVENING - timedelta(days=1)
    assert planned["morning:0"] == datetime(2026, 3, 19, 7, 0, tzinfo=UTC)
    assert planned["presence_prompt:0"] == EVENING + timedelta(hours=3)

    # Moved a day later: the morning and the prompt follow.
    moved = EVENING + timedelta(days=1)
    async with world.service.units.begin() as unit:
        move = InstanceRescheduled(
            instance_id=world.instance.instance_id, starts_at=moved, ends_at=moved + timedelta(hours=2),
            location="Mairie de Saint-Denis", previous_starts_at=EVENING, sequence=1)  # fmt: skip
        await world.service.instance_rescheduled(unit, move, "event-moved")
    planned = await world.reminders()
    assert planned["morning:0"] == datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    assert planned["presence_prompt:0"] == moved + timedelta(hours=3)

    # The morning: a reminder "aujourd'hui" to the registered, by SMS for the one who chose it.
    await world.run_at(datetime(2026, 3, 20, 7, 0, tzinfo=UTC))
    (morning,) = [
        d for d in await world.deliveries("reminder") if d["source_event_id"].startswith("morning:")
    ]
    assert (morning["member_id"], morning["channel"]) == (world.members[0].member_id, "sms")
    assert morning["context"]["days_before"] == 0
    text = sms_body("reminder", morning["context"], link="https://x.example/s", timezone="Europe/Paris")
    assert text.startswith("Rappel : aujourd'hui ven. 20/3 18h30")

    # Held during the meeting: its reminders go, the prompt stays and asks 1 hour after the end.
    async with world.service.units.begin() as unit:
        await world.service.instance_held(unit, InstanceHeld(instance_id=world.instance.instance_id,
                                                             held_at=moved + timedelta(hours=1)))  # fmt: skip
    assert set(await world.reminders()) == {"presence_prompt:0"}
    await world.run_at(moved + timedelta(hours=3))
    prompts = await world.deliveries("presence")
    assert {(d["member_id"], d["channel"], d["category"]) for d in prompts} == {
        (world.members[0].member_id, "sms", "reminder")
    }
    (prompt,) = prompts
    assert prompt["context"]["presence_url"].endswith(f"/instances/{world.instance.instance_id}#presence")
    assert sms_body(
        "presence", prompt["context"], link="https://x.example/s", timezone="Europe/Paris"
    ).startswith("Étiez-vous présent.e ? ven. 20/3 18h30")
    await world.run_at(moved + timedelta(hours=4))  # done once: never twice
    assert len(await world.deliveries("presence")) == 1


async def test_the_presence_email_asks_with_its_link_and_no_calendar(world: World) -> None:
    async with world.service.units.begin() as unit:
        row = await unit.repo.instance(world.instance.instance_id)
    assert row is not None
    context = {"instance": world.service.snapshot(row), "presence_url": "https://conseils.example/i#presence"}
    message = build_email(
        MailSettings(sender="Conseils <noreply@conseils.example>", public_base_url="https://conseils.example",
                     territory="plaine-commune", secret=uuid.uuid4().hex),
        delivery_id=uuid.uuid4(), kind="presence", category="reminder", reason="registered", context=context,
        member_id=world.members[0].member_id, display_name="Personne 0", email="p0@demo.example", now=NOW,
    )  # fmt: skip
    assert str(make_header(decode_header(str(message["Subject"])))).startswith(
        "Étiez-vous présent·e ? Comité de pilotage"
    )
    parts = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    text = parts["text/plain"].get_content()
    assert "Étiez-vous présent·e à l'instance suivante ?" in text
    assert "https://conseils.example/presence/" in text  # her signed link (issue 19), not the seam's page
