"""Use cases of the meetings service: one transaction each, the state change
and its outbox events together.

Registrations of one instance are serialised by locking the instance row
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite transactions start with
BEGIN IMMEDIATE and are serial anyway), so two councillors racing for the
last seat cannot both get it.
"""

from __future__ import annotations

from conseils_meetings.agenda import Agenda
from conseils_meetings.attendance import Attendance
from conseils_meetings.attestation import Attestations
from conseils_meetings.claims import Claims
from conseils_meetings.confirmations import Confirmations
from conseils_meetings.dossiers import Dossiers
from conseils_meetings.easy_read import EasyRead
from conseils_meetings.forum import Forum
from conseils_meetings.needs import Needs
from conseils_meetings.presence import Presence
from conseils_meetings.projection import registry_view_of
from conseils_meetings.registrations import (
    Registrations,
    promote_waiting,
    registration_fields,
    release_seats_of_member,
)
from conseils_meetings.rotation import Rotation
from conseils_meetings.scheduling import Scheduling
from conseils_meetings.staff_edits import InstanceEdit, StaffEdits
from conseils_meetings.staff_list import StaffList
from conseils_meetings.use_cases import (
    Clock,
    InstanceDraft,
    MeetingsCore,
    Preview,
    RegistrationOutcome,
    Unit,
    utc_now,
)
from conseils_meetings.voice import Voice

__all__ = [
    "Clock",
    "InstanceDraft",
    "InstanceEdit",
    "MeetingsCore",
    "MeetingsService",
    "Preview",
    "RegistrationOutcome",
    "Unit",
    "promote_waiting",
    "registration_fields",
    "registry_view_of",
    "release_seats_of_member",
    "utc_now",
]


class MeetingsService(
    Scheduling,
    Agenda,
    Registrations,
    StaffEdits,
    StaffList,
    Dossiers,
    Attendance,
    Forum,
    Needs,
    Claims,
    Attestations,
    EasyRead,
    Voice,
    Presence,
    Confirmations,
    Rotation,
):
    """The meetings use cases, one module per seam: scheduling.py, agenda.py (the councillor's
    agenda, who may register how), registrations.py, dossiers.py,
    attendance.py (and minutes), forum.py (outcomes), needs.py, claims.py and attestation.py
    (the barriers to attending: needs to come, cost claims, attestations of presence),
    easy_read.py (the dossiers' easy-to-read versions), presence.py (the attendance code),
    confirmations.py (« Je viens »),
    rotation.py (the rotation scenario's rota and turns, how a council is represented),
    staff_edits.py (an instance's title, theme, description; a document removed before
    publication), staff_list.py (the staff's list: filtered, counted, paged); what they share
    is in use_cases.py."""
