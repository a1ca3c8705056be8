"""Events of the staff's everyday edits that no earlier fact carries: an instance's title, theme
and description changed, and the other participants of an attendance (elected officials,
city, territory and State staff, partners), counted by organisation and role — never a
private person's name."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from .. import topics
from .base import TYPE_PREFIX, Event, NonEmpty, Slug

OtherCategory = Literal["elected", "city", "territory", "state", "partner", "other"]
"""Who the other participants are: elected officials, staff of the city, of the territory
(EPT, intercommunality), of the State, partners (associations, public bodies), other."""

Label = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class OtherAttendees(BaseModel):
    """Participants other than councillors: how many came, from which organisation, in which role."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    category: OtherCategory
    organisation: Label = Field(description="Organisation, e.g. 'Ville de Saint-Denis', 'Préfecture'.")
    role: Label = Field(description="Role or function, e.g. 'adjointe au maire', 'délégué du préfet'.")
    count: int = Field(ge=1, le=10_000, description="How many people of this organisation and role.")


class InstanceUpdated(Event):
    """Staff changed an instance's title, theme or description (its date and place change by
    InstanceRescheduled). Carries the new values whole: applying it twice changes nothing."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.instance.updated.v1"
    topic: ClassVar[str] = topics.MEETINGS_INSTANCES
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID
    title: NonEmpty
    theme: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    updated_at: AwareDatetime
