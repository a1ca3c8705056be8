"""Which channel reaches a person whose card has no email (a v2 contact card): SMS, whatever
her preferences say. Used when deliveries are planned (`use_cases._notify`), so invitations and
reminders go to her by SMS; her saved preferences are left as they are (they apply again the
day her card carries an email)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.domain import DEFAULT_PREFERENCES, Preferences

__all__ = ["reachable_preferences", "sms_only"]


def sms_only(prefs: Preferences) -> Preferences:
    """Her preferences with SMS as the one channel, nothing held for a digest (a digest is an
    email): the categories she chose still apply."""
    return replace(prefs, channels=frozenset({"sms"}), digest=False)


async def without_email(session: AsyncSession, member_ids: Iterable[UUID]) -> set[UUID]:
    """Those of `member_ids` whose contact card has no email."""
    ids = list(member_ids)
    if not ids:
        return set()
    query = select(t.contacts.c.member_id).where(
        t.contacts.c.member_id.in_(ids), t.contacts.c.email.is_(None)
    )
    return set((await session.execute(query)).scalars())


def reachable_preferences(
    preferences: dict[UUID, Preferences], sms_members: Iterable[UUID]
) -> dict[UUID, Preferences]:
    """`preferences` with `sms_only` applied to the members reached by SMS only."""
    result = dict(preferences)
    for member_id in sms_members:
        result[member_id] = sms_only(result.get(member_id, DEFAULT_PREFERENCES))
    return result
