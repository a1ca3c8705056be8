"""What the webhook repository returns: frozen records of the webhook tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from conseils_notifications.records import _FromRow


@dataclass(frozen=True)
class EndpointRecord(_FromRow):
    """An endpoint staff registered; its secrets never leave the service after they are shown."""

    endpoint_id: UUID
    url: str
    description: str
    event_types: list[str]
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    status: str
    disabled_reason: str | None
    created_at: datetime
    disabled_at: datetime | None
    last_success_at: datetime | None


@dataclass(frozen=True)
class MessageRecord(_FromRow):
    """One event for one endpoint: its signed body, where its delivery stands."""

    message_id: UUID
    endpoint_id: UUID
    event_id: str
    event_type: str
    event_time: datetime
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class AttemptRecord(_FromRow):
    """One HTTP attempt: when, how long, the status code or our word for the failure."""

    attempt_id: UUID
    message_id: UUID
    endpoint_id: UUID
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None
    outcome: str
    error: str | None
