"""Events of the registry service: councils, members, contact cards, directory."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, ClassVar, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    field_validator,
)

from .. import topics
from .base import (
    TYPE_PREFIX,
    CityCode,
    College,
    CouncilStatus,
    Event,
    MemberRole,
    NonEmpty,
    Slug,
)

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
(type `{TYPE_PREFIX}registry.member.contact_card.v1`), or a `MemberContactCardV2`
one (type `{TYPE_PREFIX}registry.member.contact_card.v2`) for a member without email.

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
