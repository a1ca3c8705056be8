"""The SQL of staff alerts (part of `NotificationsRepository`, which inherits it): the alerts
kept from the alerts topic, what staff did with them, their email preferences, and the
alert emails with the alerts each address was told of."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.alert_rules import (
    AlertAction,
    AlertCities,
    AlertState,
    StaffAlertMode,
    subject_type,
    validate_mode,
)
from conseils_notifications.records import StaffAlertMailRecord, StaffAlertRecord, StaffAlertView

_ACTIONS = t.staff_alert_actions


class StaffAlertQueries:
    """Typed queries on the staff alert tables, in the caller's transaction."""

    session: AsyncSession

    # ----------------------------------------------------------------- alerts and their actions

    async def keep_staff_alert(self, alert: StaffAlertRecord) -> bool:
        """Kept once, however often it arrives; True when it is new."""
        found = await self.session.scalar(
            select(t.staff_alerts.c.alert_id).where(t.staff_alerts.c.alert_id == alert.alert_id)
        )
        if found is not None:
            return False
        await self.session.execute(t.staff_alerts.insert().values(**alert.__dict__))
        return True

    async def staff_alert(self, alert_id: UUID) -> StaffAlertRecord | None:
        query = select(t.staff_alerts).where(t.staff_alerts.c.alert_id == alert_id)
        row = (await self.session.execute(query)).mappings().first()
        return StaffAlertRecord.of(row) if row is not None else None

    async def record_alert_action(
        self, alert_id: UUID, action: AlertAction, staff_id: UUID, at: datetime
    ) -> bool:
        """The first fact of each action counts (a redelivery or a second click adds nothing)."""
        found = await self.session.scalar(
            select(_ACTIONS.c.alert_id).where(_ACTIONS.c.alert_id == alert_id, _ACTIONS.c.action == action)
        )
        if found is not None:
            return False
        await self.session.execute(
            insert(_ACTIONS).values(alert_id=alert_id, action=action, staff_id=staff_id, at=at)
        )
        return True

    async def alert_states(self, alert_ids: Iterable[UUID]) -> dict[UUID, AlertState]:
        ids = set(alert_ids)
        states: dict[UUID, dict[str, Any]] = {alert_id: {} for alert_id in ids}
        if ids:
            query = select(_ACTIONS).where(_ACTIONS.c.alert_id.in_(ids))
            for row in (await self.session.execute(query)).mappings():
                prefix = "acknowledged" if row["action"] == "acknowledged" else "resolved"
                states[row["alert_id"]][f"{prefix}_by"] = row["staff_id"]
                states[row["alert_id"]][f"{prefix}_at"] = row["at"]
        return {alert_id: AlertState(**values) for alert_id, values in states.items()}

    async def staff_alerts(self, limit: int, *, unresolved_only: bool = False) -> list[StaffAlertView]:
        """Newest first, with who acknowledged and resolved each."""
        query = select(t.staff_alerts).order_by(t.staff_alerts.c.raised_at.desc()).limit(limit)
        if unresolved_only:
            query = query.where(~self._resolved())
        alerts = [StaffAlertRecord.of(row) for row in (await self.session.execute(query)).mappings()]
        states = await self.alert_states(alert.alert_id for alert in alerts)
        return [StaffAlertView(alert, states[alert.alert_id]) for alert in alerts]

    async def staff_alerts_by_ids(self, alert_ids: Sequence[UUID]) -> list[StaffAlertView]:
        query = select(t.staff_alerts).where(t.staff_alerts.c.alert_id.in_(set(alert_ids)))
        alerts = [StaffAlertRecord.of(row) for row in (await self.session.execute(query)).mappings()]
        states = await self.alert_states(alert.alert_id for alert in alerts)
        ordered = sorted(alerts, key=lambda alert: alert.raised_at)
        return [StaffAlertView(alert, states[alert.alert_id]) for alert in ordered]

    async def alert_cities(self, alerts: Iterable[StaffAlertRecord]) -> dict[UUID, AlertCities]:
        """The cities each alert concerns, from what it names (an instance: its city, else its
        councils' cities, else the whole territory; a council; a member's council); None for an
        alert that names nothing of a city (a webhook endpoint), empty for an instance or a
        council not known here yet (the read models may come after the alert)."""
        alerts = list(alerts)
        ids = {alert.subject_id for alert in alerts}
        found: dict[UUID, AlertCities] = {}
        council_of: dict[UUID, UUID | None] = {}
        if ids:
            query = select(t.instances.c.instance_id, t.instances.c.city_code, t.instances.c.council_ids)
            instance_councils: dict[UUID, list[UUID]] = {}
            for row in await self.session.execute(query.where(t.instances.c.instance_id.in_(ids))):
                if row.city_code:
                    found[row.instance_id] = frozenset({row.city_code})
                elif row.council_ids:
                    instance_councils[row.instance_id] = [UUID(str(c)) for c in row.council_ids]
                else:
                    found[row.instance_id] = None  # the whole territory
            members = select(t.members.c.member_id, t.members.c.council_id)
            for member in await self.session.execute(
                members.where(t.members.c.member_id.in_(ids - set(found)))
            ):
                council_of[member.member_id] = member.council_id
            wanted: set[UUID] = ids | {c for cs in instance_councils.values() for c in cs}
            wanted |= {c for c in council_of.values() if c is not None}
            codes = select(t.councils.c.council_id, t.councils.c.city_code)
            city = {
                council.council_id: council.city_code
                for council in await self.session.execute(codes.where(t.councils.c.council_id.in_(wanted)))
            }
            for instance_id, councils in instance_councils.items():
                found[instance_id] = frozenset(city[c] for c in councils if c in city)
            for member_id, council_id in council_of.items():
                found[member_id] = frozenset({city[council_id]} if council_id in city else ())
            found.update(
                {council_id: frozenset({code}) for council_id, code in city.items() if council_id in ids}
            )
        return {
            alert.alert_id: found[alert.subject_id]
            if alert.subject_id in found
            else (frozenset() if subject_type(alert.kind) is not None else None)
            for alert in alerts
        }

    @staticmethod
    def _resolved() -> Any:
        return exists().where(
            _ACTIONS.c.alert_id == t.staff_alerts.c.alert_id, _ACTIONS.c.action == "resolved"
        )

    # ----------------------------------------------------------------- email preferences of staff

    async def staff_alert_modes(self) -> dict[str, StaffAlertMode]:
        query = select(t.staff_alert_preferences.c.email, t.staff_alert_preferences.c.mode)
        return {row.email: validate_mode(row.mode) for row in await self.session.execute(query)}

    async def staff_alert_mode(self, staff_id: UUID) -> StaffAlertMode | None:
        mode = await self.session.scalar(
            select(t.staff_alert_preferences.c.mode).where(t.staff_alert_preferences.c.staff_id == staff_id)
        )
        return validate_mode(mode) if mode is not None else None

    async def save_staff_alert_mode(
        self, email: str, staff_id: UUID, mode: StaffAlertMode, now: datetime
    ) -> None:
        table = t.staff_alert_preferences
        values = {"staff_id": staff_id, "mode": mode, "updated_at": now}
        result: Any = await self.session.execute(update(table).where(table.c.email == email).values(**values))
        if result.rowcount == 0:
            await self.session.execute(insert(table).values(email=email, **values))

    # ----------------------------------------------------------------- alert emails

    async def add_staff_alert_mail(
        self, source: str, email: str, alert_ids: Sequence[UUID], now: datetime
    ) -> UUID | None:
        """One email per (source, address), and each alert told once per address: None when
        this one exists already or tells nothing new."""
        mails = t.staff_alert_mails
        found = await self.session.scalar(
            select(mails.c.mail_id).where(mails.c.source == source, mails.c.email == email)
        )
        told = await self.told_alerts(email, alert_ids)
        new = [alert_id for alert_id in alert_ids if alert_id not in told]
        if found is not None or not new:
            return None
        mail_id = uuid.uuid4()
        await self.session.execute(
            insert(mails).values(
                mail_id=mail_id,
                source=source,
                email=email,
                alert_ids=[str(a) for a in new],
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        await self.session.execute(
            insert(t.staff_alert_notices),
            [{"alert_id": alert_id, "email": email, "mail_id": mail_id} for alert_id in new],
        )
        return mail_id

    async def told_alerts(self, email: str, alert_ids: Iterable[UUID]) -> set[UUID]:
        notices = t.staff_alert_notices
        ids = set(alert_ids)
        if not ids:
            return set()
        query = select(notices.c.alert_id).where(notices.c.email == email, notices.c.alert_id.in_(ids))
        return set((await self.session.execute(query)).scalars())

    async def open_alerts_since(self, since: datetime, limit: int) -> list[StaffAlertRecord]:
        """Alerts raised since `since` that nobody resolved, oldest first (a digest's candidates)."""
        query = (
            select(t.staff_alerts)
            .where(t.staff_alerts.c.raised_at >= since, ~self._resolved())
            .order_by(t.staff_alerts.c.raised_at)
            .limit(limit)
        )
        return [StaffAlertRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def claim_staff_alert_mails(
        self, *, now: datetime, lease_until: datetime, limit: int, lock: bool
    ) -> list[StaffAlertMailRecord]:
        """Due mails (pending, or `sending` whose lease ended: the sender died), marked `sending`."""
        mails = t.staff_alert_mails
        query = (
            select(mails)
            .where(mails.c.status.in_(("pending", "sending")), mails.c.next_attempt_at <= now)
            .order_by(mails.c.next_attempt_at)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        rows = [StaffAlertMailRecord.of(row) for row in (await self.session.execute(query)).mappings()]
        if rows:
            await self.session.execute(
                update(mails)
                .where(mails.c.mail_id.in_([row.mail_id for row in rows]))
                .values(status="sending", next_attempt_at=lease_until)
            )
        return rows

    async def update_staff_alert_mail(self, mail_id: UUID, **values: Any) -> None:
        mails = t.staff_alert_mails
        await self.session.execute(update(mails).where(mails.c.mail_id == mail_id).values(**values))

    async def staff_alert_mails(self, email: str | None = None) -> list[StaffAlertMailRecord]:
        mails = t.staff_alert_mails
        query = select(mails).order_by(mails.c.created_at)
        if email is not None:
            query = query.where(mails.c.email == email)
        return [StaffAlertMailRecord.of(row) for row in (await self.session.execute(query)).mappings()]
