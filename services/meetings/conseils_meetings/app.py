"""Assembly of the meetings service: runtime, consumers, routers, lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from conseils_meetings import api
from conseils_meetings.consumers import register_consumers
from conseils_meetings.service import MeetingsService
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import metadata
from conseils_runtime import ServiceRuntime
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    settings = settings or MeetingsSettings()
    runtime = ServiceRuntime(settings, metadata)
    register_consumers(runtime)
    app = FastAPI(
        title="conseils — rencontres",
        description="Instances du contrat de ville, dossiers, inscriptions, présence, comptes rendus, bilan.",
        version="1.0.0",
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.state.service = MeetingsService(runtime.database, runtime.outbox, settings, settings.territory_config)
    app.state.authenticator = Authenticator(settings.auth_secret)
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(api.router)
    return app
