"""Staff alerts by email: an urgent alert at once to the staff who chose so, the others in a
daily digest (from 08:00, the territory's time), each alert told once per address; and the
sender's steps (claim due mails under a lease, record the outcome)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from conseils_notifications.alert_rules import (
    DIGEST_LOOKBACK,
    StaffRecipient,
    concerns,
    digest_day_due,
    staff_recipients,
    told_at_once,
)
from conseils_notifications.records import StaffAlertMailRecord, StaffAlertRecord, StaffAlertView
from conseils_notifications.use_cases import NotificationsCore, Unit
from conseils_runtime.database import after_commit
from conseils_runtime.write_queue import write_queue

DIGEST_MAX_ALERTS = 200
"""A digest lists at most this many alerts (the page has them all)."""


class AlertMails(NotificationsCore):
    """Planning and sending the staff's alert emails."""

    async def _recipients(self, unit: Unit) -> list[StaffRecipient]:
        modes = await unit.repo.staff_alert_modes()
        staff = self.territory.staff
        cities = {a.email.lower(): self.territory.staff_cities(a.email) for a in staff}
        return staff_recipients(((a.email, a.role) for a in staff), modes, cities)

    async def _tell_at_once(self, unit: Unit, alert: StaffAlertRecord) -> int:
        now = self.clock()
        planned = 0
        recipients = await self._recipients(unit)
        concerned = (await unit.repo.alert_cities([alert]))[alert.alert_id]
        for email in told_at_once(recipients, alert.kind, alert.raised_at, now, concerned):
            if await unit.repo.add_staff_alert_mail(f"alert:{alert.alert_id}", email, [alert.alert_id], now):
                planned += 1
        if planned:
            self._wake_alert_mailer(unit)
        return planned

    def alert_digest_day_due(self) -> date | None:
        return digest_day_due(self.clock(), self.territory.territory.timezone)

    async def run_daily_alert_digest(self, unit: Unit, day: date) -> int:
        """One digest per address with alerts still open it was not told of (raised in the last
        days); a second run the same day adds nothing."""
        now = self.clock()
        candidates = await unit.repo.open_alerts_since(now - DIGEST_LOOKBACK, DIGEST_MAX_ALERTS)
        concerned = await unit.repo.alert_cities(candidates)
        planned = 0
        for recipient in await self._recipients(unit):
            ids = [a.alert_id for a in candidates if concerns(concerned[a.alert_id], recipient.cities)]
            if ids and await unit.repo.add_staff_alert_mail(
                f"digest:{day.isoformat()}", recipient.email, ids, now
            ):
                planned += 1
        if planned:
            self._wake_alert_mailer(unit)
        return planned

    def _wake_alert_mailer(self, unit: Unit) -> None:
        for callback in self.on_new_alert_mails:  # the mailer need not wait for its next poll
            after_commit(unit.session, callback)

    # ----------------------------------------------------------------- the sender's steps

    async def claim_staff_alert_mails(
        self, *, limit: int, lease: timedelta, lock: bool
    ) -> list[tuple[StaffAlertMailRecord, list[StaffAlertView]]]:
        """Due mails with the alerts they tell (as they are now: one resolved since is left out
        of a digest; an urgent one is still told, marked resolved)."""
        now = self.clock()
        # Polled every `sender_poll_seconds`: on SQLite it waits its turn with the delivery
        # sender's and the relay's writes instead of meeting them in SQLite's busy handler.
        async with write_queue(self.units.database), self.units.begin() as unit:
            mails = await unit.repo.claim_staff_alert_mails(
                now=now, lease_until=now + lease, limit=limit, lock=lock
            )
            claimed = []
            for mail in mails:
                views = await unit.repo.staff_alerts_by_ids([UUID(a) for a in mail.alert_ids])
                if mail.source.startswith("digest:"):
                    views = [view for view in views if view.state.status != "resolved"]
                claimed.append((mail, views))
            return claimed

    async def staff_alert_mail_sent(self, mail: StaffAlertMailRecord) -> None:
        async with self.units.begin() as unit:
            await unit.repo.update_staff_alert_mail(
                mail.mail_id, status="sent", sent_at=self.clock(), attempts=mail.attempts + 1, last_error=None
            )

    async def staff_alert_mail_failed(
        self, mail: StaffAlertMailRecord, error: str, *, retry_in: timedelta | None
    ) -> None:
        """Due again after `retry_in`, or failed for good (None)."""
        async with self.units.begin() as unit:
            await unit.repo.update_staff_alert_mail(
                mail.mail_id,
                status="pending" if retry_in is not None else "failed",
                attempts=mail.attempts + 1,
                next_attempt_at=self.clock() + (retry_in or timedelta(0)),
                last_error=error[:2000],
            )

    async def staff_alert_mail_skipped(self, mail: StaffAlertMailRecord) -> None:
        """Nothing left to tell (every alert of the digest resolved meanwhile)."""
        async with self.units.begin() as unit:
            await unit.repo.update_staff_alert_mail(mail.mail_id, status="sent", last_error="rien à signaler")
