"""How a council is represented at an instance: a substitute (suppléant·e) per theme referent,
invited when the referent cannot come; and the rota (tour de rôle) of the "rotation" scenario,
whose next member is invited each time an instance of that type is scheduled.

No personal data: people appear only as member ids.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from .. import topics
from .base import TYPE_PREFIX, Event, Slug


class _CouncilFact(Event):
    topic: ClassVar[str] = topics.REGISTRY_COUNCILS
    key_field: ClassVar[str] = "council_id"

    council_id: UUID


class SubstituteDesignated(_CouncilFact):
    """A council designated the substitute of its referent for a theme (replaces the former one)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.substitute.designated.v1"

    theme: Slug
    member_id: UUID = Field(description="Member id of the substitute.")
    since: date


class SubstituteWithdrawn(_CouncilFact):
    """A council's theme has no substitute any more (withdrawn, or she left the council)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "registry.substitute.withdrawn.v1"

    theme: Slug
    member_id: UUID
    until: date


class RotaSet(Event):
    """A council's rota (tour de rôle), in order; the next turn starts again at its first member."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.rota.set.v1"
    topic: ClassVar[str] = topics.MEETINGS_VOICE
    key_field: ClassVar[str] = "council_id"

    council_id: UUID
    member_ids: list[UUID] = Field(max_length=200, description="Members in the order of their turns.")
    set_by: UUID | None = Field(default=None, description="Member id of the coordinator (none: staff).")
    set_at: AwareDatetime


class RotationTurnAssigned(Event):
    """The member of a council's rota whose turn it is at an instance (invited to represent it).

    `next_position` is the rota's position after this turn; `swapped_with` the member who gave
    her turn (a swap for this instance: she takes the next turn of `member_id` in exchange);
    `settles_swap_of` the member whose natural turn this one was, owed by an earlier swap."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.rotation.turn_assigned.v1"
    topic: ClassVar[str] = topics.MEETINGS_INSTANCES
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID
    council_id: UUID
    member_id: UUID
    next_position: int = Field(ge=0)
    swapped_with: UUID | None = None
    settles_swap_of: UUID | None = None
    assigned_at: AwareDatetime


class RotationTurnVacant(Event):
    """A council's rota had no eligible member for an instance (empty, or everyone left)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.rotation.turn_vacant.v1"
    topic: ClassVar[str] = topics.MEETINGS_INSTANCES
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID
    council_id: UUID
    noted_at: AwareDatetime


REGISTRY_REPRESENTATION_EVENTS: tuple[type[Event], ...] = (SubstituteDesignated, SubstituteWithdrawn)
"""The registry's events of this module (substitutes)."""
MEETINGS_REPRESENTATION_EVENTS: tuple[type[Event], ...] = (RotaSet, RotationTurnAssigned, RotationTurnVacant)
"""The meetings service's events of this module (the rota and its turns)."""

GLOSSES_FR: dict[str, str] = {
    "SubstituteDesignated": "suppléant·e d'un·e référent·e désigné·e",
    "SubstituteWithdrawn": "suppléant·e d'un·e référent·e retiré·e",
    "RotaSet": "tour de rôle d'un conseil fixé",
    "RotationTurnAssigned": "membre dont c'est le tour de représenter son conseil à une instance",
    "RotationTurnVacant": "tour de rôle sans membre disponible pour une instance",
}
"""French glosses of this module's events, for the catalogue (`catalogue.py`)."""
