"""The notifications service's FastAPI application: runtime, consumers, the
delivery sender and the scheduler, routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from conseils_notifications import alerts_api, api, sms_api, sms_signin, webhook_api
from conseils_notifications.alert_mailer import StaffAlertMailer
from conseils_notifications.consumers import register_consumers
from conseils_notifications.service import Clock, NotificationsService, system_clock
from conseils_notifications.settings import NotificationsSettings
from conseils_notifications.sms_gateway import KannelGateway
from conseils_notifications.sms_settings import SmsSettings, territory_sms_rules
from conseils_notifications.tables import metadata, participation_timeline
from conseils_notifications.tasks import DeliverySender, Scheduler
from conseils_notifications.transport import LoggingSmsGateway, MailTransport, SmsGateway, SmtpTransport
from conseils_notifications.webhook_consumers import register_webhook_consumer
from conseils_notifications.webhook_sender import WebhookSender
from conseils_runtime import ServiceRuntime
from conseils_runtime.api_docs import install_docs
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers, limit_request_bodies
from conseils_runtime.territory_timeline import guarded_lifespan
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


def _sms_gateway(settings: NotificationsSettings, sms: SmsSettings) -> SmsGateway:
    """Kannel when its sendsms address is configured; else SMS are only logged."""
    if not sms.sendsms_url:
        return LoggingSmsGateway()
    return KannelGateway(
        sms.sendsms_url,
        username=sms.username,
        password=sms.password,
        sender=territory_sms_rules(settings.territory_config).sender,
        smsc_id=sms.smsc_id,
        timeout=sms.timeout_seconds,
    )


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    clock: Clock = system_clock,
    transport: MailTransport | None = None,
    sms: SmsGateway | None = None,
    sms_settings: SmsSettings | None = None,
) -> FastAPI:
    settings = settings or NotificationsSettings()
    sms_settings = sms_settings or SmsSettings()
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
    gateway = sms or _sms_gateway(settings, sms_settings)
    sender = DeliverySender(runtime.database, service, mail, gateway, sms_settings)
    scheduler = Scheduler(runtime.database, service, on_work=sender.wake)
    service.on_new_deliveries.append(sender.wake)
    webhook_sender = WebhookSender(service, lock=not runtime.database.is_sqlite)
    register_webhook_consumer(runtime, service, on_queued=webhook_sender.wake)
    alert_mailer = StaffAlertMailer(runtime.database, service, mail)  # the same SMTP transport
    service.on_new_alert_mails.append(alert_mailer.wake)

    runtime.add_background(sender)  # closes the mail transport when it stops
    runtime.add_background(scheduler)
    runtime.add_background(webhook_sender)
    runtime.add_background(alert_mailer)

    app = FastAPI(
        docs_url=None,  # install_docs: the service's own Swagger UI and ReDoc files, no CDN
        redoc_url=None,
        title="conseils — notifications",
        lifespan=guarded_lifespan(runtime, participation_timeline, settings.territory_config),
    )
    app.state.runtime = runtime
    app.state.service = service
    app.state.sender = sender
    app.state.scheduler = scheduler
    app.state.alert_mailer = alert_mailer
    app.state.webhook_sender = webhook_sender
    app.state.sms_settings = sms_settings
    app.state.sms_gateway = gateway  # the sign-in SMS go straight through it (sms_signin)
    app.state.authenticator = Authenticator(settings.auth_secret, audience=settings.service_name)
    install_error_handlers(app)
    limit_request_bodies(app, 256 * 1024)  # preferences and unsubscribe forms only
    app.include_router(runtime.health_router())
    install_docs(app)
    app.include_router(api.router)
    app.include_router(alerts_api.router)
    app.include_router(webhook_api.router)
    app.include_router(sms_api.router)
    app.include_router(sms_signin.router)
    sms_api.redact_access_log()  # no phone number in the access log
    return app
