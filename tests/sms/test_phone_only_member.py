"""Issue 19 item 4 inside the notifications service (SQLite and PostgreSQL, scripted gateway):
a v2 contact card (no email) is her card like a v1 one; a member without email gets her
invitations by SMS whatever her preferences say (email, digest); an email planned before
her card lost its email goes to her phone instead."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences
from conseils_schemas import MemberContactCard, MemberContactCardV2

from ..notifications.helpers import member
from .test_sms_service import MONDAY_NOON, Harness

pytestmark = pytest.mark.postgres


@pytest.fixture
async def harness(database_url: str, territory: str) -> AsyncIterator[Harness]:
    h = Harness(database_url, territory)
    await h.runtime.database.create_all(t.metadata)
    async with h.service.units.begin() as unit:
        await h.service.apply_registry_fact(unit, h.council)
    try:
        yield h
    finally:
        await h.runtime.database.dispose()


def card_v2(member_id: uuid.UUID, phone: str = "06 12 34 56 78") -> MemberContactCardV2:
    return MemberContactCardV2(
        member_id=member_id,
        display_name="Mariama Traoré",
        phone=phone,
        consent_given_at=MONDAY_NOON - timedelta(days=30),
    )


def card_v1(member_id: uuid.UUID, email: str) -> MemberContactCard:
    return MemberContactCard(
        member_id=member_id,
        display_name="Mariama Traoré",
        email=email,
        phone="06 12 34 56 78",
        consent_given_at=MONDAY_NOON - timedelta(days=30),
    )


async def sms_only_person(harness: Harness, prefs: Preferences | None = None) -> uuid.UUID:
    m = member(harness.council.council_id)
    async with harness.service.units.begin() as unit:
        await harness.service.apply_registry_fact(unit, m)
        await harness.service.record_contact(unit, card_v2(m.member_id))
        if prefs is not None:
            await unit.repo.save_preferences(m.member_id, prefs)
    return m.member_id


async def test_a_v2_card_is_her_card_and_the_last_card_wins_whichever_its_version(harness: Harness) -> None:
    mariama = await sms_only_person(harness)
    contact = (await harness.service.contacts_of([mariama])).get(mariama)
    assert contact is not None
    assert (contact.email, contact.phone, contact.display_name) == (None, "06 12 34 56 78", "Mariama Traoré")
    assert contact.consent_given_at is not None
    async with harness.service.units.begin() as unit:
        await harness.service.record_contact(unit, card_v1(mariama, "m.traore@demo.example"))
    assert ((await harness.service.contacts_of([mariama])).get(mariama)).email == "m.traore@demo.example"  # type: ignore[union-attr]
    async with harness.service.units.begin() as unit:
        await harness.service.record_contact(unit, card_v2(mariama, "07 11 22 33 44"))
    again = (await harness.service.contacts_of([mariama])).get(mariama)
    assert again is not None
    assert (again.email, again.phone) == (None, "07 11 22 33 44")
    # Her number is known to the SMS channel: her STOP finds her.
    assert await harness.service.sms_answer("+33711223344", "STOP") is not None


async def test_without_email_her_channel_is_sms_whatever_her_preferences_say(harness: Harness) -> None:
    default = await sms_only_person(harness)
    chose_email_and_digest = await sms_only_person(
        harness, Preferences(channels=frozenset({"email"}), digest=True)
    )
    with_email = await harness.person()  # a v1 card, default preferences: email as before
    await harness.schedule()
    assert set(await harness.deliveries(default)) == {"sms"}
    assert set(await harness.deliveries(chose_email_and_digest)) == {"sms"}
    assert set(await harness.deliveries(with_email)) == {"email"}
    await harness.sender.run_once()
    assert [phone for phone, _, _ in harness.gateway.sent] == ["+33612345678", "+33612345678"]
    assert all(
        text.startswith("Conseils citoyens - nouvelle instance :") for _, text, _ in harness.gateway.sent
    )
    statuses = {(await harness.deliveries(m))["sms"]["status"] for m in (default, chose_email_and_digest)}
    assert statuses == {"sent"}
    assert len(harness.mails.sent) == 1  # the one with an email


async def test_an_email_planned_before_her_card_lost_its_email_goes_by_sms(harness: Harness) -> None:
    m = member(harness.council.council_id)
    async with harness.service.units.begin() as unit:
        await harness.service.apply_registry_fact(unit, m)
        await harness.service.record_contact(unit, card_v1(m.member_id, "m.traore@demo.example"))
    await harness.schedule()
    assert set(await harness.deliveries(m.member_id)) == {"email"}
    async with harness.service.units.begin() as unit:
        await harness.service.record_contact(unit, card_v2(m.member_id))
    await harness.sender.run_once()
    await harness.sender.run_once()
    deliveries = await harness.deliveries(m.member_id)
    assert (deliveries["email"]["status"], deliveries["email"]["last_error"]) == (
        "failed",
        "pas d'adresse électronique",
    )
    assert deliveries["sms"]["status"] == "sent"
    assert harness.mails.sent == []
    assert [phone for phone, _, _ in harness.gateway.sent] == ["+33612345678"]
