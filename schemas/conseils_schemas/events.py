"""Event payload models (the JSON body of each Kafka record), version 1.

This module owns the catalogue of events: one frozen pydantic model per
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
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, ClassVar, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from . import topics

__all__ = [
    "CONTACT_TOMBSTONE",
    "CONTACT_TOMBSTONE_DOC",
    "AttendanceRecorded",
    "CouncilDissolved",
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
    "MemberContactCard",
    "MemberErased",
    "MemberJoined",
    "MemberLeft",
    "MemberUpdated",
    "MinutesPublished",
    "NotificationFailed",
    "NotificationSent",
    "OutcomeRecorded",
    "OutcomeStatusChanged",
    "ReferentDesignated",
    "ReferentWithdrawn",
    "RegistrationCancelled",
    "RegistrationConfirmed",
    "RegistrationPromoted",
    "RegistrationWaitlisted",
    "Slug",
    "StaffAlertRaised",
    "ThemeLeftWithoutReferent",
    "is_tombstone",
]

TYPE_PREFIX: Final = "fr.conseils."

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
"""Lowercase slug: territory, theme, instance type."""
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
CityCode = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
"""INSEE-like commune code, e.g. ``93066`` (Saint-Denis); Corsica uses 2A/2B."""
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

College = Literal["habitants", "acteurs_locaux"]
MemberRole = Literal["member", "coordinator"]
CouncilStatus = Literal["forming", "active", "suspended"]
AttendanceMode = Literal["participant", "observer"]


class Event(BaseModel):
    """Base class of every event payload.

    Subclasses set the class variables ``event_type`` (full CloudEvents type),
    ``topic`` (base topic name, see :mod:`conseils_schemas.topics`) and
    ``key_field`` (the aggregate id field used as Kafka key).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]

    def partition_key(self) -> str:
        """Kafka key: the aggregate id (council, member or instance id) as a string."""
        field: str | None = getattr(type(self), "key_field", None)
        if not field:
            raise NotImplementedError(f"{type(self).__name__} defines no key_field")
        return str(getattr(self, field))

    def to_json_bytes(self) -> bytes:
        """Serialise the payload as the UTF-8 JSON body of a Kafka record."""
        return self.model_dump_json().encode("utf-8")


# --------------------------------------------------------------------------- registry.councils


class _CouncilEvent(Event):
    topic: ClassVar[str] = topics.REGISTRY_COUNCILS
    key_field: ClassVar[str] = "council_id"

    council_id: UUID


class CouncilRegistered(_CouncilEvent):
    """A citizen council was created in the registry. The council's name is public."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.council.registered.v1"

    territory: Slug
    city: NonEmpty = Field(description="Name of the city (commune), e.g. 'Saint-Denis'.")
    city_code: CityCode = Field(description="INSEE code of the city, e.g. '93066'.")
    neighbourhood: NonEmpty = Field(description="Priority neighbourhood (QPV) of the council.")
    name: NonEmpty = Field(description="Public name of the council.")
    status: CouncilStatus = "active"


class CouncilUpdated(_CouncilEvent):
    """Some attributes of a council changed. A field left null is unchanged."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.council.updated.v1"

    city: NonEmpty | None = None
    city_code: CityCode | None = None
    neighbourhood: NonEmpty | None = None
    name: NonEmpty | None = None
    status: CouncilStatus | None = None


class CouncilDissolved(_CouncilEvent):
    """A council was dissolved; it no longer receives invitations."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.council.dissolved.v1"

    dissolved_on: date


class ReferentDesignated(_CouncilEvent):
    """A council designated one of its members as referent for a theme."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.referent.designated.v1"

    theme: Slug
    member_id: UUID
    since: date


class ReferentWithdrawn(_CouncilEvent):
    """A member stopped being the referent of a council for a theme."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.referent.withdrawn.v1"

    theme: Slug
    member_id: UUID
    until: date
    reason: Literal["withdrawn", "member_left", "replaced"]


class ThemeLeftWithoutReferent(_CouncilEvent):
    """A council has no referent for a theme any more (an alert for staff)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.theme.left_without_referent.v1"

    theme: Slug
    since: AwareDatetime


