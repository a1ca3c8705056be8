"""Version 2 of the contact card: a councillor reached by phone only (no email).

:class:`~conseils_schemas.events.registry.MemberContactCard` (v1) requires an email; it
stays as released. A card without email cannot be a v1 card, so it is a new type on the
same compacted topic, with the same key (the member id).
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Final
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from .. import topics
from .base import TYPE_PREFIX, Event, NonEmpty

__all__ = ["MemberContactCardV2"]

_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MemberContactCardV2(Event):
    """Contact card of a member who may have no email (reached by SMS). Same compacted topic and
    key as the v1 card; null value = erasure (the same tombstone).

    **Which version the registry publishes.** The contacts topic is log-compacted: Kafka keeps
    only the *last* record of each key. Publishing a v1 and a v2 card for every change (the usual
    transition of the catalogue) would let compaction keep the v2 one alone, and a v1 consumer
    replaying the topic would lose every card. So there is **one card per change**: a **v1 card
    when the member has an email** (exactly as before: v1 consumers see every member they can
    write to), a **v2 card only when she has none**. A consumer of v2 must therefore read both
    types (a v1 card is a v2 card with an email). A v1 consumer skips v2 (tolerant reader); when
    it sees a v2 card for a member it knows, that member's email was removed: it must drop the
    email it holds (compaction removes the earlier v1 card from the log too).
    """

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.member.contact_card.v2"
    topic: ClassVar[str] = topics.REGISTRY_MEMBER_CONTACTS
    key_field: ClassVar[str] = "member_id"

    member_id: UUID
    display_name: NonEmpty
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = Field(
        default=None, description="Email address; absent for a member reached by SMS only."
    )
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,24}$")] | None = Field(
        default=None,
        description="Phone number, E.164 (`+33639980000`) when the registry checked it; "
        "required when there is no email.",
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "fr"
    consent_given_at: AwareDatetime | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL_RE.fullmatch(value):
            raise ValueError("email address is not valid")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> MemberContactCardV2:
        if self.email is None and self.phone is None:
            raise ValueError("a contact card needs an email or a phone")
        return self
