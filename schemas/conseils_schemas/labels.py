"""French words for the codes of the contract, for every producer, the site and any consumer.

The events and the services' APIs carry codes (``observer``, ``dossier_published``,
``in_progress``...); people read words. Each word is written here once, and the
services (in their messages and emails), the site (its pages and exports) and a
third-party consumer that shows them take it here, so a status never reads two
ways. Words for what only one party shows (the site's menu, an email's
wording) stay with that party.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ALERT_KIND_LABELS",
    "COLLEGE_LABELS",
    "INSTANCE_STATUS_LABELS",
    "MEMBER_ROLE_LABELS",
    "MODE_LABELS",
    "OUTCOME_KIND_LABELS",
    "OUTCOME_STATUS_LABELS",
    "PARTNER_KIND_LABELS",
    "REGISTRATION_STATUS_LABELS",
]

# Registry: a member's role and college (MemberJoined.role, .college).
MEMBER_ROLE_LABELS: Final[dict[str, str]] = {"member": "membre", "coordinator": "coordination"}
COLLEGE_LABELS: Final[dict[str, str]] = {"habitants": "habitants", "acteurs_locaux": "acteurs locaux"}

# Meetings: an instance's status (the meetings API's ``status``), a registration's mode
# (AttendanceMode of the registration events) and status.
INSTANCE_STATUS_LABELS: Final[dict[str, str]] = {
    "draft": "brouillon",
    "scheduled": "programmée",
    "rescheduled": "reprogrammée",
    "dossier_published": "dossier publié",
    "held": "tenue",
    "minutes_published": "compte rendu publié",
    "cancelled": "annulée",
}
MODE_LABELS: Final[dict[str, str]] = {"participant": "participant·e", "observer": "observateur·rice"}
REGISTRATION_STATUS_LABELS: Final[dict[str, str]] = {
    "confirmed": "confirmée",
    "waitlisted": "liste d'attente",
    "cancelled": "annulée",
}

# Meetings: proposals and commitments (OutcomeRecorded.kind, .status).
OUTCOME_KIND_LABELS: Final[dict[str, str]] = {"proposal": "Proposition", "commitment": "Engagement"}
OUTCOME_STATUS_LABELS: Final[dict[str, str]] = {
    "proposed": "proposé",
    "in_progress": "en cours",
    "done": "réalisé",
    "abandoned": "abandonné",
}

# Registry: the kinds of partners of the directory (DirectoryEntrySaved.partner_kind).
PARTNER_KIND_LABELS: Final[dict[str, str]] = {
    "state": "État",
    "city": "Ville",
    "territory": "Territoire",
    "landlord": "Bailleur social",
    "association": "Association",
    "other": "Autre partenaire",
}

# Alerts: the rule an alert says is broken (StaffAlertRaised.kind).
ALERT_KIND_LABELS: Final[dict[str, str]] = {
    "dossier_late": "Dossier en retard",
    "daytime_political_instance": "Instance politique en journée",
    "short_notice": "Convocation tardive",
    "theme_without_referent": "Thématique sans référent·e",
    "council_over_quota": "Conseil au-delà de ses places",
    "nobody_registered": "Aucun inscrit",
    "webhook_disabled": "Webhook désactivé",
    "webhook_failed": "Envoi de webhook abandonné",
    "participation_changed": "Participation d'un conseil changée",
    "rota_without_member": "Tour de rôle sans membre disponible",
}
