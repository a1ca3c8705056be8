"""Request and response models of the meetings API (pydantic), with their French descriptions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from conseils_meetings import domain
from conseils_meetings.records import DocumentRecord, InstanceDetail, InstanceRecord, MemberView
from conseils_meetings.service import InstanceDraft, InstanceEdit, Preview


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstanceTypeOut(BaseModel):
    slug: str
    name: str
    political: bool
    scope: str
    min_notice_days: int
    dossier_notice_days: int
    participant_seats_per_council: int | None
    capacity: int | None
    observers_allowed: bool
    on_breach: str
    registration_closes_hours: int


def one_line(value: str) -> str:
    """Titles and places go into email subjects and calendar lines: one line, no control character."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("une seule ligne, sans retour à la ligne ni caractère de contrôle")
    return value


class InstanceIn(_In):
    instance_type: str = Field(min_length=1, max_length=64, examples=["comite-technique"])
    title: str = Field(min_length=2, max_length=300)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str = Field(min_length=2, max_length=300)
    theme: str | None = Field(default=None, max_length=64)
    city_code: str | None = Field(default=None, pattern=r"^\d[0-9AB]\d{3}$")
    council_id: uuid.UUID | None = None
    as_draft: bool = Field(default=False, description="Enregistrer sans programmer (brouillon).")
    dry_run: bool = Field(default=False, description="Aperçu : avertissements sans rien enregistrer.")

    @field_validator("title", "location")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return one_line(value)

    def draft(self) -> InstanceDraft:
        return InstanceDraft(
            instance_type=self.instance_type,
            title=self.title,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            location=self.location,
            theme=self.theme,
            city_code=self.city_code,
            council_id=self.council_id,
        )


class RescheduleIn(_In):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str | None = Field(default=None, min_length=2, max_length=300)

    @field_validator("location")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return None if value is None else one_line(value)

    dry_run: bool = False


class InstanceEditIn(_In):
    """What staff change on an instance; a field left out is unchanged. The place of a
    scheduled instance changes by /reschedule (people are told); a draft's here."""

    title: str | None = Field(default=None, min_length=2, max_length=300)
    theme: str | None = Field(default=None, max_length=64, description='"" : sans thématique.')
    description: str | None = Field(default=None, max_length=5000, description='"" : effacée.')
    location: str | None = Field(default=None, min_length=2, max_length=300)

    def edit(self) -> InstanceEdit:
        return InstanceEdit(
            title=self.title,
            theme=self.theme or None,
            description=self.description,
            location=self.location,
            clear_theme=self.theme == "",
        )


class CancelIn(_In):
    reason: str = Field(min_length=2, max_length=1000)


class DryRunIn(_In):
    dry_run: bool = False


_SLOT_DESCRIPTION = (
    "Créneau de début, à l'heure du territoire : weekday_evening (du lundi au vendredi à partir de "
    "18 h), saturday, sunday ou working_hours (du lundi au vendredi avant 18 h). À préférer à "
    "is_evening, qui ne vaut vrai qu'un soir de semaine."
)
_SLOT_LABEL_DESCRIPTION = (
    "Le créneau en français, tel que l'affichent les pages : « En soirée », « Le samedi »…"
)


def _values(row: Mapping[str, Any] | InstanceRecord | InstanceDetail) -> dict[str, Any]:
    """The fields of an instance by name, from the service's record (or a mapping of them)."""
    return row.as_dict() if isinstance(row, InstanceRecord | InstanceDetail) else dict(row)