# --------------------------------------------------------------------------- registry.members


class _MemberEvent(Event):
    topic: ClassVar[str] = topics.REGISTRY_MEMBERS
    key_field: ClassVar[str] = "member_id"

    member_id: UUID


class MemberJoined(_MemberEvent):
    """A person joined a council. Ids and roles only: contact data is on the contacts topic."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.joined.v1"

    council_id: UUID
    college: College
    drawn_by_lot: bool = False
    role: MemberRole = "member"
    joined_on: date
    themes_followed: list[Slug] = Field(default_factory=list)


class MemberUpdated(_MemberEvent):
    """Some attributes of a member changed. A field left null is unchanged."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.updated.v1"

    council_id: UUID
    college: College | None = None
    drawn_by_lot: bool | None = None
    role: MemberRole | None = None
    themes_followed: list[Slug] | None = None


class MemberLeft(_MemberEvent):
    """A member left their council (their history is kept, pseudonymous)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.left.v1"

    council_id: UUID
    left_on: date


class MemberErased(_MemberEvent):
    """A person asked for erasure: every service must delete its copies of their data."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.erased.v1"

    erased_at: AwareDatetime


# --------------------------------------------------------------------------- registry.member-contacts

_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

CONTACT_TOMBSTONE: Final = None
"""Value of the Kafka record that erases a contact card (a tombstone)."""

CONTACT_TOMBSTONE_DOC: Final = f"""\
# Contact card tombstones (topic `<territory>.{topics.REGISTRY_MEMBER_CONTACTS}`)

The contacts topic is log-compacted and keyed by member id (UUID string).
Each non-null record value is a `MemberContactCard` JSON body
(type `{TYPE_PREFIX}registry.member.contact_card.v1`).

When a person is erased, the registry publishes a **tombstone**: a record with
key = member id and a **null value** (no body at all; an empty byte string is
*not* a tombstone). CloudEvents headers may be present but must not be relied on.
Kafka compaction then removes every earlier card of that member.

A consumer receiving a tombstone must delete every copy it holds of that
member's contact data (use `conseils_schemas.is_tombstone(value)` before parsing).
"""


def is_tombstone(value: bytes | None) -> bool:
    """True when a Kafka record value is a tombstone (null value): erase the key's data."""
    return value is None


class MemberContactCard(Event):
    """Contact card of a member. Only on the log-compacted contacts topic; null value = erasure."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.contact_card.v1"
    topic: ClassVar[str] = topics.REGISTRY_MEMBER_CONTACTS
    key_field: ClassVar[str] = "member_id"

    member_id: UUID
    display_name: NonEmpty
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,24}$")] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "fr"
    consent_given_at: AwareDatetime | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        if not _EMAIL_RE.fullmatch(value):
            raise ValueError("email address is not valid")
        return value


# --------------------------------------------------------------------------- meetings.instances


class _InstanceEvent(Event):
    topic: ClassVar[str] = topics.MEETINGS_INSTANCES
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID


class DocumentRef(BaseModel):
    """A document of a dossier or of minutes (metadata only; content is fetched by id)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    document_id: UUID
    filename: NonEmpty
    media_type: NonEmpty = Field(examples=["application/pdf"])
    size_bytes: int = Field(ge=0)
    sha256: Sha256


def _check_interval(starts_at: AwareDatetime, ends_at: AwareDatetime) -> None:
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")


