"""Staff alerts: raised here (a theme left without referent) or by another service, kept once
for the staff's alerts page, and listed newest first."""

from __future__ import annotations

from conseils_notifications.records import StaffAlertRecord
from conseils_notifications.use_cases import NotificationsCore, Unit
from conseils_schemas import StaffAlertRaised, ThemeLeftWithoutReferent


class Alerts(NotificationsCore):
    """The territory staff's alerts, from every service."""

    async def theme_left_without_referent(self, unit: Unit, event: ThemeLeftWithoutReferent) -> None:
        """Staff read one alerts topic: the registry's fact becomes an alert with a French message."""
        council = await unit.repo.council_name(event.council_id)
        theme = next((item.name for item in self.territory.themes if item.slug == event.theme), event.theme)
        name = council if council is not None else "Un conseil citoyen"
        await self._alert(
            unit,
            "theme_without_referent",
            event.council_id,
            f"{name} n'a plus de référent·e pour la thématique « {theme} ».",
        )

    async def record_staff_alert(self, unit: Unit, alert: StaffAlertRaised) -> None:
        """Keep an alert (raised here or by another service) for the staff's alerts page."""
        await unit.repo.keep_staff_alert(
            StaffAlertRecord(
                alert_id=alert.alert_id,
                kind=alert.kind,
                subject_id=alert.subject_id,
                message_fr=alert.message_fr,
                raised_at=alert.raised_at,
            )
        )

    async def staff_alerts(self, limit: int = 100) -> list[StaffAlertRecord]:
        """Newest first; `limit` is kept between 1 and 500."""
        async with self.units.reading() as repo:
            return await repo.staff_alerts(min(max(limit, 1), 500))
