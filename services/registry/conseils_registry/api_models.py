"""Response models of the registry API (pydantic), with their French descriptions."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from conseils_registry.domain import EntryType


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CouncilOut(_Out):
    id: uuid.UUID
    slug: str
    name: str
    city: str
    city_code: str
    neighbourhood: str
    neighbourhood_code: str
    status: str
    created_on: date
    dissolved_on: date | None


class MemberPublic(_Out):
    """What a councillor sees of the other members of their council."""

    id: uuid.UUID
    council_id: uuid.UUID
    display_name: str | None
    college: str
    role: str


class MemberOut(MemberPublic):
    """What staff (and the person themselves) see."""

    drawn_by_lot: bool
    joined_on: date
    left_on: date | None
    themes_followed: list[str]
    erased_at: datetime | None
    email: str | None
    phone: str | None
    language: str | None
    consent_given_at: datetime | None
    shown_to_councillors: bool = Field(
        default=False, description="Son nom est montré aux conseillers des autres conseils."
    )


class ReferentOut(_Out):
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID
    since: date
    until: date | None
    end_reason: str | None


class NameShownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shown: bool = Field(description="Montrer mon nom aux conseillers des autres conseils.")


class ReferentShownOut(_Out):
    theme: str
    name: str | None = Field(description="Son nom, seulement si elle ou il a choisi de le montrer.")


class CouncilOverviewOut(BaseModel):
    """A council as every councillor of the territory sees it: no contact details, names only
    of those who chose to be shown."""

    council: CouncilOut
    members: int = Field(description="Membres actifs.")
    referents: list[ReferentShownOut]
    vacant_themes: list[str] = Field(description="Thématiques sans référent·e.")
    names_shown: list[str] = Field(description="Membres qui ont choisi de montrer leur nom.")


class DirectoryEntryOut(_Out):
    id: uuid.UUID
    entry_type: str
    name: str
    kind: str | None
    themes: list[str]
    contact_role: str | None
    contact_email: str | None
    city_code: str | None
    address: str | None
    url: str | None
    description: str


class StaffAccountOut(_Out):
    id: uuid.UUID
    email: str
    name: str
    organisation: str
    kind: str
    role: str


class ThemeOut(_Out):
    slug: str
    name: str


class NeighbourhoodOut(_Out):
    code: str
    name: str


class CityOut(_Out):
    code: str
    name: str
    neighbourhoods: list[NeighbourhoodOut]


class ImportRowOut(BaseModel):
    ligne: int
    statut: str = Field(description="« ok » ou « erreur »")
    messages: list[str]
    nom: str = Field(default="", description="Le nom lu sur la ligne.")
    conseil: str = Field(default="", description="Le conseil trouvé (son nom), si la ligne est valide.")


class ImportReportOut(BaseModel):
    detail: str
    code: str
    lignes: list[ImportRowOut]
    membres_crees: list[uuid.UUID] = []


class DesignationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: uuid.UUID
    since: date | None = None


class DesignationOut(BaseModel):
    referent: ReferentOut
    changed: bool = Field(description="Faux si cette personne était déjà référente de la thématique.")


class LeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left_on: date | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    council_id: uuid.UUID = Field(description="Le conseil qu'elle rejoint.")
    on: date | None = Field(default=None, description="Date du changement (par défaut : aujourd'hui).")


class DissolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dissolved_on: date | None = None


class DirectorySection(enum.StrEnum):
    partners = "partners"
    schemes = "schemes"
    places = "places"


_SECTION_TYPES: dict[DirectorySection, EntryType] = {
    DirectorySection.partners: "partner",
    DirectorySection.schemes: "scheme",
    DirectorySection.places: "place",
}
