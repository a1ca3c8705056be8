"""The site at http://127.0.0.1:8000: pages in French, the mailbox of the
demo, service status, and `/api/<service>/...` forwarded to each service so
the whole platform is reachable at one address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from conseils_runtime.territory import TerritoryConfig
from conseils_web.mailbox import find_mail, read_mailbox

HERE = Path(__file__).parent
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


@dataclass(frozen=True)
class ServiceEndpoint:
    name: str
    label: str
    url: str


def create_site(
    territory: TerritoryConfig, services: list[ServiceEndpoint], mailbox_dir: Path | None
) -> FastAPI:
    client = httpx.AsyncClient(timeout=30)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(title="conseils — site", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    by_name = {service.name: service for service in services}

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", "conseils")
        return templates.TemplateResponse(
            request,
            template,
            {"territory_name": territory.territory.name, **context},
            status_code=status_code,
        )

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return page(
            request,
            "accueil.html",
            title="Accueil",
            active="accueil",
            councils=len(territory.councils),
            themes=territory.themes,
            instance_types=territory.instance_types,
            staff=territory.staff,
            members=territory.demo_members,
            services=services,
        )

    @app.get("/courriels", response_class=HTMLResponse)
    async def mails(request: Request) -> HTMLResponse:
        stored = read_mailbox(mailbox_dir) if mailbox_dir else []
        rows = [
            {
                "id": mail.id,
                "subject": mail.subject,
                "to": mail.recipients,
                "received": datetime.fromtimestamp(mail.received_at).strftime("%d/%m/%Y %H:%M:%S"),
            }
            for mail in stored
        ]
        return page(request, "courriels.html", title="Courriels reçus", active="courriels", mails=rows)

    @app.get("/courriels/{mail_id}", response_class=HTMLResponse)
    async def mail(request: Request, mail_id: str) -> HTMLResponse:
        stored = find_mail(mailbox_dir, mail_id) if mailbox_dir else None
        if stored is None:
            raise StarletteHTTPException(404)
        attachments = [(name, kind, len(data)) for name, kind, data in stored.attachments()]
        return page(
            request,
            "courriel.html",
            title=stored.subject,
            active="courriels",
            mail=stored,
            html=stored.part("text/html"),
            text=stored.part("text/plain"),
            attachments=attachments,
        )

    @app.get("/courriels/{mail_id}/pieces/{index}")
    async def attachment(mail_id: str, index: int) -> Response:
        stored = find_mail(mailbox_dir, mail_id) if mailbox_dir else None
        parts = stored.attachments() if stored else []
        if not 0 <= index < len(parts):
            raise StarletteHTTPException(404)
        name, kind, data = parts[index]
        safe_name = "".join(c for c in name if c.isalnum() or c in "._-") or "piece"
        return Response(
            data, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{safe_name}"'}
        )

    @app.get("/etat", response_class=HTMLResponse)
    async def status(request: Request) -> HTMLResponse:
        async def check(service: ServiceEndpoint) -> dict[str, Any]:
            try:
                response = await client.get(f"{service.url}/readyz", timeout=5)
                checks = response.json().get("checks", {})
                detail = ", ".join(f"{name} : {value}" for name, value in checks.items())
                return {"label": service.label, "ready": response.status_code == 200, "detail": detail}
            except httpx.HTTPError as error:
                return {
                    "label": service.label,
                    "ready": False,
                    "detail": f"injoignable ({type(error).__name__})",
                }

        rows = await asyncio.gather(*(check(service) for service in services))
        return page(request, "etat.html", title="État des services", active="etat", rows=rows)

    @app.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(service: str, path: str, request: Request) -> Response:
        target = by_name.get(service)
        if target is None:
            raise StarletteHTTPException(404)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            upstream = await client.request(
                request.method,
                f"{target.url}/{path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        except httpx.HTTPError:
            return Response(
                '{"detail": "Service momentanément indisponible.", "code": "service_indisponible"}',
                status_code=503,
                media_type="application/json",
            )
        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
        response_headers.pop("content-encoding", None)
        return Response(upstream.content, status_code=upstream.status_code, headers=response_headers)

    @app.exception_handler(StarletteHTTPException)
    async def french_errors(request: Request, error: StarletteHTTPException) -> HTMLResponse:
        titles = {404: "Page introuvable", 405: "Action non autorisée"}
        return page(
            request,
            "erreur.html",
            status_code=error.status_code,
            title=titles.get(error.status_code, "Erreur"),
            message="L'adresse demandée n'existe pas ou plus."
            if error.status_code == 404
            else "Cette action n'est pas possible ici.",
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, _error: Exception) -> HTMLResponse:
        return page(
            request,
            "erreur.html",
            status_code=500,
            title="Erreur interne",
            message="Une erreur est survenue ; l'équipe technique a été prévenue.",
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