def _with_slot(row: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """The instance row with its time slot, computed from starts_at (is_evening agrees with it)."""
    slot = domain.time_slot(row["starts_at"], timezone)
    return {
        **row,
        "time_slot": slot,
        "time_slot_label": domain.SLOT_LABELS[slot],
        "is_evening": slot == "weekday_evening",
    }


class PreviewOut(BaseModel):
    dry_run: Literal[True] = True
    warnings: list[str]
    refused: bool
    reason: str | None
    concerned_council_ids: list[uuid.UUID]
    is_evening: bool
    time_slot: domain.TimeSlot = Field(description=_SLOT_DESCRIPTION)
    time_slot_label: str = Field(description=_SLOT_LABEL_DESCRIPTION)

    @classmethod
    def of(cls, preview: Preview, starts_at: datetime, timezone: str) -> PreviewOut:
        slot = domain.time_slot(starts_at, timezone)
        return cls(
            warnings=preview.warnings,
            refused=preview.refused,
            reason=preview.reason,
            concerned_council_ids=preview.concerned_council_ids,
            is_evening=preview.is_evening,
            time_slot=slot,
            time_slot_label=domain.SLOT_LABELS[slot],
        )


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    version: int
    uploaded_at: datetime
    published_at: datetime | None
    download_url: str = ""

    @classmethod
    def of(cls, row: Mapping[str, Any] | DocumentRecord) -> DocumentOut:
        values = row.as_dict() if isinstance(row, DocumentRecord) else row
        document = cls.model_validate(values, from_attributes=False)
        document.download_url = f"/documents/{document.id}/download"
        return document


class Counts(BaseModel):
    participants: int
    observers: int
    waitlisted: int


class ModeAccessOut(BaseModel):
    allowed: bool = Field(
        description="Vrai : elle peut s'inscrire dans ce mode (peut-être en liste d'attente)."
    )
    code: domain.AccessCode = Field(
        description="open ; waitlist (possible, mais en liste d'attente : quota du conseil ou salle "
        "complète) ; not_open (annulée ou passée) ; closed (inscriptions closes) ; not_member ; "
        "observers_not_allowed ; not_concerned (son conseil n'est pas concerné)."
    )
    reason: str = Field(description="Pourquoi, en français, tel que les pages le disent.")

    @classmethod
    def of(cls, access: domain.ModeAccess) -> ModeAccessOut:
        return cls(allowed=access.allowed, code=access.code, reason=access.reason)


class RegistrationAccessOut(BaseModel):
    """Who may register how: the signed-in councillor, as participant and as observer."""

    concerned: bool = Field(description="Son conseil est concerné par l'instance.")
    participant: ModeAccessOut
    observer: ModeAccessOut

    @classmethod
    def of(cls, access: domain.RegistrationAccess) -> RegistrationAccessOut:
        return cls(
            concerned=access.concerned,
            participant=ModeAccessOut.of(access.participant),
            observer=ModeAccessOut.of(access.observer),
        )


_ACCESS_DESCRIPTION = (
    "Pour une conseillère ou un conseiller : peut-elle s'inscrire comme participant·e, comme "
    "observateur·rice, et pourquoi. Absent pour l'équipe du territoire."
)


class InstanceSummary(BaseModel):
    id: uuid.UUID
    instance_type: str
    title: str
    theme: str | None
    city_code: str | None
    council_id: uuid.UUID | None
    scope: str
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str
    is_political: bool
    is_evening: bool = Field(
        description="Vrai seulement un soir de semaine (à partir de 18 h, heure locale)."
    )
    observers_allowed: bool
    sequence: int
    policy_warnings: list[str]
    time_slot: domain.TimeSlot = Field(description=_SLOT_DESCRIPTION)
    time_slot_label: str = Field(description=_SLOT_LABEL_DESCRIPTION)
    registration_closes_at: datetime | None = Field(
        default=None, description="Fin des inscriptions (selon le type d'instance)."
    )
    held_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    minutes_published_at: datetime | None = None
    access: RegistrationAccessOut | None = Field(default=None, description=_ACCESS_DESCRIPTION)
    description: str | None = Field(default=None, description="Présentation de l'instance, si rédigée.")

    @classmethod
    def of(
        cls,
        row: Mapping[str, Any] | InstanceRecord,
        *,
        timezone: str,
        closes_at: datetime | None = None,
        access: domain.RegistrationAccess | None = None,
    ) -> InstanceSummary:
        values = _with_slot(_values(row), timezone)
        if closes_at is not None:
            values["registration_closes_at"] = closes_at
        values["access"] = None if access is None else RegistrationAccessOut.of(access)
        return cls.model_validate(values)


class OtherAttendeesOut(BaseModel):
    """Participants other than councillors, as recorded with the attendance (no names)."""

    category: str
    organisation: str
    role: str
    count: int


class InstanceOut(InstanceSummary):
    instance_type_name: str
    other_attendees: list[OtherAttendeesOut] = Field(
        default_factory=list,
        description="Autres participants (élu·es, agents, partenaires) : organisation, fonction, nombre.",
    )
    concerned_council_ids: list[uuid.UUID]
    counts: Counts
    registration_closes_at: datetime
    dossier_version: int
    dossier_published_at: datetime | None
    dossier_notice_days_required: int
    dossier_documents: list[DocumentOut]
    minutes_summary: str | None
    minutes_published_at: datetime | None
    minutes_documents: list[DocumentOut]
    held_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    my_presence: Literal["present", "absent"] | None = Field(
        default=None,
        description="Pour une conseillère ou un conseiller : sa présence, une fois la présence "
        "enregistrée (instance tenue) ; nul avant, ou pour l'équipe.",
    )

    @classmethod
    def of(  # type: ignore[override]
        cls,
        row: Mapping[str, Any] | InstanceDetail,
        *,
        staff: bool,
        timezone: str,
        mine: MemberView | None = None,
    ) -> InstanceOut:
        row = _values(row)
        data = _with_slot(row, timezone)
        if mine is not None:
            data["access"] = RegistrationAccessOut.of(mine.access)
            if mine.present is not None:
                data["my_presence"] = "present" if mine.present else "absent"
        data["dossier_documents"] = [
            DocumentOut.of(d) for d in row["dossier_documents"] if staff or d["published_at"] is not None
        ]
        data["minutes_documents"] = [
            DocumentOut.of(d) for d in row["minutes_documents"] if staff or d["published_at"] is not None
        ]
        return cls.model_validate(data)
