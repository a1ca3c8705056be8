"""Every route of the site, walked with every role and anonymously: no
forbidden success. A page a role may not use answers 403 (signed in) or sends
to /connexion (anonymous); a form posted without its CSRF token is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import structlog.testing
from fastapi.routing import APIRoute

from conseils_runtime.auth import Role
from conseils_web import auth_pages, councillor_pages, operator_pages, staff
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import CSRF_SEED, build_site, csrf_for, session_for

ROLES: list[Role | None] = [None, "councillor", "coordinator", "staff", "operator"]
COUNCILLORS = {"councillor", "coordinator"}
STAFF = {"staff", "operator"}
SOME_ID = "5d0b5a62-6a47-4c1b-9a43-2c0f1f0c0d11"

# Who may use each route (path pattern → roles); anything else is public.
ACCESS: list[tuple[str, set[str]]] = [
    # people's data and the decisions about them: staff's, never the operator's (page_access;
    # the services' STAFF_ROLE rows of tests/security/test_authorization_matrix.py)
    (r"^/equipe/membres(/nouveau|/import|/modele\.csv|/export\.csv|/[^/]+/effacer)?$", {"staff"}),
    (r"^/equipe/effacements(/[^/]+)?$", {"staff"}),
    (r"^/equipe/remboursements", {"staff"}),
    (r"^/equipe/instances/[^/]+/(besoins(/[^/]+)?|inscriptions\.csv)$", {"staff"}),
    (r"^/equipe/", STAFF),
    (r"^/exploitation", {"operator"}),
    (r"^/instances/[^/]+$", COUNCILLORS | STAFF),
    (r"^/documents/", COUNCILLORS | STAFF),
    (r"^/instances/[^/]+/(inscription|desinscription)$", COUNCILLORS),
    (r"^/instances/[^/]+/(besoins|remboursement|attestation\.pdf)$", COUNCILLORS),
    (r"^/mes-remboursements(/[^/]+/justificatif)?$", COUNCILLORS),
    (
        r"^/(agenda|mes-inscriptions|mes-notifications|mes-donnees|preferences|preferences/agenda"
        r"|mon-conseil|mon-historique)$",
        COUNCILLORS,
    ),
]
PUBLIC = {
    "/",
    "/connexion",
    "/connexion/{token}",
    "/action/{token}",  # an email's signed action link: the link is the credential (test_action_links)
    "/action/{token}/besoins",  # her needs from that link (test_action_links_barriers)
    "/presence/{token}",  # the presence prompt's signed link (test_presence_code_platform)
    "/presence/{token}/absente",
    "/presence/{token}/merci",
    "/deconnexion",
    "/courriels",
    "/courriels/{mail_id}",
    "/courriels/{mail_id}/pieces/{index}",
    "/etat",
    "/attestation/verifier",  # an employer checks an attestation's code (no account)
    "/api/{service}/{path:path}",
    "/notifications/{kind}/{rest:path}",
}


def allowed_roles(path: str) -> set[str] | None:
    for pattern, roles in ACCESS:
        if re.match(pattern, path):
            return roles
    return None


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[tuple[str, str]]]]:
    app = build_site(tmp_path)
    routes = []
    every = [
        *app.routes,
        *auth_pages.router.routes,
        *councillor_pages.router.routes,
        *(route for router in staff.ROUTERS for route in router.routes),
        *operator_pages.router.routes,
    ]
    for route in every:
        if isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                routes.append((method, route.path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client, routes


def concrete(path: str) -> str:
    path = path.replace("{path:path}", "healthz").replace("{rest:path}", "x")
    return re.sub(r"\{[^}]+\}", SOME_ID, path).replace(f"pieces/{SOME_ID}", "pieces/0")


async def test_every_route_with_every_role_has_no_forbidden_success(
    site: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, routes = site
    protected = [(m, p) for m, p in routes if p not in PUBLIC]
    assert {p for _m, p in routes} - PUBLIC - {p for _m, p in protected} == set()
    assert all(allowed_roles(p) is not None for _m, p in protected), [
        p for _m, p in protected if allowed_roles(p) is None
    ]
    assert len(protected) >= 25
    checked = 0
    for role in ROLES:
        cookies = {CSRF_COOKIE: CSRF_SEED}
        if role:
            cookies[SESSION_COOKIE] = session_for(role)
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        for method, path in protected:
            url = concrete(path)
            data = {"csrf": csrf_for()} if method == "POST" else None
            response = await client.request(method, url, data=data)
            roles = allowed_roles(path) or set()
            where = f"{role or 'anonyme'} {method} {url} → {response.status_code}"
            if role in roles:
                assert response.status_code not in {401, 403}, where
                assert "/connexion" not in response.headers.get("location", ""), where
            else:
                assert response.status_code in {401, 403, 303}, where
                if response.status_code == 303:
                    assert role is None, where
                    assert response.headers["location"].startswith("/connexion"), where
                assert "Traceback" not in response.text
            checked += 1
    assert checked == len(protected) * len(ROLES)


@pytest.mark.parametrize("role", ["councillor", "staff"])
async def test_a_form_without_its_csrf_token_is_refused(
    site: tuple[httpx.AsyncClient, list[tuple[str, str]]], role: Role
) -> None:
    client, routes = site
    client.cookies.set(SESSION_COOKIE, session_for(role))
    client.cookies.set(CSRF_COOKIE, CSRF_SEED)
    posts = [p for m, p in routes if m == "POST" and allowed_roles(p) and role in (allowed_roles(p) or set())]
    assert posts
    for path in posts:
        for data in ({}, {"csrf": "faux"}, {"csrf": csrf_for("une-autre-graine")}):
            response = await client.post(concrete(path), data=data)
            assert response.status_code == 403, (path, data)
            assert "Formulaire expiré" in response.text


async def test_signin_and_signout_forms_need_their_csrf_token_too(
    site: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, _routes = site
    for path in ("/connexion", "/deconnexion", f"/connexion/{SOME_ID}"):
        response = await client.post(path, data={"email": "a@b.example"})
        assert response.status_code == 403, path


async def test_a_service_that_does_not_answer_gives_a_french_page_without_stack_trace(
    site: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, _routes = site
    client.cookies.set(SESSION_COOKIE, session_for("councillor"))
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/agenda")
    assert response.status_code == 503
    # ... and the operator finds why in the log (which service, what kind of failure)
    unavailable = [entry for entry in logs if entry["event"] == "service unavailable"]
    assert unavailable, logs
    assert unavailable[0]["path"] == "/agenda"
    assert unavailable[0]["service"] in {"registry", "meetings", "notifications"}
    assert unavailable[0]["cause"] == "ConnectError"
    assert "Service momentanément indisponible" in response.text
    assert "Traceback" not in response.text
    assert "httpx" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


async def test_an_unexpected_error_is_a_french_page_with_the_security_headers(tmp_path: Path) -> None:
    app = build_site(tmp_path)

    @app.get("/panne")
    async def broken() -> None:
        raise RuntimeError("détail interne à ne jamais montrer")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
    ) as client:
        response = await client.get("/panne")
    assert response.status_code == 500
    assert "Erreur interne" in response.text
    assert "détail interne" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
