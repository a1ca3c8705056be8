"""What territory staff do with an alert (`alerts.staff` topic): they take it in hand
(acknowledged) and close it (resolved). Facts keyed by the alert's id, so one alert's
actions stay in order; staff are named by their account id only (no name, no address).

The alert itself (:class:`~conseils_schemas.events.notifications.StaffAlertRaised`) is
keyed by its subject: an action may be read before its alert, and readers keep both."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from .. import topics
from .base import (
    TYPE_PREFIX,
    Event,
)


class _StaffAlertAction(Event):
    topic: ClassVar[str] = topics.STAFF_ALERTS
    key_field: ClassVar[str] = "alert_id"

    alert_id: UUID = Field(description="The alert_id of the StaffAlertRaised it acts on.")
    staff_id: UUID = Field(description="Id of the staff account that acted (registry staff account).")


class StaffAlertAcknowledged(_StaffAlertAction):
    """A staff member took the alert in hand: the others know someone is on it."""

    event_type: ClassVar[str] = TYPE_PREFIX + "alerts.staff_alert.acknowledged.v1"

    acknowledged_at: AwareDatetime


class StaffAlertResolved(_StaffAlertAction):
    """A staff member closed the alert: the rule is met again, or nothing more can be done."""

    event_type: ClassVar[str] = TYPE_PREFIX + "alerts.staff_alert.resolved.v1"

    resolved_at: AwareDatetime