class InstanceScheduled(_InstanceEvent):
    """A meeting of a governance body was scheduled."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.instance.scheduled.v1"

    instance_type: Slug = Field(description="Kind of body, e.g. 'copil', 'comite-technique'.")
    title: NonEmpty = Field(description="Public title of the instance.")
    theme: Slug | None = None
    city_code: CityCode | None = None
    council_ids: list[UUID] = Field(
        default_factory=list, description="Councils concerned; empty = the whole territory."
    )
    scope: Literal["territory", "city", "theme", "council"]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: NonEmpty = Field(description="Public place where the instance is held.")
    is_political: bool
    is_evening: bool
    observers_allowed: bool = True
    sequence: int = Field(default=0, ge=0, description="iCalendar SEQUENCE.")
    policy_warnings: list[str] = Field(default_factory=list)
    timezone: str | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description=(
            "IANA time zone of the territory: times on the wire are UTC, show them in this zone. "
            "Absent from events written before it existed (the territory file says, Europe/Paris by default)."
        ),
    )
    time_slot: Literal["weekday_evening", "saturday", "sunday", "working_hours"] | None = Field(
        default=None,
        description=(
            "When the instance starts, in the territory's local time: weekday_evening (Monday to "
            "Friday at or after 18:00), saturday, sunday, or working_hours (Monday to Friday before "
            "18:00). Consumers should prefer it over is_evening, which means a weekday evening "
            "(18:00 local or later) only. Absent from events written before it existed."
        ),
    )

    @model_validator(mode="after")
    def _check_dates(self) -> InstanceScheduled:
        _check_interval(self.starts_at, self.ends_at)
        return self


class InstanceRescheduled(_InstanceEvent):
    """An instance was moved (date, time or place)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.instance.rescheduled.v1"

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: NonEmpty
    previous_starts_at: AwareDatetime
    sequence: int = Field(ge=0, description="iCalendar SEQUENCE.")
    policy_warnings: list[str] = Field(default_factory=list)
    title: str | None = Field(
        default=None,
        description="Title of the instance (a reschedule keeps it): a consumer needs no state to show it.",
    )
    timezone: str | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description=(
            "IANA time zone of the territory: times on the wire are UTC, show them in this zone. "
            "Absent from events written before it existed (the territory file says, Europe/Paris by default)."
        ),
    )
    time_slot: Literal["weekday_evening", "saturday", "sunday", "working_hours"] | None = Field(
        default=None,
        description=(
            "When the instance starts, in the territory's local time: weekday_evening (Monday to "
            "Friday at or after 18:00), saturday, sunday, or working_hours (Monday to Friday before "
            "18:00). Consumers should prefer it over is_evening, which means a weekday evening "
            "(18:00 local or later) only. Absent from events written before it existed."
        ),
    )

    @model_validator(mode="after")
    def _check_dates(self) -> InstanceRescheduled:
        _check_interval(self.starts_at, self.ends_at)
        return self


class InstanceCancelled(_InstanceEvent):
    """An instance was cancelled."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.instance.cancelled.v1"

    reason: str
    sequence: int = Field(ge=0, description="iCalendar SEQUENCE.")
    title: str | None = Field(
        default=None,
        description="Title of the instance, so a consumer needs no state to show what was cancelled.",
    )
    starts_at: AwareDatetime | None = Field(
        default=None, description="When the cancelled instance was to start (its latest schedule)."
    )


class InstanceHeld(_InstanceEvent):
    """An instance took place."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.instance.held.v1"

    held_at: AwareDatetime


class DossierPublished(_InstanceEvent):
    """The dossier (agenda, notes, projects) of an instance was published or updated."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.dossier.published.v1"

    dossier_version: int = Field(ge=1)
    documents: list[DocumentRef]
    published_at: AwareDatetime
    notice_days: float = Field(description="Days between publication and the start of the instance.")


class MinutesPublished(_InstanceEvent):
    """The minutes of a held instance were published."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.minutes.published.v1"

    summary: str
    documents: list[DocumentRef] = Field(default_factory=list)
    published_at: AwareDatetime


class ConvenedCouncil(BaseModel):
    """The members of one council convened to an instance (ids only)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    council_id: UUID
    member_ids: list[UUID]


class AttendanceRecorded(_InstanceEvent):
    """Staff recorded who attended an instance (member ids only)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.attendance.recorded.v1"

    present_member_ids: list[UUID]
    recorded_at: AwareDatetime
    convened: list[ConvenedCouncil] | None = Field(
        default=None,
        description=(
            "Who was convened, per concerned council, on the instance's date (member ids only): "
            "frozen with the attendance so that a figure about this instance never depends on who "
            "is a member later. Absent from records written before it existed."
        ),
    )


