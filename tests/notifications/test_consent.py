"""RGPD: a member who did not agree to be contacted (members CSV `consentement=non`, no
`consent_given_at` on her card) receives nothing, on any channel; staff see why."""

from __future__ import annotations

from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import Preferences

from .helpers import contact, council, member, scheduled
from .test_sender import Harness


async def test_a_member_without_consent_gets_nothing_and_staff_see_why(
    database_url: str, territory: str
) -> None:
    h = Harness(database_url, territory, [])
    await h.runtime.database.create_all(t.metadata)
    c = council()
    willing, unwilling = member(c.council_id), member(c.council_id)
    async with h.service.units.begin() as unit:
        await h.service.apply_registry_fact(unit, c)
        await h.service.apply_registry_fact(unit, willing)
        await h.service.apply_registry_fact(unit, unwilling)
        await h.service.record_contact(unit, contact(willing.member_id, "Karim Haddad", "karim@demo.example"))
        await h.service.record_contact(
            unit, contact(unwilling.member_id, "Fatou Sow", "fatou@demo.example", consent=False)
        )
        await unit.repo.save_preferences(
            unwilling.member_id, Preferences(channels=frozenset({"email", "sms"}))
        )
        await h.service.instance_scheduled(unit, scheduled(scope="territory", theme=None), "event-consent")
    try:
        assert await h.sender.run_once() == 3
        assert [message["To"] for message in h.transport.accepted] == ["Karim Haddad <karim@demo.example>"]
        assert h.gateway.sent == 0
        async with h.runtime.database.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(t.deliveries.c.channel, t.deliveries.c.status, t.deliveries.c.last_error).where(
                        t.deliveries.c.member_id == unwilling.member_id
                    )
                )
            ).all()
        assert sorted(tuple(row) for row in rows) == [
            ("email", "no_consent", "pas de consentement"),
            ("sms", "no_consent", "pas de consentement"),
        ]
        log = await h.service.delivery_log("staff", member_id=unwilling.member_id)
        assert {entry.delivery.status for entry in log} == {"no_consent"}
        assert h.transport.calls == 1
        data = await h.service.member_data(unwilling.member_id)  # right of access shows why
        assert data["coordonnees_recues_du_registre"]["consentement_le"] is None
        assert {(row["canal"], row["statut"], row["motif"]) for row in data["envois"]} == {
            ("email", "no_consent", "pas de consentement"),
            ("sms", "no_consent", "pas de consentement"),
        }
        assert data["preferences"]["canaux"] == ["email", "sms"]
    finally:
        await h.runtime.database.dispose()
