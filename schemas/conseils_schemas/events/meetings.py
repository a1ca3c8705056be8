"""Events of the meetings service: instances, registrations, outcomes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from .. import topics
from .base import (
    TYPE_PREFIX,
    AttendanceMode,
    CityCode,
    Event,
    NonEmpty,
    Sha256,
    Slug,
)
from .staff_edits import OtherAttendees

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
    other_attendees: list[OtherAttendees] | None = Field(
        default=None,
        description=(
            "Participants other than councillors (elected officials, city, territory and State "
            "staff, partners): count, organisation and role, never a name. Absent from records "
            "written before it existed."
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
