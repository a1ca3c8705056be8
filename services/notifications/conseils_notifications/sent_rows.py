"""The SQL of the sender's group commit: the `sent` outcome of several deliveries in one
statement (an executemany: one round trip to the database for the whole group, where one
UPDATE per row cost a round trip each). Kept beside the repository, whose module is at its
size limit; it runs in the caller's transaction like every repository query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.records import DeliveryRecord

_MARK_SENT = (
    update(t.deliveries)
    .where(t.deliveries.c.delivery_id == bindparam("b_delivery_id"))
    .values(
        status="sent",
        sent_at=bindparam("b_sent_at"),
        attempts=bindparam("b_attempts"),
        last_error=None,
        subject=bindparam("b_subject"),
    )
)


class SentRows:
    """Writes `sent` rows in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark_sent(self, sent: Sequence[tuple[DeliveryRecord, str]], *, sent_at: datetime) -> None:
        """Each delivery `sent` at `sent_at`, its attempt counted, its subject kept: the same
        values as one `update_delivery` per row, in one executemany."""
        if not sent:
            return
        await self.session.execute(
            _MARK_SENT,
            [
                {
                    "b_delivery_id": delivery.delivery_id,
                    "b_sent_at": sent_at,
                    "b_attempts": delivery.attempts + 1,
                    "b_subject": subject,
                }
                for delivery, subject in sent
            ],
        )
