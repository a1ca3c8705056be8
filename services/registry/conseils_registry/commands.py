"""The input commands of the registry's use cases (pydantic, checked at the edge).

The HTTP API takes them as request bodies; the seed and the CSV import build them
too, so every path into a use case is checked the same way.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conseils_registry.domain import College, CouncilStatus, MemberRole, PartnerKind

__all__ = [
    "ContactInput",
    "CouncilChange",
    "CouncilCreate",
    "DirectoryEntryInput",
    "MemberChange",
    "MemberJoin",
    "StaffAccountInput",
]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CouncilCreate(_Command):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64, examples=["saint-denis-franc-moisin"])
    name: str = Field(min_length=3, max_length=200)
    neighbourhood_code: str = Field(description="Code du quartier prioritaire (QPV) ; la ville en découle.")
    status: CouncilStatus = "active"
    created_on: date | None = None


class CouncilChange(_Command):
    name: str | None = Field(default=None, min_length=3, max_length=200)
    neighbourhood_code: str | None = None
    status: CouncilStatus | None = None


class ContactInput(_Command):
    display_name: str = Field(min_length=2, max_length=120)
    email: str | None = Field(
        default=None,
        max_length=254,
        description="Adresse électronique ; facultative si un téléphone est donné (l'un des deux au moins). "
        "Sans adresse, la personne est prévenue par SMS et ne peut pas se connecter au site "
        "(la connexion se fait par un lien envoyé par courriel).",
    )
    phone: str | None = Field(
        default=None,
        max_length=24,
        description="Numéro français (06 39 98 00 00) ou international (+33 6 39 98 00 00).",
    )
    language: str = "fr"
    consent: bool = Field(
        default=False, description="La personne accepte d'être contactée (date enregistrée)."
    )


class MemberJoin(ContactInput):
    council_id: uuid.UUID
    college: College = "habitants"
    drawn_by_lot: bool = False
    role: MemberRole = "member"
    joined_on: date | None = None
    themes_followed: list[str] = []


class MemberChange(_Command):
    college: College | None = None
    drawn_by_lot: bool | None = None
    role: MemberRole | None = None
    themes_followed: list[str] | None = None


class DirectoryEntryInput(_Command):
    name: str = Field(min_length=2, max_length=200, description="Organisation, dispositif ou lieu.")
    kind: PartnerKind | None = Field(default=None, description="Partenaires : type d'organisation.")
    themes: list[str] = []
    contact_role: str | None = Field(default=None, max_length=200, examples=["chargé de mission emploi"])
    contact_email: str | None = Field(
        default=None, max_length=254, description="Adresse fonctionnelle (jamais celle d'une personne)."
    )
    city_code: str | None = Field(default=None, pattern=r"^\d[0-9AB]\d{3}$")
    address: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=500)
    description: str = Field(default="", max_length=5000)


class StaffAccountInput(_Command):
    email: str = Field(max_length=254)
    name: str = Field(min_length=2, max_length=200)
    organisation: str = Field(min_length=2, max_length=200)
    kind: Literal["territory", "city", "state"]
    role: Literal["staff", "operator"] = "staff"
