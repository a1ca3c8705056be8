"""Request and response models of the meetings API: registrations, a councillor's own
registrations and history, attendance and minutes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from conseils_meetings.api_models import DocumentOut, _In
from conseils_meetings.service import RegistrationOutcome
from conseils_schemas.events import OtherAttendees, OtherCategory


class RegistrationIn(_In):
    mode: Literal["participant", "observer"]


class RegistrationOut(BaseModel):
    registration_id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    position: int | None = Field(default=None, description="Rang sur la liste d'attente.")
    changed: bool = Field(description="Faux quand la demande ne change rien (déjà inscrit·e).")
    message: str

    @classmethod
    def of(cls, outcome: RegistrationOutcome) -> RegistrationOut:
        mode = "participant·e" if outcome.mode == "participant" else "observateur·rice"
        if outcome.status == "confirmed":
            message = f"Inscription confirmée comme {mode}."
        elif outcome.status == "waitlisted":
            message = f"Places prises : vous êtes sur la liste d'attente (rang {outcome.position})."
        else:
            message = "Inscription annulée."
        if not outcome.changed and outcome.status != "cancelled":
            message = "Vous êtes déjà inscrit·e : rien n'a changé. " + message
        return cls(
            registration_id=outcome.registration_id,
            instance_id=outcome.instance_id,
            member_id=outcome.member_id,
            council_id=outcome.council_id,
            mode=outcome.mode,
            status=outcome.status,
            position=outcome.position,
            changed=outcome.changed,
            message=message,
        )


class RegistrationRow(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    position: int | None = None
    created_at: datetime
    updated_at: datetime


class MyRegistration(RegistrationRow):
    title: str
    starts_at: datetime
    instance_status: str
    ends_at: datetime | None = None
    cancel_reason: str | None = Field(default=None, description="Motif, si l'instance est annulée.")
    minutes_published_at: datetime | None = Field(
        default=None, description="Publication du compte rendu de l'instance, s'il l'est."
    )
    present: bool | None = Field(
        default=None, description="Marqué·e présent·e ; nul tant que la présence n'est pas enregistrée."
    )


class HistoryRegistration(BaseModel):
    mode: str
    status: str = Field(description="Statut final : confirmed, waitlisted ou cancelled.")
    created_at: datetime
    updated_at: datetime


Participation = Literal["present", "absent", "registered", "waitlisted", "not_registered"]


class HistoryInstance(BaseModel):
    id: uuid.UUID
    instance_type: str
    instance_type_name: str
    title: str
    theme: str | None
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str = Field(description="held, minutes_published, cancelled (ou pas encore tenue).")
    held_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    registration: HistoryRegistration | None = Field(description="Mon inscription, même annulée.")
    present: bool | None = Field(
        description="Marqué·e présent·e ; nul tant que la présence n'est pas saisie."
    )
    participation: Participation = Field(
        description="present ; absent (inscrit·e confirmé·e, non présent·e) ; "
        "registered (présence pas encore saisie) ; waitlisted ; not_registered."
    )
    minutes_summary: str | None
    minutes_published_at: datetime | None
    minutes_documents: list[DocumentOut]

    @classmethod
    def of(cls, row: dict[str, Any]) -> HistoryInstance:
        registration = row["registration"]
        status = registration["status"] if registration else None
        participation: Participation
        if row["present"]:
            participation = "present"
        elif status == "confirmed":
            participation = "absent" if row["present"] is False else "registered"
        elif status == "waitlisted":
            participation = "waitlisted"
        else:
            participation = "not_registered"
        data = {
            **row,
            "participation": participation,
            "minutes_documents": [DocumentOut.of(d) for d in row["minutes_documents"]],
        }
        return cls.model_validate(data)


class MyHistory(BaseModel):
    instances: list[HistoryInstance] = Field(description="Instances passées, la plus récente d'abord.")
    registrations: list[MyRegistration] = Field(
        description="Toutes mes inscriptions, la plus récente d'abord."
    )


class OtherAttendeesIn(_In):
    """Participants other than councillors: how many, from which organisation, in which role
    (never a name)."""

    category: OtherCategory = Field(
        description="elected (élu·es), city (agents de la ville), territory (agents du territoire), "
        "state (services de l'État), partner (partenaires), other."
    )
    organisation: str = Field(min_length=2, max_length=200, examples=["Ville de Saint-Denis"])
    role: str = Field(min_length=2, max_length=200, examples=["adjointe au maire"])
    count: int = Field(default=1, ge=1, le=10_000)


class AttendanceIn(_In):
    present_member_ids: list[uuid.UUID] = Field(max_length=2000)
    others: list[OtherAttendeesIn] = Field(
        default_factory=list,
        max_length=200,
        description="Les autres participants (élu·es, agents de la ville, du territoire, de l'État, "
        "partenaires), par organisation et fonction.",
    )

    def other_attendees(self) -> list[OtherAttendees]:
        return [OtherAttendees.model_validate(group.model_dump()) for group in self.others]


class AttendanceRow(BaseModel):
    member_id: uuid.UUID
    council_id: uuid.UUID | None
    registered: bool


class MinutesIn(_In):
    summary: str = Field(min_length=2, max_length=20_000)
