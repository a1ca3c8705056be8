"""Calendar feeds (RFC 5545): the territory's agenda, a council's, a theme's, and a member's own
behind a secret address she can rotate or revoke."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from conseils_notifications import calendar
from conseils_notifications.domain import concerned_councils
from conseils_notifications.repository import NotificationsRepository
from conseils_notifications.use_cases import NotificationsCore
from conseils_runtime.http import NotFound


class Feeds(NotificationsCore):
    """Calendar feeds and their tokens."""

    async def _feed_instances(
        self,
        repo: NotificationsRepository,
        *,
        council_id: UUID | None = None,
        theme: str | None = None,
        member_id: UUID | None = None,
        horizon_days: int = 400,
    ) -> list[dict[str, Any]]:
        """Instances of a feed: recent past (`calendar.FEED_PAST`, cancelled ones too) and future,
        filtered by council, theme or member."""
        now = self.clock()
        rows = await repo.instances_starting(
            now - calendar.FEED_PAST, now + timedelta(days=horizon_days), theme=theme
        )
        if council_id is not None:
            directory = await repo.directory(self.today())
            rows = [row for row in rows if council_id in concerned_councils(row.view(), directory)]
        if member_id is not None:
            mine = await repo.instances_told_to(member_id) | await repo.registered_instances(member_id)
            rows = [row for row in rows if row.instance_id in mine]
        return [self.snapshot(row) for row in rows]

    def _ics(self, snapshots: list[dict[str, Any]], name: str) -> bytes:
        return calendar.feed(
            snapshots,
            name=name,
            territory=self.settings.territory,
            public_base_url=self.settings.resolved_public_base_url(),
            organizer=self.settings.resolved_mail_sender(),
        )

    async def agenda_feed(self) -> bytes:
        """The territory's public agenda."""
        async with self.units.reading() as repo:
            snapshots = await self._feed_instances(repo)
        return self._ics(snapshots, f"Instances — {self.territory.territory.name}")

    async def council_feed(self, council_id: UUID) -> bytes:
        async with self.units.reading() as repo:
            name = await repo.council_name(council_id)
            if name is None:
                raise NotFound("Conseil citoyen inconnu.")
            snapshots = await self._feed_instances(repo, council_id=council_id)
        return self._ics(snapshots, f"Instances — {name}")

    async def theme_feed(self, theme: str) -> bytes:
        names = {item.slug: item.name for item in self.territory.themes}
        if theme not in names:
            raise NotFound("Thématique inconnue.")
        async with self.units.reading() as repo:
            snapshots = await self._feed_instances(repo, theme=theme)
        return self._ics(snapshots, f"Instances — {names[theme]}")

    async def member_feed(self, token: str) -> bytes:
        """A member's own calendar, behind a secret address they can revoke."""
        async with self.units.reading() as repo:
            member_id = await repo.member_by_feed_token(token)
            if member_id is None:
                raise NotFound("Adresse d'agenda inconnue ou révoquée.")
            snapshots = await self._feed_instances(repo, member_id=member_id)
        return self._ics(snapshots, "Mes instances")

    async def new_feed_url(self, member_id: UUID) -> str:
        """A new secret calendar address (its URL); the previous one stops working."""
        token = secrets.token_urlsafe(24)
        async with self.units.begin() as unit:
            await unit.repo.set_feed_token(member_id, token)
        return f"{self.settings.resolved_public_base_url()}/notifications/feeds/members/{token}.ics"

    async def revoke_feed_token(self, member_id: UUID) -> None:
        async with self.units.begin() as unit:
            await unit.repo.set_feed_token(member_id, None)
