"""Use cases on a real database (SQLite and PostgreSQL): deliveries written once per
(event, member, channel), reminders that move and vanish, staff checks, the digest."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_notifications.service import NotificationsService
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tasks import Scheduler
from conseils_runtime import ServiceRuntime
from conseils_schemas import (
    InstanceCancelled,
    InstanceRescheduled,
    MemberErased,
    MemberLeft,
    MemberUpdated,
    ReferentWithdrawn,
    StaffAlertRaised,
    ThemeLeftWithoutReferent,
)

from .helpers import NOW, contact, council, member, referent, scheduled

pytestmark = pytest.mark.postgres


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self, runtime: ServiceRuntime, service: NotificationsService, clock: Clock) -> None:
        self.runtime, self.service, self.clock = runtime, service, clock

    async def rows(self, table: Table, **where: object) -> list[dict[str, Any]]:
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        async with self.runtime.database.sessionmaker() as session:
            return [dict(row) for row in (await session.execute(query)).mappings()]

    async def outbox_types(self) -> list[str]:
        async with self.runtime.database.sessionmaker() as session:
            rows = await session.execute(select(self.runtime.tables.outbox.c.headers))
            return [dict(headers)["ce_type"] for (headers,) in rows]


@pytest.fixture
async def world(database_url: str, territory: str) -> AsyncIterator[World]:
    settings = NotificationsSettings(territory=territory, database_url=database_url, log_json=False)
    runtime = ServiceRuntime(settings, t.metadata)
    clock = Clock()
    service = NotificationsService(settings, runtime.database, runtime.outbox, clock)
    await runtime.database.create_all(t.metadata)
    # Two councils with an Emploi referent each, a follower, and a member who follows nothing.
    sd, st = council(), council("Conseil citoyen Clos Saint-Lazare", "93072")
    aicha, karim = member(sd.council_id, ["emploi"]), member(st.council_id)
    fatou, marc = member(sd.council_id, ["emploi"]), member(sd.council_id)
    async with service.units.begin() as unit:
        for c in (sd, st):
            await service.apply_registry_fact(unit, c)
        for m in (aicha, karim, fatou, marc):
            await service.apply_registry_fact(unit, m)
        await service.apply_registry_fact(unit, referent(sd.council_id, aicha.member_id))
        await service.apply_registry_fact(unit, referent(st.council_id, karim.member_id))
        await service.record_contact(unit, contact(aicha.member_id, "Aïcha", "aicha@demo.example"))
    w = World(runtime, service, clock)
    w.ids = {"sd": sd.council_id, "st": st.council_id, "aicha": aicha.member_id, "karim": karim.member_id,  # type: ignore[attr-defined]
             "fatou": fatou.member_id, "marc": marc.member_id}  # fmt: skip
    try:
        yield w
    finally:
        await runtime.database.dispose()


async def test_scheduled_instance_gives_one_delivery_per_recipient_even_when_redelivered(
    world: World,
) -> None:
    event = scheduled()
    for _ in range(2):  # Kafka redelivers the same event id
        async with world.service.units.begin() as unit:
            await world.service.instance_scheduled(unit, event, "event-1")
    deliveries = await world.rows(t.deliveries, source_event_id="event-1")
    ids = world.ids  # type: ignore[attr-defined]
    assert {(d["member_id"], d["reason"], d["status"]) for d in deliveries} == {
        (ids["aicha"], "theme_referent", "pending"),
        (ids["karim"], "theme_referent", "pending"),
        (ids["fatou"], "follows_theme", "pending"),
    }
    assert all(d["channel"] == "email" and d["category"] == "scheduling" for d in deliveries)
    reminders = await world.rows(t.reminders, instance_id=event.instance_id)
    assert {(r["kind"], r["days_before"]) for r in reminders} == {
        ("reminder", 7),
        ("reminder", 1),
        ("registration_check", 7),
        ("presence_prompt", 0),  # 1 h after its end (reminder_sequence.py)
    }  # no dossier check: the late dossier is the meetings service's alert (raised once, there)


async def test_preferences_opt_out_and_digest_are_applied(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    async with world.service.units.begin() as unit:
        await unit.repo.save_preferences(ids["fatou"], Preferences(categories=frozenset({"minutes"})))
        await unit.repo.save_preferences(ids["karim"], Preferences(digest=True))
        await world.service.instance_scheduled(unit, scheduled(), "event-2")
    status = {d["member_id"]: d["status"] for d in await world.rows(t.deliveries, source_event_id="event-2")}
    assert status == {ids["aicha"]: "pending", ids["karim"]: "digest"}

    async with world.service.units.begin() as unit:
        assert await world.service.run_weekly_digest(unit, "2026-W10") == 1
        assert await world.service.run_weekly_digest(unit, "2026-W10") == 0  # nothing left
    (digest,) = await world.rows(t.deliveries, source_event_id="digest:2026-W10")
    assert digest["member_id"] == ids["karim"]
    assert digest["status"] == "pending"
    assert [item["subject"] for item in digest["context"]["items"]] == [
        "Nouvelle instance : Comité technique Emploi, mercredi 1er avril 2026 à 11 h"
    ]
    assert [
        d["status"] for d in await world.rows(t.deliveries, member_id=ids["karim"], kind="scheduled")
    ] == ["digested"]


async def test_reschedule_moves_reminders_and_tells_those_told_before_and_registrants(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    event = scheduled()
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, event, "s-1")
        await world.service.registration(
            unit, registration_id=uuid.uuid4(), instance_id=event.instance_id, member_id=ids["marc"],
            council_id=ids["sd"], mode="observer", status="confirmed",
        )  # fmt: skip
    moved = InstanceRescheduled(
        instance_id=event.instance_id,
        starts_at=event.starts_at + timedelta(days=5),
        ends_at=event.ends_at + timedelta(days=5),
        location="Salle B",
        previous_starts_at=event.starts_at,
        sequence=1,
    )
    async with world.service.units.begin() as unit:
        await world.service.instance_rescheduled(unit, moved, "r-1")
    told = {d["member_id"]: d["reason"] for d in await world.rows(t.deliveries, source_event_id="r-1")}
    assert told == {
        ids["marc"]: "registered",
        ids["aicha"]: "told_before",
        ids["karim"]: "told_before",
        ids["fatou"]: "told_before",
    }
    (change,) = [
        d for d in await world.rows(t.deliveries, source_event_id="r-1") if d["member_id"] == ids["aicha"]
    ]
    assert change["context"]["instance"]["sequence"] == 1
    assert change["context"]["instance"]["location"] == "Salle B"
    due = {
        r["days_before"]: r["due_at"]
        for r in await world.rows(t.reminders, instance_id=event.instance_id, kind="reminder")
    }
    assert {d: _utc(v) for d, v in due.items()} == {
        7: moved.starts_at - timedelta(days=7),
        1: moved.starts_at - timedelta(days=1),
    }

    async with world.service.units.begin() as unit:
        await world.service.instance_cancelled(
            unit,
            InstanceCancelled(instance_id=event.instance_id, reason="Salle indisponible", sequence=2),
            "c-1",
        )
    assert await world.rows(t.reminders, instance_id=event.instance_id) == []
    cancelled = await world.rows(t.deliveries, source_event_id="c-1")
    assert len(cancelled) == 4
    assert all(d["kind"] == "cancelled" and d["context"]["instance"]["sequence"] == 2 for d in cancelled)


async def test_due_reminders_go_to_registrants_and_lonely_referents_and_alert_staff(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    event = scheduled(starts_in_days=20)
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, event, "s-2")
        await world.service.registration(
            unit, registration_id=uuid.uuid4(), instance_id=event.instance_id, member_id=ids["fatou"],
            council_id=ids["sd"], mode="participant", status="confirmed",
        )  # fmt: skip
    async with world.service.units.begin() as unit:
        assert await world.service.run_due_reminders(unit) == 0  # nothing due yet

    world.clock.now = event.starts_at - timedelta(days=6, hours=23)  # past the 7-day and 10-day marks
    async with world.service.units.begin() as unit:
        assert await world.service.run_due_reminders(unit) == 2  # the reminder and the check
    reminders = await world.rows(t.deliveries, kind="reminder")
    assert {(d["member_id"], d["reason"]) for d in reminders} == {
        (ids["fatou"], "registered"),
        (ids["karim"], "referent_nobody_registered"),
    }
    # Stains only: the dossier, still unpublished, is the meetings service's alert, not a second one here.
    assert (await world.outbox_types()).count(StaffAlertRaised.event_type) == 1
    async with world.service.units.begin() as unit:
        assert await world.service.run_due_reminders(unit) == 0  # done, never twice

    # Moved after the 7-day reminder went out: it is due again before the new date.
    async with world.service.units.begin() as unit:
        await world.service.instance_rescheduled(
            unit,
            InstanceRescheduled(
                instance_id=event.instance_id,
                starts_at=event.starts_at + timedelta(days=14),
                ends_at=event.ends_at + timedelta(days=14),
                location="Mairie",
                previous_starts_at=event.starts_at,
                sequence=1,
            ),
            "r-2",
        )
    world.clock.now = event.starts_at + timedelta(days=7, hours=1)
    async with world.service.units.begin() as unit:
        assert await world.service.run_due_reminders(unit) >= 1
    sources = {d["source_event_id"] for d in await world.rows(t.deliveries, kind="reminder")}
    assert len(sources) == 2  # round 0 and round 1 of the same 7-day reminder


async def test_a_dossier_check_planned_by_an_older_version_raises_nothing(world: World) -> None:
    """Rows of the retired "dossier_check" are marked done when due, with no second late-dossier
    alert (the meetings service raises the one alert)."""
    event = scheduled(starts_in_days=20)
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, event, "s-legacy")
        await unit.repo.add_reminder(
            event.instance_id, "dossier_check", 10, event.starts_at - timedelta(days=10)
        )
    world.clock.now = event.starts_at - timedelta(days=9, hours=23)
    async with world.service.units.begin() as unit:
        assert await world.service.run_due_reminders(unit) == 1
    assert StaffAlertRaised.event_type not in await world.outbox_types()
    (legacy,) = await world.rows(t.reminders, instance_id=event.instance_id, kind="dossier_check")
    assert legacy["done_at"] is not None


async def test_theme_left_without_referent_becomes_a_staff_alert(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    event = ThemeLeftWithoutReferent(council_id=ids["sd"], theme="emploi", since=NOW)
    async with world.service.units.begin() as unit:
        await world.service.theme_left_without_referent(unit, event)
    async with world.runtime.database.sessionmaker() as session:
        (payload,) = (await session.execute(select(world.runtime.tables.outbox.c.payload))).scalars()
    alert = json.loads(payload)
    assert alert["kind"] == "theme_without_referent"
    assert alert["subject_id"] == str(ids["sd"])
    assert alert["message_fr"] == (
        "Conseil citoyen Franc-Moisin n'a plus de référent·e pour la thématique "
        "« Emploi, insertion et développement économique »."
    )


async def test_scheduler_sends_the_digest_on_the_territory_digest_day_only(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    async with world.service.units.begin() as unit:
        await unit.repo.save_preferences(ids["fatou"], Preferences(digest=True))
        await world.service.instance_scheduled(unit, scheduled(), "event-d")
    woken: list[bool] = []
    scheduler = Scheduler(world.runtime.database, world.service, on_work=lambda: woken.append(True))
    world.clock.now = datetime(2026, 3, 3, 9, tzinfo=UTC)  # a Tuesday: the digest goes out on Mondays
    await scheduler.run_once()
    assert await world.rows(t.deliveries, kind="digest") == []
    world.clock.now = datetime(2026, 3, 9, 9, tzinfo=UTC)  # Monday
    await scheduler.run_once()
    await scheduler.run_once()  # a second poll the same day adds nothing
    (digest,) = await world.rows(t.deliveries, kind="digest")
    assert digest["member_id"] == ids["fatou"]
    assert woken


async def test_erasure_and_tombstone_remove_personal_data(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, scheduled(), "s-3")
        await world.service.forget_contact(unit, ids["aicha"])
        await world.service.forget_contact(unit, ids["aicha"])  # idempotent
    assert await world.rows(t.contacts, member_id=ids["aicha"]) == []
    async with world.service.units.begin() as unit:
        await world.service.apply_registry_fact(
            unit, MemberErased(member_id=ids["aicha"], erased_at=datetime(2027, 3, 1, tzinfo=UTC))
        )
    for table in (t.deliveries, t.preferences):
        assert await world.rows(table, member_id=ids["aicha"]) == []
    # The read model keeps her pseudonymous id only, marked erased: never a recipient again.
    [member] = await world.rows(t.members, member_id=ids["aicha"])
    assert member["erased"]
    assert not member["active"]
    terms = await world.rows(t.referent_terms, member_id=ids["aicha"])
    assert all(term["until"] is not None for term in terms)


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def test_a_member_who_left_before_the_announcement_is_not_invited(world: World) -> None:
    """The shared read model: she left (and her referent term ended) before the instance was
    announced, even though the fact reached us late and out of order; she is not invited."""
    ids = world.ids  # type: ignore[attr-defined]
    left_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    async with world.service.units.begin() as unit:
        await world.service.apply_registry_fact(
            unit,
            MemberLeft(member_id=ids["fatou"], council_id=ids["sd"], left_on=date(2026, 3, 2)),
            left_at,
        )
        await world.service.apply_registry_fact(
            unit,
            ReferentWithdrawn(
                council_id=ids["st"],
                theme="emploi",
                member_id=ids["karim"],
                until=date(2026, 3, 2),
                reason="member_left",
            ),
            left_at,
        )
        # A late copy of an older fact about her must not bring her back.
        await world.service.apply_registry_fact(
            unit,
            MemberUpdated(member_id=ids["fatou"], council_id=ids["sd"], themes_followed=["emploi"]),
            left_at - timedelta(days=30),
        )
        await world.service.instance_scheduled(unit, scheduled(), "event-left")
    recipients = {d["member_id"] for d in await world.rows(t.deliveries, source_event_id="event-left")}
    assert recipients == {ids["aicha"]}  # not Fatou (left), not Karim (no longer referent)


async def _registration(world: World, instance_id: uuid.UUID, registration_id: uuid.UUID, status: str,
                        **extra: Any) -> int:  # fmt: skip
    ids = world.ids  # type: ignore[attr-defined]
    async with world.service.units.begin() as unit:
        return await world.service.registration(
            unit, registration_id=registration_id, instance_id=instance_id, member_id=ids["aicha"],
            council_id=ids["sd"], mode="participant", status=status, **extra,
        )  # fmt: skip


async def test_each_change_of_her_registration_is_told_to_her_once_per_event(world: World) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    event = scheduled()
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, event, "s-reg")
    waiting, later = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):  # redelivered: same event id, nothing more
        await _registration(
            world, event.instance_id, waiting, "waitlisted", event_id="w-1", kind="waitlisted", position=3
        )
        await _registration(world, event.instance_id, waiting, "confirmed", event_id="p-1", kind="promoted")
    (told,) = await world.rows(t.deliveries, source_event_id="w-1")
    assert (told["member_id"], told["kind"], told["category"], told["reason"], told["status"]) == (
        ids["aicha"], "waitlisted", "scheduling", "own_registration", "pending",
    )  # fmt: skip
    assert told["context"]["position"] == 3
    assert told["context"]["instance"]["sequence"] == event.sequence
    (promoted,) = await world.rows(t.deliveries, source_event_id="p-1")
    assert promoted["kind"] == "promoted"
    assert promoted["member_id"] == ids["aicha"]

    # Without the event's id and type, the change is read from the status known before.
    assert await _registration(world, event.instance_id, later, "waitlisted") == 1
    assert await _registration(world, event.instance_id, later, "confirmed") == 1
    assert await _registration(world, event.instance_id, later, "confirmed") == 0  # replayed: no change
    assert await _registration(world, event.instance_id, later, "cancelled") == 1
    assert await _registration(world, event.instance_id, later, "confirmed") == 1  # registered again
    kinds = [
        d["kind"]
        for d in sorted(
            await world.rows(t.deliveries, member_id=ids["aicha"]), key=lambda d: d["source_event_id"]
        )
        if d["source_event_id"].startswith(f"registration:{later}:")
    ]
    assert kinds == ["waitlisted", "promoted", "unregistered", "registered"]


async def test_registration_emails_answer_her_whatever_her_categories_and_not_the_instance_cancellation(
    world: World,
) -> None:
    ids = world.ids  # type: ignore[attr-defined]
    event = scheduled()
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, event, "s-pref")
    registration = uuid.uuid4()
    assert await _registration(world, event.instance_id, registration, "confirmed", event_id="c-ok",
                               kind="registered") == 1  # fmt: skip
    async with world.service.units.begin() as unit:
        await world.service.instance_cancelled(
            unit,
            InstanceCancelled(instance_id=event.instance_id, reason="Salle indisponible", sequence=1),
            "ic",
        )
    # The instance-cancelled email tells her; her registration's cancellation adds nothing.
    assert await _registration(world, event.instance_id, registration, "cancelled", event_id="rc",
                               kind="unregistered") == 0  # fmt: skip
    assert ids["aicha"] in {d["member_id"] for d in await world.rows(t.deliveries, source_event_id="ic")}

    other = scheduled()
    async with world.service.units.begin() as unit:
        await world.service.instance_scheduled(unit, other, "s-pref-2")
        await unit.repo.save_preferences(ids["aicha"], Preferences(categories=frozenset({"minutes"})))
    # She unticked the instances' dates and changes: the answer to her own registration still goes
    # (she asked for it by acting; it carries no List-Unsubscribe, like the sign-in mail).
    assert await _registration(world, other.instance_id, uuid.uuid4(), "confirmed", event_id="c-no",
                               kind="registered") == 1  # fmt: skip
    # An unknown instance: nothing to say about it.
    assert await _registration(world, uuid.uuid4(), uuid.uuid4(), "confirmed", event_id="c-unknown") == 0
