"""Her venue confirmed (issue 19, « Je viens » of the J-1 reminder): the councillor registered
(confirmed) says she is still coming, so the organiser counts who will really be there. A fact
about her registration, on the registrations topic; ids only. A later cancellation of that
registration (« Je ne viens plus », a mode switch, her departure) undoes it."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from .. import topics
from .base import TYPE_PREFIX, Event


class AttendanceConfirmed(Event):
    """A councillor with a confirmed seat confirmed she is coming (« Je viens »)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.attendance.confirmed.v1"
    topic: ClassVar[str] = topics.MEETINGS_REGISTRATIONS
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID = Field(description="The instance she is coming to (Kafka key).")
    registration_id: UUID = Field(description="Her registration, confirmed when she answered.")
    member_id: UUID = Field(description="The member who confirmed.")
    confirmed_at: AwareDatetime


CONFIRMATION_EVENTS: tuple[type[Event], ...] = (AttendanceConfirmed,)
