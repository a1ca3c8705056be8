"""Event payload models (the JSON body of each Kafka record), version 1.

This package owns the catalogue of events: one frozen pydantic model per
CloudEvents ``type``. Each model knows its full ``event_type`` (which carries the
version, e.g. ``fr.conseils.meetings.instance.scheduled.v1``), its base ``topic``
and the field used as Kafka key (:meth:`Event.partition_key`).

Rules of the catalogue:

* ids are UUIDs; timestamps are timezone-aware; dates are ISO dates;
* no personal contact data (names, emails, phones, addresses) in any event,
  except :class:`MemberContactCard` on the log-compacted contacts topic
  (:class:`DirectoryEntrySaved` carries an organisation's public name, postal
  address and functional mailbox: institutional data, never a private person's);
* models ignore unknown fields (tolerant readers); a breaking change is a new
  model with a new ``.vN`` type, never an edit of an existing one.

The models live in one module per producing service (:mod:`.registry`,
:mod:`.meetings`, :mod:`.notifications`) over :mod:`.base`, and the staff's everyday edits
(:mod:`.staff_edits`), what staff do with an alert (:mod:`.alerts`), the barriers to attending
lifted (:mod:`.attending`), the contact card v2 (:mod:`.contacts_v2`), the councils' voice
(:mod:`.voice`), a presence declared with the attendance code (:mod:`.presence`), a venue confirmed
with « Je viens » (:mod:`.confirmations`), substitutes and rotas (:mod:`.representation`); a new family of
events gets a module of its own, imported here (the type registry only lists
models defined inside this package).
"""

from __future__ import annotations

from .alerts import (
    StaffAlertAcknowledged,
    StaffAlertResolved,
)
from .attending import (
    ClaimDecision,
    ClaimKind,
    CostClaimDecided,
    CostClaimSubmitted,
    NeedKind,
    NeedsCounted,
)
from .base import (
    Event,
    Slug,
)
from .confirmations import AttendanceConfirmed
from .contacts_v2 import MemberContactCardV2
from .meetings import (
    AttendanceRecorded,
    ConvenedCouncil,
    DocumentRef,
    DossierPublished,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from .notifications import (
    NotificationFailed,
    NotificationSent,
    StaffAlertRaised,
)
from .presence import PresenceDeclared
from .registry import (
    CONTACT_TOMBSTONE,
    CONTACT_TOMBSTONE_DOC,
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DirectoryEntryRemoved,
    DirectoryEntrySaved,
    MemberContactCard,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
    ThemeLeftWithoutReferent,
    is_tombstone,
)
from .representation import (
    RotaSet,
    RotationTurnAssigned,
    RotationTurnVacant,
    SubstituteDesignated,
    SubstituteWithdrawn,
)
from .staff_edits import (
    InstanceUpdated,
    OtherAttendees,
    OtherCategory,
)
from .voice import (
    CouncilOpinionGiven,
    CouncilParticipationChosen,
    ProjectDecided,
    ProjectSubmitted,
)

__all__ = [
    "CONTACT_TOMBSTONE",
    "CONTACT_TOMBSTONE_DOC",
    "AttendanceConfirmed",
    "AttendanceRecorded",
    "ClaimDecision",
    "ClaimKind",
    "ConvenedCouncil",
    "CostClaimDecided",
    "CostClaimSubmitted",
    "CouncilDissolved",
    "CouncilOpinionGiven",
    "CouncilParticipationChosen",
    "CouncilRegistered",
    "CouncilUpdated",
    "DirectoryEntryRemoved",
    "DirectoryEntrySaved",
    "DocumentRef",
    "DossierPublished",
    "Event",
    "InstanceCancelled",
    "InstanceHeld",
    "InstanceRescheduled",
    "InstanceScheduled",
    "InstanceUpdated",
    "MemberContactCard",
    "MemberContactCardV2",
    "MemberErased",
    "MemberJoined",
    "MemberLeft",
    "MemberUpdated",
    "MinutesPublished",
    "NeedKind",
    "NeedsCounted",
    "NotificationFailed",
    "NotificationSent",
    "OtherAttendees",
    "OtherCategory",
    "OutcomeRecorded",
    "OutcomeStatusChanged",
    "PresenceDeclared",
    "ProjectDecided",
    "ProjectSubmitted",
    "ReferentDesignated",
    "ReferentWithdrawn",
    "RegistrationCancelled",
    "RegistrationConfirmed",
    "RegistrationPromoted",
    "RegistrationWaitlisted",
    "RotaSet",
    "RotationTurnAssigned",
    "RotationTurnVacant",
    "Slug",
    "StaffAlertAcknowledged",
    "StaffAlertRaised",
    "StaffAlertResolved",
    "SubstituteDesignated",
    "SubstituteWithdrawn",
    "ThemeLeftWithoutReferent",
    "is_tombstone",
]
