"""Liveness, readiness and metrics endpoints, the same in every service."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conseils_runtime import metrics
from conseils_runtime.asyncapi_page import asyncapi_html
from conseils_runtime.logs import describe_error, get_logger

if TYPE_CHECKING:
    from conseils_runtime.service import ServiceRuntime


log = get_logger(__name__)


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["exploitation"])

    @router.get("/healthz", summary="Le processus répond")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz", summary="Base de données et Kafka joignables")
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(check == "ok" for check in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Métriques Prometheus", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        try:
            metrics.OUTBOX_PENDING.set(await asyncio.wait_for(runtime.relay.pending_count(), 2))
        except Exception as error:  # a scrape must not fail because the database is down
            log.warning("outbox pending count unavailable", error=describe_error(error))
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json", summary="Document AsyncAPI 3 des événements", include_in_schema=False)
    async def asyncapi_document() -> JSONResponse:
        return JSONResponse(runtime.asyncapi())

    @router.get("/asyncapi", summary="Catalogue des événements (AsyncAPI)", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(asyncapi_html(runtime.asyncapi()))

    return router
