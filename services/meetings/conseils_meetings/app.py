"""Assembly of the meetings service: runtime, consumers, routers, lifespan.

Besides the runtime (outbox relay, consumers), the lifespan runs one small
periodic tasks: raising a staff alert when a dossier is late, or a need to come is still
not booked at its lead time (and deleting old needs).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from conseils_meetings import (
    api,
    api_attending,
    api_confirmations,
    api_presence,
    api_rotation,
    api_staff_list,
    api_voice,
)
from conseils_meetings.consumers import register_consumers
from conseils_meetings.service import MeetingsService
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import metadata, participation_timeline
from conseils_meetings.tasks import AttendingCheck, LateDossierCheck
from conseils_runtime import ServiceRuntime
from conseils_runtime.api_docs import install_docs
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers, limit_request_bodies
from conseils_runtime.logs import get_logger
from conseils_runtime.territory_timeline import guarded_lifespan
from conseils_schemas import (
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    StaffAlertRaised,
)
from conseils_schemas.events import CostClaimDecided, CostClaimSubmitted, InstanceUpdated, NeedsCounted
from conseils_schemas.events.confirmations import CONFIRMATION_EVENTS
from conseils_schemas.events.presence import PRESENCE_EVENTS
from conseils_schemas.events.representation import MEETINGS_REPRESENTATION_EVENTS
from conseils_schemas.events.voice import VOICE_EVENTS

log = get_logger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PRODUCES: list[type[Event]] = [
    InstanceScheduled,
    InstanceRescheduled,
    InstanceUpdated,
    InstanceCancelled,
    InstanceHeld,
    DossierPublished,
    MinutesPublished,
    AttendanceRecorded,
    RegistrationConfirmed,
    RegistrationWaitlisted,
    RegistrationPromoted,
    RegistrationCancelled,
    StaffAlertRaised,
    OutcomeRecorded,
    OutcomeStatusChanged,
    NeedsCounted,
    CostClaimSubmitted,
    CostClaimDecided,
    *PRESENCE_EVENTS,  # presence declared with the attendance code
    *CONFIRMATION_EVENTS,  # « Je viens »
    *VOICE_EVENTS,  # projects, councils' opinions, decisions, participation choices
    *MEETINGS_REPRESENTATION_EVENTS,  # the rotation scenario's rota and turns
]


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    settings = settings or MeetingsSettings()
    runtime = ServiceRuntime(settings, metadata, produces=PRODUCES, migrations=MIGRATIONS)
    service = MeetingsService(runtime.database, runtime.outbox, settings, settings.territory_config)
    register_consumers(runtime, service)
    app = FastAPI(
        docs_url=None,  # install_docs: the service's own Swagger UI and ReDoc files, no CDN
        redoc_url=None,
        title="conseils — rencontres",
        description="Instances du contrat de ville, dossiers, inscriptions, présence, comptes rendus, bilan.",
        version="1.0.0",
        lifespan=guarded_lifespan(runtime, participation_timeline, settings.territory_config),
    )
    runtime.add_background(LateDossierCheck(service, settings.dossier_check_seconds))
    runtime.add_background(AttendingCheck(service, settings.dossier_check_seconds))
    app.state.runtime = runtime
    app.state.service = service
    app.state.authenticator = Authenticator(settings.auth_secret, audience=settings.service_name)
    install_error_handlers(app)
    limit_request_bodies(app, settings.max_document_bytes + 1024 * 1024)  # a dossier file and its form
    app.include_router(runtime.health_router())
    install_docs(app)
    app.include_router(api.router)
    app.include_router(api_staff_list.router)
    app.include_router(api_attending.router)
    app.include_router(api_presence.router)
    app.include_router(api_confirmations.router)
    app.include_router(api_voice.router)
    app.include_router(api_rotation.router)
    return app
