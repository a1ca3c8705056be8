"""The words the site shows for the codes the services answer (statuses, roles, modes,
kinds), in one place: the pages and the templates (as globals of `render`) take them here.
The words of the contract's codes come from :mod:`conseils_schemas.labels`, shared with the
services; the words only the site shows are written here."""

from __future__ import annotations

from conseils_schemas.labels import ALERT_KIND_LABELS as CONTRACT_ALERT_KIND_LABELS
from conseils_schemas.labels import (
    COLLEGE_LABELS,
    INSTANCE_STATUS_LABELS,
    MEMBER_ROLE_LABELS,
    MODE_LABELS,
    OUTCOME_KIND_LABELS,
    OUTCOME_STATUS_LABELS,
    PARTNER_KIND_LABELS,
    REGISTRATION_STATUS_LABELS,
)

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

# Who is signed in (the role of the session's token).
ROLE_LABELS = {
    "councillor": "conseiller·ère citoyen·ne",
    "coordinator": "coordination du conseil",
    "staff": "équipe du territoire",
    "operator": "exploitation",
}

# A member of a council (registry): role and college, as the council pages say them.

# Instances (meetings): not yet held nor cancelled, they are open for registration,
# movable and cancellable.
OPEN_STATUSES = frozenset({"scheduled", "rescheduled", "dossier_published"})
# How a past instance went, in a councillor's history.
HISTORY_INSTANCE_LABELS = {
    "held": "Tenue",
    "minutes_published": "Tenue, compte rendu publié",
    "cancelled": "Annulée",
}
HISTORY_INSTANCE_PENDING = "Pas encore enregistrée comme tenue"

# Registrations (meetings): mode and status.
# The templates' `status_label`: a registration's or an instance's status (the codes do not
# overlap but for "cancelled", "annulée" for both).
STATUS_LABELS = {**REGISTRATION_STATUS_LABELS, **INSTANCE_STATUS_LABELS}

# Proposals and commitments (meetings outcomes).


# Notifications: the categories a councillor chooses, the staff's alerts, the delivery log.
CATEGORY_LABELS = {
    "scheduling": "Programmations, changements et annulations d'instances",
    "dossier": "Publication des dossiers",
    "reminder": "Rappels avant les instances",
    "minutes": "Comptes rendus",
}
ALERT_KIND_LABELS = CONTRACT_ALERT_KIND_LABELS
DELIVERY_STATUS_LABELS = {
    "sent": "envoyé",
    "pending": "en attente",
    "sending": "en cours",
    "failed": "échec",
    "digest": "pour le récapitulatif",
    "digested": "dans le récapitulatif",
    "no_consent": "pas de consentement",
}
# Notifications: what a delivery tells (shown while its subject is not written yet).
DELIVERY_KIND_LABELS = {
    "scheduled": "Invitation",
    "rescheduled": "Changement de date",
    "cancelled": "Annulation",
    "dossier": "Dossier publié",
    "reminder": "Rappel",
    "minutes": "Compte rendu",
    "digest": "Récapitulatif",
    "registered": "Inscription confirmée",
    "waitlisted": "Liste d'attente",
    "promoted": "Place libérée",
    "unregistered": "Désinscription",
    "presence": "Étiez-vous présent·e ?",
}

# Proposals and commitments counted by status (« 2 propositions réalisées », « 1 engagement
# en cours »): the status word agrees with the kind's gender and the number.
OUTCOME_KIND_PLURAL_LABELS = {
    "proposal": ("proposition", "propositions"),
    "commitment": ("engagement", "engagements"),
}
OUTCOME_STATUS_AGREED_LABELS = {
    # status: (masculine singular, masculine plural, feminine singular, feminine plural)
    "proposed": ("proposé", "proposés", "proposée", "proposées"),
    "in_progress": ("en cours", "en cours", "en cours", "en cours"),
    "done": ("réalisé", "réalisés", "réalisée", "réalisées"),
    "abandoned": ("abandonné", "abandonnés", "abandonnée", "abandonnées"),
}
OUTCOME_KIND_FEMININE = frozenset({"proposal"})

# The directory (registry): its sections and the kinds of partners.
DIRECTORY_SECTION_LABELS = {"partners": "Partenaires", "schemes": "Dispositifs", "places": "Lieux"}
DIRECTORY_ENTRY_SECTIONS = {"partner": "partners", "scheme": "schemes", "place": "places"}