# --------------------------------------------------------------------------- meetings.registrations


class _RegistrationEvent(Event):
    topic: ClassVar[str] = topics.MEETINGS_REGISTRATIONS
    key_field: ClassVar[str] = "instance_id"

    registration_id: UUID
    instance_id: UUID
    member_id: UUID
    council_id: UUID
    mode: AttendanceMode


class RegistrationConfirmed(_RegistrationEvent):
    """A councillor's registration to an instance is confirmed."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.registration.confirmed.v1"


class RegistrationWaitlisted(_RegistrationEvent):
    """A councillor is on the waiting list (their council's seats are taken)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.registration.waitlisted.v1"

    position: int = Field(ge=1, description="1 = next to be promoted.")


class RegistrationPromoted(_RegistrationEvent):
    """A waitlisted registration got a seat and is now confirmed."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.registration.promoted.v1"


class RegistrationCancelled(_RegistrationEvent):
    """A registration was cancelled (by the councillor or by staff)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.registration.cancelled.v1"


# --------------------------------------------------------------------------- notifications.deliveries

_EMAIL_IN_TEXT_RE: Final = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+")
_PHONE_IN_TEXT_RE: Final = re.compile(r"(?<!\d)(?:\+\d{1,3}[ .-]?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")


class _DeliveryEvent(Event):
    topic: ClassVar[str] = topics.NOTIFICATIONS_DELIVERIES
    key_field: ClassVar[str] = "member_id"

    delivery_id: UUID
    member_id: UUID
    channel: Literal["email", "sms"]
    category: Literal["scheduling", "dossier", "reminder", "minutes", "digest", "alert", "signin"]
    source_event_id: str = Field(description="ce_id of the event that caused the notification.")


class NotificationSent(_DeliveryEvent):
    """A notification was handed over to the email/SMS gateway."""

    event_type: ClassVar[str] = TYPE_PREFIX + "notifications.delivery.sent.v1"

    sent_at: AwareDatetime


class NotificationFailed(_DeliveryEvent):
    """A notification could not be delivered. Addresses in ``error`` are redacted."""

    event_type: ClassVar[str] = TYPE_PREFIX + "notifications.delivery.failed.v1"

    error: str
    permanent: bool
    failed_at: AwareDatetime

    @field_validator("error")
    @classmethod
    def _redact(cls, value: str) -> str:
        # SMTP errors often echo the recipient; keep contact data out of the event log.
        value = _EMAIL_IN_TEXT_RE.sub("<redacted-email>", value)
        return _PHONE_IN_TEXT_RE.sub("<redacted-phone>", value)


# --------------------------------------------------------------------------- alerts.staff


class StaffAlertRaised(Event):
    """A rule was broken; territory staff should act. ``message_fr`` must not name people."""

    event_type: ClassVar[str] = TYPE_PREFIX + "alerts.staff_alert.raised.v1"
    topic: ClassVar[str] = topics.STAFF_ALERTS
    key_field: ClassVar[str] = "subject_id"

    alert_id: UUID
    kind: Literal[
        "dossier_late",
        "daytime_political_instance",
        "short_notice",
        "theme_without_referent",
        "council_over_quota",
        "nobody_registered",
    ]
    subject_id: UUID = Field(description="Id of the instance, council or member concerned.")
    message_fr: str
    raised_at: AwareDatetime


# --------------------------------------------------------------------------- meetings.outcomes

OutcomeKind = Literal["proposal", "commitment"]
OutcomeStatus = Literal["proposed", "in_progress", "done", "abandoned"]


class _OutcomeEvent(Event):
    topic: ClassVar[str] = topics.MEETINGS_OUTCOMES
    key_field: ClassVar[str] = "outcome_id"

    outcome_id: UUID = Field(description="Id of the outcome (proposition ou engagement).")


class OutcomeRecorded(_OutcomeEvent):
    """A forum outcome was recorded: a council's proposal or an elected official's commitment.

    It is the first entry (position 1) of the outcome's history.
    """

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.outcome.recorded.v1"

    kind: OutcomeKind = Field(
        description="'proposal' (proposition d'un conseil) or 'commitment' (engagement d'un·e élu·e)."
    )
    text: NonEmpty = Field(
        description="Public text of the proposal or commitment; never names a private person."
    )
    made_by: Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)] = Field(
        description="Who made it: a council's name or an elected official's office (e.g. 'Maire adjoint·e "
        "à la jeunesse'), never a private person."
    )
    council_id: UUID | None = Field(default=None, description="Council that made the proposal, if any.")
    instance_id: UUID | None = Field(
        default=None, description="Forum instance (rencontre) where it was made, if any."
    )
    theme: Slug | None = Field(default=None, description="Theme slug (thématique) from the territory file.")
    made_on: date = Field(description="Date the proposal or commitment was made.")
    status: OutcomeStatus = Field(default="proposed", description="Status when recorded.")
    recorded_at: AwareDatetime = Field(description="When it was recorded, RFC 3339 with offset.")


