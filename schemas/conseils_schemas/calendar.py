"""What every producer of calendars for one territory must share (RFC 5545).

The UID of an instance's VEVENT is the same in the platform's invitations and feeds
and in any third-party calendar built from the events (the open-data example): a
calendar subscribed to two of them shows each meeting once, and an update from one
replaces the event from the other.
"""

from __future__ import annotations

from uuid import UUID

__all__ = ["instance_uid"]


def instance_uid(instance_id: UUID | str, territory: str) -> str:
    """`<instance id>@conseils.<territory>`: stable for the life of an instance, unique across territories."""
    return f"{instance_id}@conseils.{territory}"
