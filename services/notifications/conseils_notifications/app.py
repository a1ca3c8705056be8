"""The notifications service's FastAPI application: runtime, consumers, the
delivery sender and the scheduler, routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from conseils_notifications import alerts_api, api
from conseils_notifications.alert_mailer import StaffAlertMailer
from conseils_notifications.consumers import register_consumers
from conseils_notifications.service import Clock, NotificationsService, system_clock
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.tables import metadata
from conseils_notifications.tasks import DeliverySender, Scheduler
from conseils_notifications.transport import LoggingSmsGateway, MailTransport, SmsGateway, SmtpTransport
from conseils_runtime import ServiceRuntime
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers, limit_request_bodies
from conseils_schemas import (
    Event,
    NotificationFailed,
    NotificationSent,
    StaffAlertAcknowledged,
    StaffAlertRaised,
    StaffAlertResolved,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PRODUCES: list[type[Event]] = [
    NotificationSent,
    NotificationFailed,
    StaffAlertRaised,
    StaffAlertAcknowledged,
    StaffAlertResolved,
]


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    clock: Clock = system_clock,
    transport: MailTransport | None = None,
    sms: SmsGateway | None = None,
) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, metadata, produces=PRODUCES, migrations=MIGRATIONS)
    service = NotificationsService(settings, runtime.database, runtime.outbox, clock)
    register_consumers(runtime, service)
    mail = transport or SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
        concurrency=settings.smtp_concurrency,
        rate_per_second=settings.smtp_rate_per_second,
    )
    sender = DeliverySender(runtime.database, service, mail, sms or LoggingSmsGateway())
    scheduler = Scheduler(runtime.database, service, on_work=sender.wake)
    service.on_new_deliveries.append(sender.wake)
    alert_mailer = StaffAlertMailer(runtime.database, service, mail)  # the same SMTP transport
    service.on_new_alert_mails.append(alert_mailer.wake)

    runtime.add_background(sender)  # closes the mail transport when it stops
    runtime.add_background(scheduler)
    runtime.add_background(alert_mailer)

    app = FastAPI(title="conseils — notifications", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.service = service
    app.state.sender = sender
    app.state.scheduler = scheduler
    app.state.alert_mailer = alert_mailer
    app.state.authenticator = Authenticator(settings.auth_secret, audience=settings.service_name)
    install_error_handlers(app)
    limit_request_bodies(app, 256 * 1024)  # preferences and unsubscribe forms only
    app.include_router(runtime.health_router())
    app.include_router(api.router)
    app.include_router(alerts_api.router)
    return app
