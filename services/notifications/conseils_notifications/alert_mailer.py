"""The staff's alert emails: built from French templates (text and HTML, like the members'
emails), finished by `conseils_runtime.mail` (Date, Message-ID, DKIM), sent through the
service's mail transport by a background worker that also starts the daily digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from conseils_notifications.alert_rules import subject_type
from conseils_notifications.domain import retry_delay
from conseils_notifications.mail import MailSettings, french_datetime
from conseils_notifications.records import StaffAlertMailRecord, StaffAlertView
from conseils_notifications.service import NotificationsService
from conseils_notifications.transport import MailTransport, PermanentFailure, TemporaryFailure
from conseils_runtime import Database
from conseils_runtime.logs import get_logger
from conseils_runtime.mail import encoded_subject, finish_message
from conseils_runtime.tasks import WorkerLoop
from conseils_runtime.times import FRENCH_MONTHS
from conseils_schemas.labels import ALERT_KIND_LABELS

log = get_logger(__name__)
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["date_fr"] = french_datetime
_SUBJECT_PAGES = {
    "instance": ("/equipe/instances/", "l'instance"),
    "council": ("/equipe/conseils/", "le conseil"),
}


def _item(base_url: str, view: StaffAlertView) -> dict[str, Any]:
    alert = view.alert
    page = _SUBJECT_PAGES.get(subject_type(alert.kind) or "")
    return {
        "label": ALERT_KIND_LABELS.get(alert.kind, alert.kind),
        "message": alert.message_fr,
        "raised_at": alert.raised_at,
        "acknowledged": view.state.status == "acknowledged",
        "resolved": view.state.status == "resolved",
        "subject_url": f"{base_url}{page[0]}{alert.subject_id}" if page else None,
        "subject_name": page[1] if page else "",
        "alert_url": f"{base_url}/equipe/alertes#alerte-{alert.alert_id}",
    }


def alert_subject(
    mail: StaffAlertMailRecord, views: Sequence[StaffAlertView], day: date | None = None
) -> str:
    if mail.source.startswith("digest:"):
        when = day or date.fromisoformat(mail.source.removeprefix("digest:"))
        count = len(views)
        plural = "s" if count > 1 else ""
        return f"Alertes du {when.day} {FRENCH_MONTHS[when.month - 1]} : {count} alerte{plural} à traiter"
    alert = views[0].alert
    return f"Alerte urgente : {ALERT_KIND_LABELS.get(alert.kind, alert.kind)} — {alert.message_fr}"[:200]


def build_alert_email(
    settings: MailSettings,
    mail: StaffAlertMailRecord,
    views: Sequence[StaffAlertView],
    *,
    name: str,
    territory_name: str,
    now: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative (text, HTML) to one staff address; no unsubscribe header: a
    professional message whose body links her choice of alerts."""
    variables = {
        "name": name,
        "digest": mail.source.startswith("digest:"),
        "alerts": [_item(settings.public_base_url, view) for view in views],
        "territory": territory_name,
        "preferences_url": f"{settings.public_base_url}/equipe/alertes#preferences",
    }
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = formataddr((name, mail.email))
    message["Subject"] = encoded_subject(alert_subject(mail, views))
    message["Auto-Submitted"] = "auto-generated"
    message["X-Conseils-Alert-Mail"] = str(mail.mail_id)
    text = _ENV.get_template("staff-alert.txt.j2").render(variables)
    html = _ENV.get_template("staff-alert.html.j2").render(variables)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = "fr"
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    return finish_message(message, now=now, message_id=f"{mail.mail_id}@{domain}", dkim_key=settings.dkim)


class StaffAlertMailer(WorkerLoop):
    """Sends the staff's alert emails (retrying temporary failures) and, once a day from
    08:00, plans the daily digest."""

    name = "staff-alert-mailer"

    def __init__(self, database: Database, service: NotificationsService, transport: MailTransport) -> None:
        settings = service.settings
        super().__init__(settings.sender_poll_seconds)
        self._database = database
        self._service = service
        self._transport = transport
        self._settings = settings
        self._mail = MailSettings(
            sender=settings.resolved_mail_sender(),
            public_base_url=settings.resolved_public_base_url(),
            territory=settings.territory,
            secret=settings.auth_secret,
            dkim=settings.dkim_key(),
        )
        self._names = {a.email.lower(): a.name for a in settings.territory_config.staff}
        self._territory_name = settings.territory_config.territory.name
        self._digest_done: date | None = None

    async def run_once(self) -> int:
        planned = await self.plan_digest_if_due()
        batch = await self._service.claim_staff_alert_mails(
            limit=self._settings.sender_batch_size,
            lease=timedelta(seconds=self._settings.sender_lease_seconds),
            lock=not self._database.is_sqlite,
        )
        for mail, views in batch:
            await self._deliver(mail, views)
        return len(batch) + planned

    async def plan_digest_if_due(self) -> int:
        day = self._service.alert_digest_day_due()
        if day is None or day == self._digest_done:
            return 0
        async with self._service.units.begin() as unit:
            planned = await self._service.run_daily_alert_digest(unit, day)
        self._digest_done = day
        if planned:
            log.info("daily staff alert digest planned", day=day.isoformat(), mails=planned)
        return planned

    async def _deliver(self, mail: StaffAlertMailRecord, views: list[StaffAlertView]) -> None:
        if not views:
            await self._service.staff_alert_mail_skipped(mail)
            return
        name = self._names.get(mail.email, "")
        try:
            message = build_alert_email(
                self._mail,
                mail,
                views,
                name=name,
                territory_name=self._territory_name,
                now=self._service.clock(),
            )
            await self._transport.send(message)
        except TemporaryFailure as error:
            attempts = mail.attempts + 1
            retry = (
                retry_delay(attempts, self._settings.sender_backoff_seconds)
                if attempts < self._settings.sender_max_attempts
                else None
            )
            await self._service.staff_alert_mail_failed(mail, str(error), retry_in=retry)
        except PermanentFailure as error:
            await self._service.staff_alert_mail_failed(mail, str(error), retry_in=None)
        except Exception as error:  # an address that cannot be encoded: retrying will not help
            log.exception("staff alert mail could not be built or sent", mail_id=str(mail.mail_id))
            await self._service.staff_alert_mail_failed(
                mail, f"erreur interne : {type(error).__name__}", retry_in=None
            )
        else:
            await self._service.staff_alert_mail_sent(mail)
