"""The weekly digest: one email per member with deferred items, on the territory's digest day."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications.mail import subject_for
from conseils_notifications.records import DigestItem
from conseils_notifications.use_cases import NotificationsCore, Unit

DIGEST_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class Digest(NotificationsCore):
    """Deferred items become one digest per member and week."""

    def digest_week_due(self) -> str | None:
        """The ISO week (`2026-W10`) whose digest is due now, or None before 08:00 UTC of the
        territory's digest day and on the other days."""
        now = self.clock().astimezone(UTC)
        weekday = DIGEST_WEEKDAYS.index(self.territory.notifications.digest_weekday)
        if now.weekday() != weekday or now.hour < 8:
            return None
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"

    async def run_weekly_digest(self, unit: Unit | AsyncSession, week: str) -> int:
        """One digest per member with deferred items: cost follows those members, not all members.

        The deferred items are read in one query and the digests written in a few bulk
        statements (not three statements per member): 40,000 members take seconds. `unit` may
        be a session the caller holds (the national bench times this step in its own).
        """
        if isinstance(unit, AsyncSession):
            unit = self.units.on(unit)
        now = self.clock()
        source_event_id = f"digest:{week}"
        items_by_member: dict[uuid.UUID, list[DigestItem]] = {}
        for item in await unit.repo.deferred_to_digest(source_event_id):
            items_by_member.setdefault(item.member_id, []).append(item)
        digests: list[dict[str, Any]] = [
            {
                "delivery_id": uuid.uuid4(),
                "source_event_id": source_event_id,
                "member_id": member_id,
                "channel": "email",
                "category": "digest",
                "kind": "digest",
                "instance_id": None,
                "reason": "follows_theme",
                "context": {
                    "items": [
                        {
                            "kind": item.kind,
                            "subject": subject_for(item.kind, item.context),
                            "instance_id": item.context["instance"]["instance_id"],
                        }
                        for item in items
                    ]
                },
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for member_id, items in items_by_member.items()
        ]
        await unit.repo.insert_deliveries(digests)
        await unit.repo.mark_deliveries(
            [item.delivery_id for items in items_by_member.values() for item in items], "digested"
        )
        return len(digests)
