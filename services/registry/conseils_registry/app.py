"""`create_app(settings=None) -> FastAPI`: the registry's runtime, consumers, routers and lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from conseils_registry import api, api_privacy
from conseils_registry.consumers import register_consumers
from conseils_registry.service import RegistryService
from conseils_registry.settings import RegistrySettings
from conseils_registry.tables import metadata
from conseils_registry.tasks import RetentionSweep
from conseils_runtime import ServiceRuntime
from conseils_runtime.api_docs import install_docs
from conseils_runtime.auth import Authenticator
from conseils_runtime.http import install_error_handlers, limit_request_bodies
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DirectoryEntryRemoved,
    DirectoryEntrySaved,
    Event,
    MemberContactCard,
    MemberContactCardV2,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
    ThemeLeftWithoutReferent,
)
from conseils_schemas.events.representation import REGISTRY_REPRESENTATION_EVENTS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PRODUCES: list[type[Event]] = [
    CouncilRegistered,
    CouncilUpdated,
    CouncilDissolved,
    ReferentDesignated,
    ReferentWithdrawn,
    ThemeLeftWithoutReferent,
    MemberJoined,
    MemberUpdated,
    MemberLeft,
    MemberErased,
    MemberContactCard,
    MemberContactCardV2,
    DirectoryEntrySaved,
    DirectoryEntryRemoved,
    *REGISTRY_REPRESENTATION_EVENTS,  # substitutes of the referents
]


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime(settings, metadata, produces=PRODUCES, migrations=MIGRATIONS)
    service = RegistryService(runtime.database, runtime.outbox, territory=settings.territory)
    register_consumers(runtime, service)
    runtime.add_background(
        RetentionSweep(service, settings.retention_months(), settings.retention_check_seconds)
    )
    app = FastAPI(
        docs_url=None,  # install_docs: the service's own Swagger UI and ReDoc files, no CDN
        redoc_url=None,
        title="conseils — registre",
        version="1.0.0",
        description=(
            "Registre des conseils citoyens d'un territoire : conseils, membres et leurs coordonnées, "
            "référent·es par thématique, annuaire des partenaires, dispositifs et lieux."
        ),
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.authenticator = Authenticator(settings.auth_secret, audience=settings.service_name)
    app.state.registry = service
    install_error_handlers(app)
    limit_request_bodies(app, settings.import_max_bytes + 64 * 1024)  # a members CSV and its form
    app.include_router(runtime.health_router())
    install_docs(app)
    app.include_router(api.router)
    app.include_router(api_privacy.router)
    return app