class OutcomeStatusChanged(_OutcomeEvent):
    """The follow-up status of an outcome changed (or a follow-up note was added)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.outcome.status_changed.v1"

    status: OutcomeStatus = Field(description="New status.")
    previous_status: OutcomeStatus = Field(description="Status before this change.")
    note: NonEmpty = Field(description="Public follow-up note; never names a private person.")
    position: int = Field(
        ge=2,
        description="1-based order of this change in the outcome's history (1 is the OutcomeRecorded). "
        "A consumer ignores a change whose position is not newer than the one it holds.",
    )
    changed_at: AwareDatetime = Field(description="When the status changed, RFC 3339 with offset.")


# --------------------------------------------------------------------------- registry.directory

DirectoryEntryType = Literal["partner", "scheme", "place"]
PartnerKind = Literal["state", "city", "territory", "landlord", "association", "other"]


class _DirectoryEvent(Event):
    topic: ClassVar[str] = topics.REGISTRY_DIRECTORY
    key_field: ClassVar[str] = "entry_id"

    entry_id: UUID = Field(description="Id of the directory entry (fiche de l'annuaire).")


class DirectoryEntrySaved(_DirectoryEvent):
    """A directory entry was created or changed; the event carries its whole public state.

    Only institutional data: the name of an organisation, scheme or place, its public
    postal address and a functional mailbox (``contact_role`` is a job title, never a
    person's name). Staff are told never to enter a private person's details there
    (the mailbox is "une adresse fonctionnelle, jamais celle d'une personne").
    """

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.directory_entry.saved.v1"

    entry_type: DirectoryEntryType = Field(
        description="'partner' (partenaire), 'scheme' (dispositif) or 'place' (lieu)."
    )
    name: NonEmpty = Field(description="Public name of the organisation, scheme or place.")
    kind: PartnerKind | None = Field(
        default=None, description="Partners only: kind of organisation (État, ville, bailleur…)."
    )
    themes: list[Slug] = Field(default_factory=list, description="Theme slugs (thématiques) it works on.")
    contact_role: str | None = Field(
        default=None, description="Job title to ask for (e.g. 'chargé de mission emploi'), never a name."
    )
    # A functional, institutional mailbox (accueil@..., emploi@...): the API documents
    # it as "jamais celle d'une personne". Kept so that a replay rebuilds the directory.
    contact_email: str | None = Field(
        default=None, description="Functional mailbox of the organisation, never a person's address."
    )
    city_code: CityCode | None = Field(default=None, description="INSEE code of the city, if local.")
    address: str | None = Field(
        default=None, description="Public postal address of the organisation or place."
    )
    url: str | None = Field(default=None, description="Public web page.")
    description: str = Field(default="", description="Public description.")
    saved_at: AwareDatetime = Field(description="When the entry was saved, RFC 3339 with offset.")


class DirectoryEntryRemoved(_DirectoryEvent):
    """A directory entry was deleted."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.directory_entry.removed.v1"

    entry_type: DirectoryEntryType = Field(description="Section it was in: partner, scheme or place.")
    removed_at: AwareDatetime = Field(description="When it was removed, RFC 3339 with offset.")
