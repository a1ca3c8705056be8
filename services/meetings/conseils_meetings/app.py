"""Assembly of the meetings service: runtime, consumers, routers, lifespan.

Besides the runtime (outbox relay, consumers), the lifespan runs one small
periodic task: raising a staff alert when a dossier is late.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from conseils_meetings import api
from conseils_meetings.consumers import register_consumers
from conseils_meetings.service import MeetingsService
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import metadata
from conseils_runtime import ServiceRuntime
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers
from conseils_runtime.logs import get_logger
from conseils_schemas import (
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    StaffAlertRaised,
)

log = get_logger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PRODUCES: list[type[Event]] = [
    InstanceScheduled,
    InstanceRescheduled,
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
]


async def watch_late_dossiers(service: MeetingsService, every_seconds: float) -> None:
    while True:
        try:
            raised = await service.alert_late_dossiers()
            if raised:
                log.info("late dossier alerts raised", count=raised)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # database away: try again at the next round
            log.warning("late dossier check failed", error=repr(error))
        await asyncio.sleep(every_seconds)


def _lifespan(
    runtime: ServiceRuntime, service: MeetingsService, every_seconds: float
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            task = asyncio.create_task(watch_late_dossiers(service, every_seconds), name="late-dossiers")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    settings = settings or MeetingsSettings()
    runtime = ServiceRuntime(settings, metadata, produces=PRODUCES, migrations=MIGRATIONS)
    register_consumers(runtime, settings.territory_config)
    service = MeetingsService(runtime.database, runtime.outbox, settings, settings.territory_config)
    app = FastAPI(
        title="conseils — rencontres",
        description="Instances du contrat de ville, dossiers, inscriptions, présence, comptes rendus, bilan.",
        version="1.0.0",
        lifespan=_lifespan(runtime, service, settings.dossier_check_seconds),
    )
    app.state.runtime = runtime
    app.state.service = service
    app.state.authenticator = Authenticator(settings.auth_secret)
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(api.router)
    return app
