"""The base of every event payload, and the field types the catalogue shares."""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
)

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
