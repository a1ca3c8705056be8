"""The site at http://127.0.0.1:8000: pages in French, the mailbox of the
demo, service status, and `/api/<service>/...` forwarded to each service so
the whole platform is reachable at one address."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from conseils_runtime.http import ResponseHeaders, limit_request_bodies
from conseils_runtime.logs import describe_error, get_logger
from conseils_runtime.mail import DkimKey
from conseils_runtime.territory import TerritoryConfig
from conseils_web import (
    auth_pages,
    community_pages,
    council_public_page,
    councillor_pages,
    mailbox_pages,
    my_data,
    open_data_pages,
    operator_pages,
    opinion_pages,
    public_pages,
    representation_pages,
    staff,
)
from conseils_web.clients import (
    AttendingClient,
    MeetingsClient,
    NotificationsClient,
    RegistryClient,
    WebhooksClient,
)
from conseils_web.clients.representation import RotaClient, SubstitutesClient
from conseils_web.clients.voice import VoiceClient
from conseils_web.context import SiteContext, label_globals, render
from conseils_web.demo_year_file import DEMO_YEAR_FILE
from conseils_web.security import CSRF_COOKIE, CsrfRejected, PageForbidden, SessionMiddleware, SignInRequired
from conseils_web.services import ApiError, Services, ServiceUnavailable, services_transport
from conseils_web.session_events import SessionEndings
from conseils_web.signin import SigninStore
from conseils_web.status_detail import readiness_detail

HERE = Path(__file__).parent
log = get_logger(__name__)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
# The site's cookies never go to the services: the API is used with bearer tokens (no ambient authority).
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length", "cookie"}


@dataclass(frozen=True)
class ServiceEndpoint:
    name: str
    label: str
    url: str


def demo_member_rows(territory: TerritoryConfig) -> list[dict[str, str]]:
    """The home page's demo accounts, with the names the territory file gives their council
    (and its city) and the themes they are referent for, never the slugs."""
    cities = {city.code: city.name for city in territory.cities}
    councils = {c.slug: f"{c.name} ({cities.get(c.city, c.city)})" for c in territory.councils}
    themes = {theme.slug: theme.name for theme in territory.themes}
    return [
        {
            "display_name": member.display_name,
            "email": member.email,
            "council": councils.get(member.council, member.council),
            "referent_for": " ; ".join(themes.get(slug, slug) for slug in member.referent_for) or "—",
        }
        for member in territory.demo_members
    ]


def create_site(
    territory: TerritoryConfig,
    services: list[ServiceEndpoint],
    mailbox_dir: Path | None,
    *,
    auth_secret: str | None = None,
    data_dir: Path | None = None,
    smtp_host: str = "127.0.0.1",
    smtp_port: int = 25,
    public_base_url: str | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    kafka_bootstrap: str = "",
    dkim_key: DkimKey | None = None,
) -> FastAPI:
    """The site. `auth_secret` is the one the services verify tokens with;
    `data_dir` holds site.db (sign-in links); sign-in mails go to `smtp_host:smtp_port`."""
    client = httpx.AsyncClient(timeout=30, transport=http_transport or services_transport())
    base_url = (public_base_url or territory.mail.public_base_url).rstrip("/")
    store = SigninStore.in_directory(data_dir or Path(tempfile.mkdtemp(prefix="conseils-site-")))
    endings = SessionEndings(kafka_bootstrap, territory.territory.slug, store.sessions)
    open_data = open_data_pages.OpenDataFeed(kafka_bootstrap, territory.territory.slug)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await store.create_all()
        endings.start()  # erased or departed members' sessions end (registry.members)
        open_data.start()  # the public agenda, replayed from meetings.instances
        yield
        await open_data.stop()
        await endings.stop()
        await client.aclose()
        await store.dispose()

    app = FastAPI(title="conseils — site", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    # The largest legitimate body is a dossier file (the meetings service takes 20 MB), as nginx says.
    limit_request_bodies(app, 25 * 1024 * 1024)
    app.add_middleware(SessionMiddleware)  # who is signed in, checked against the site's database
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(label_globals())
    templates.env.globals.update(
        demo=territory.demo, accessibility_status=territory.legal.accessibility_status
    )
    templates.env.globals["opinion_types"] = {kind.slug for kind in territory.instance_types if kind.opinions}
    templates.env.globals["representation"] = opinion_pages.representation_for(territory)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    by_name = {service.name: service for service in services}
    transport = Services(client, {service.name: service.url for service in services})
    app.state.site = SiteContext(
        territory=territory,
        auth_secret=auth_secret or secrets.token_urlsafe(32),
        registry=RegistryClient(transport),
        meetings=MeetingsClient(transport),
        attending=AttendingClient(transport),
        notifications=NotificationsClient(transport),
        webhooks=WebhooksClient(transport),
        templates=templates,
        store=store,
        mailbox_dir=mailbox_dir,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        public_base_url=base_url,
        secure_cookies=base_url.startswith("https://"),
        dkim_key=dkim_key,
        demo_year_file=data_dir / DEMO_YEAR_FILE if data_dir and territory.demo else None,
    )
    app.include_router(auth_pages.router)
    app.include_router(mailbox_pages.router)  # the demo mailbox (404 without one)
    app.include_router(my_data.router)
    app.include_router(councillor_pages.router)
    app.include_router(community_pages.router)
    app.state.voice = VoiceClient(transport)  # the councils' voice (opinion_pages, staff/projects)
    app.include_router(opinion_pages.router)
    app.include_router(council_public_page.router)  # /conseils/{slug}, signed out (issue 20)
    app.state.substitutes = SubstitutesClient(transport)  # substitutes, rota (representation_pages)
    app.state.rotas = RotaClient(transport)
    app.include_router(representation_pages.router)
    for router in staff.ROUTERS:
        app.include_router(router)
    app.state.kafka_bootstrap = kafka_bootstrap  # the operator pages read the event flows
    app.include_router(operator_pages.router)
    app.include_router(public_pages.router)
    app.state.open_data = open_data
    app.include_router(open_data_pages.router)

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(request, template, status_code, **context)

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
            members=demo_member_rows(territory),
            services=services,
        )

    @app.get("/etat", response_class=HTMLResponse)
    async def status(request: Request) -> HTMLResponse:
        async def check(service: ServiceEndpoint) -> dict[str, Any]:
            try:
                response = await client.get(f"{service.url}/readyz", timeout=5)
                checks = response.json().get("checks", {})
                detail = readiness_detail(checks)
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

    @app.api_route("/notifications/{kind}/{rest:path}", methods=["GET", "POST"])
    async def notification_links(kind: str, rest: str, request: Request) -> Response:
        """The links in the mails (unsubscribe, calendar feeds) are public and tokenised."""
        if kind not in {"unsubscribe", "feeds", "s"} or "notifications" not in by_name:
            raise StarletteHTTPException(404)
        return await forward("notifications", f"notifications/{kind}/{rest}", request)

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

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _error: RequestValidationError) -> HTMLResponse:
        return page(
            request,
            "erreur.html",
            status_code=400,
            title="Demande incomplète",
            message="Les informations envoyées sont incomplètes ou invalides.",
        )

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _error: SignInRequired) -> Response:
        if request.method != "GET":
            return page(
                request,
                "erreur.html",
                status_code=401,
                title="Connexion nécessaire",
                message="Connectez-vous pour faire cette action.",
            )
        return RedirectResponse(f"/connexion?suite={quote(request.url.path)}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, _error: PageForbidden) -> HTMLResponse:
        return page(
            request,
            "erreur.html",
            status_code=403,
            title="Accès refusé",
            message="Cette page n'est pas accessible avec votre compte.",
        )

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _error: CsrfRejected) -> HTMLResponse:
        return page(
            request,
            "erreur.html",
            status_code=403,
            title="Formulaire expiré",
            message="Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et recommencez.",
        )

    @app.exception_handler(ApiError)
    async def api_refused(request: Request, error: ApiError) -> HTMLResponse:
        status = error.status_code if error.status_code in {400, 403, 404, 409, 410, 413, 422} else 502
        if status == 502:  # a service failed: its French detail stays out of the log (it may quote a value)
            log.error("service answered an error", path=request.url.path, service_status=error.status_code)
        titles = {403: "Accès refusé", 404: "Introuvable"}
        return page(
            request,
            "erreur.html",
            status_code=status,
            title=titles.get(status, "Action refusée"),
            message=error.detail,
        )

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, error: ServiceUnavailable) -> HTMLResponse:
        cause = error.__cause__
        log.error(
            "service unavailable",
            path=request.url.path,
            service=str(error),
            cause=type(cause).__name__ if cause else "no address configured",
        )
        return page(
            request,
            "erreur.html",
            status_code=503,
            title="Service momentanément indisponible",
            message="Un service de la plateforme ne répond pas. Réessayez dans quelques instants.",
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> HTMLResponse:
        log.error("page failed", path=request.url.path, error=describe_error(error))
        response = page(
            request,
            "erreur.html",
            status_code=500,
            title="Erreur interne",
            message="Une erreur est survenue ; l'équipe technique a été prévenue.",
        )
        secure_headers(response)  # this handler runs outside the middleware
        return response

    def security_headers() -> list[tuple[str, str]]:
        headers = [
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "SAMEORIGIN"),
            ("Referrer-Policy", "same-origin"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ]
        if app.state.site.secure_cookies:
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return headers

    def secure_headers(response: Response) -> None:
        for name, value in security_headers():
            response.headers.setdefault(name, value)

    def page_headers(scope: Scope) -> list[tuple[str, str]]:
        headers = security_headers()
        path = Request(scope).url.path
        if path not in {"/", "/etat"} and not path.startswith("/static"):
            headers.append(("Cache-Control", "no-store"))
        return headers

    def csrf_cookie(scope: Scope) -> list[tuple[str, str]]:
        state = scope.get("state") or {}
        if not state.get("csrf_new", False):
            return []
        cookie = Response()  # Starlette's own cookie formatting
        cookie.set_cookie(
            CSRF_COOKIE,
            state["csrf_seed"],
            httponly=True,
            samesite="lax",
            secure=app.state.site.secure_cookies,
            path="/",
        )
        return [("set-cookie", value) for name, value in cookie.headers.items() if name == "set-cookie"]

    # A plain ASGI middleware (not @app.middleware("http"): a task and a re-streamed body a request)
    app.add_middleware(ResponseHeaders, defaults=page_headers, appended=csrf_cookie)

    return app
