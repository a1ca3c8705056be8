"""Presence declared by the councillor herself (issue 19, « Étiez-vous présent·e ? »): she typed
the attendance code shown at the meeting on her phone. A self-declared fact that staff reconcile
with their own attendance sheet (`AttendanceRecorded` stays theirs). Ids only."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from .. import topics
from .base import TYPE_PREFIX, Event


class PresenceDeclared(Event):
    """A councillor declared herself present at an instance with its attendance code."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.presence.declared.v1"
    topic: ClassVar[str] = topics.MEETINGS_REGISTRATIONS
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID = Field(description="Instance she attended (Kafka key).")
    member_id: UUID = Field(description="The member who typed the right code.")
    declared_at: AwareDatetime


PRESENCE_EVENTS: tuple[type[Event], ...] = (PresenceDeclared,)
