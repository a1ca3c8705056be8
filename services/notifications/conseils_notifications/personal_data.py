"""Right of access: everything the notifications service holds about one person (her contact
copy and consent, preferences, calendar feed, registrations and attendance copies, deliveries)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from conseils_notifications.use_cases import NotificationsCore, iso


class PersonalData(NotificationsCore):
    async def member_data(self, member_id: UUID) -> dict[str, Any]:
        async with self.units.reading() as repo:
            contact = await repo.contact(member_id)
            prefs = (await repo.preferences_of([member_id])).get(member_id)
            has_feed = await repo.has_feed_token(member_id)
            registered = await repo.registered_instances(member_id)
            deliveries = await repo.deliveries(member_id=member_id, limit=1000)
        return {
            "coordonnees_recues_du_registre": None
            if contact is None
            else {
                "nom": contact.display_name,
                "email": contact.email,
                "telephone": contact.phone,
                "langue": contact.language,
                "consentement_le": iso(contact.consent_given_at) if contact.consent_given_at else None,
            },
            "preferences": None
            if prefs is None
            else {
                "canaux": sorted(prefs.channels),
                "categories": sorted(prefs.categories),
                "recapitulatif": prefs.digest,
                "thematiques": sorted(prefs.themes) if prefs.themes is not None else None,
                "langue": prefs.language,
            },
            "agenda_personnel_actif": has_feed,
            "instances_ou_elle_est_inscrite": sorted(str(item) for item in registered),
            "envois": [
                {
                    "canal": row.channel,
                    "categorie": row.category,
                    "objet": row.subject,
                    "statut": row.status,
                    "motif": row.last_error if row.status in {"failed", "no_consent"} else None,
                    "cree_le": iso(row.created_at),
                    "envoye_le": iso(row.sent_at) if row.sent_at else None,
                }
                for row in deliveries
            ],
        }
