"""A member's preferences (channels, categories, digest, themes, language) and the one-click
unsubscribe of the links in every email (RFC 8058)."""

from __future__ import annotations

from uuid import UUID

from conseils_notifications.domain import (
    DEFAULT_PREFERENCES,
    Preferences,
    read_unsubscribe_token,
    unsubscribed,
    validate_preferences,
)
from conseils_notifications.use_cases import NotificationsCore


class PreferencesOfMembers(NotificationsCore):
    """Preferences and unsubscribe."""

    async def preferences(self, member_id: UUID) -> Preferences:
        async with self.units.reading() as repo:
            return (await repo.preferences_of([member_id])).get(member_id, DEFAULT_PREFERENCES)

    async def save_preferences(self, member_id: UUID, prefs: Preferences) -> Preferences:
        """Checked (a channel at least, known themes), then saved."""
        prefs = validate_preferences(prefs, [theme.slug for theme in self.territory.themes])
        async with self.units.begin() as unit:
            await unit.repo.save_preferences(member_id, prefs)
        return prefs

    def unsubscribe_category(self, token: str) -> str:
        """The category a signed unsubscribe link is for (refused in French when forged)."""
        _member_id, category = read_unsubscribe_token(self.settings.auth_secret, token)
        return category

    async def unsubscribe(self, token: str) -> str:
        """Removes the link's category from her preferences; returns the category."""
        member_id, category = read_unsubscribe_token(self.settings.auth_secret, token)
        async with self.units.begin() as unit:
            prefs = (await unit.repo.preferences_of([member_id])).get(member_id, DEFAULT_PREFERENCES)
            await unit.repo.save_preferences(member_id, unsubscribed(prefs, category))
        return category
