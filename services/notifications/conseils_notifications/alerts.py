"""Staff alerts: raised here (a theme left without referent) or by another service, kept once
for the staff's alerts page and listed newest first; acknowledged and resolved by staff (facts
on the alerts topic, applied once in any order); each staff account's choice of emails."""

from __future__ import annotations

from uuid import UUID

from conseils_notifications.alert_mails import AlertMails
from conseils_notifications.alert_rules import (
    DEFAULT_MODE,
    AlertAction,
    StaffAlertMode,
    actions_to_record,
    concerns,
    validate_mode,
)
from conseils_notifications.records import StaffAlertRecord, StaffAlertView
from conseils_notifications.use_cases import Unit
from conseils_runtime.errors import DomainError, NotFound
from conseils_schemas import (
    StaffAlertAcknowledged,
    StaffAlertRaised,
    StaffAlertResolved,
    ThemeLeftWithoutReferent,
)


class Alerts(AlertMails):
    """The territory staff's alerts, from every service, and what staff do with them."""

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
        """Keep an alert (raised here or by another service) for the staff's alerts page; a new
        urgent one is emailed at once to the staff who chose so (the others: the daily digest)."""
        record = StaffAlertRecord(
            alert_id=alert.alert_id,
            kind=alert.kind,
            subject_id=alert.subject_id,
            message_fr=alert.message_fr,
            raised_at=alert.raised_at,
        )
        if await unit.repo.keep_staff_alert(record):
            await self._tell_at_once(unit, record)

    async def apply_alert_action(
        self, unit: Unit, event: StaffAlertAcknowledged | StaffAlertResolved
    ) -> None:
        """The one writer of what staff did, for the live use case and the alerts topic alike."""
        if isinstance(event, StaffAlertAcknowledged):
            await unit.repo.record_alert_action(
                event.alert_id, "acknowledged", event.staff_id, event.acknowledged_at
            )
        else:
            await unit.repo.record_alert_action(event.alert_id, "resolved", event.staff_id, event.resolved_at)

    async def acknowledge_alert(self, alert_id: UUID, staff_id: UUID) -> StaffAlertView:
        """She takes it in hand: the other staff see who, and since when."""
        return await self._act(alert_id, staff_id, "acknowledged")

    async def resolve_alert(self, alert_id: UUID, staff_id: UUID) -> StaffAlertView:
        """She closes it (and takes it in hand, if nobody had)."""
        return await self._act(alert_id, staff_id, "resolved")

    async def _act(self, alert_id: UUID, staff_id: UUID, action: AlertAction) -> StaffAlertView:
        now = self.clock()
        async with self.units.begin() as unit:
            alert = await unit.repo.staff_alert(alert_id)
            if alert is None:
                raise NotFound("Alerte introuvable.")
            state = (await unit.repo.alert_states([alert_id]))[alert_id]
            for step in actions_to_record(state, action):
                event: StaffAlertAcknowledged | StaffAlertResolved = (
                    StaffAlertAcknowledged(alert_id=alert_id, staff_id=staff_id, acknowledged_at=now)
                    if step == "acknowledged"
                    else StaffAlertResolved(alert_id=alert_id, staff_id=staff_id, resolved_at=now)
                )
                await self.apply_alert_action(unit, event)  # shown at once; the fact comes back as a no-op
                await unit.emit(event)
            (view,) = await unit.repo.staff_alerts_by_ids([alert_id])
            return view

    async def staff_alerts(
        self, limit: int = 100, *, unresolved_only: bool = False, cities: frozenset[str] | None = None
    ) -> list[StaffAlertView]:
        """Newest first; `limit` is kept between 1 and 500. `cities` (INSEE codes): only the
        alerts concerning one of them or the whole territory (a city or State agent's)."""
        limit = min(max(limit, 1), 500)
        async with self.units.reading() as repo:
            views = await repo.staff_alerts(
                500 if cities is not None else limit, unresolved_only=unresolved_only
            )
            if cities is None:
                return views
            concerned = await repo.alert_cities(view.alert for view in views)
        return [view for view in views if concerns(concerned[view.alert.alert_id], cities)][:limit]

    async def staff_alert_mode(self, staff_id: UUID) -> StaffAlertMode:
        async with self.units.reading() as repo:
            return await repo.staff_alert_mode(staff_id) or DEFAULT_MODE

    async def set_staff_alert_mode(self, staff_id: UUID, email: str, mode: str) -> StaffAlertMode:
        """Her choice, for the address of her account in the territory file."""
        address = email.strip().lower()
        accounts = {account.email.lower() for account in self.territory.staff if account.role == "staff"}
        if address not in accounts:
            raise DomainError(
                "Cette adresse n'est pas celle d'un compte agent du territoire.",
                code="compte_inconnu",
                status_code=422,
            )
        chosen = validate_mode(mode)
        async with self.units.begin() as unit:
            await unit.repo.save_staff_alert_mode(address, staff_id, chosen, self.clock())
        return chosen
