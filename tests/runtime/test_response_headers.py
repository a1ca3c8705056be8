"""Issue 17 (pages at national size): the security headers of the services and of the site are
added by a plain ASGI middleware, not by Starlette's ``BaseHTTPMiddleware`` (a task, memory
streams and the body re-streamed on every request): the same headers, a header the endpoint set
kept, the site's CSRF cookie still set when a page drew a new seed."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI, Response
from starlette.middleware.base import BaseHTTPMiddleware

from conseils_runtime.http import ResponseHeaders, install_error_handlers
from conseils_web.security import CSRF_COOKIE
from tests.web.helpers import build_site


def _service() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"ok": "oui"}

    @app.get("/framed")
    async def framed() -> Response:
        return Response("x", headers={"X-Frame-Options": "SAMEORIGIN"})

    return app


async def test_a_service_answer_carries_the_security_headers_once() -> None:
    app = _service()
    assert not any(m.cls is BaseHTTPMiddleware for m in app.user_middleware)
    assert any(m.cls is ResponseHeaders for m in app.user_middleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        plain = await client.get("/plain")
        framed = await client.get("/framed")
        missing = await client.get("/nowhere")
    assert plain.json() == {"ok": "oui"}
    for response in (plain, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
    assert framed.headers.get_list("x-frame-options") == ["SAMEORIGIN"]  # the endpoint's, not doubled
    assert framed.text == "x"


async def test_the_site_sets_its_headers_and_the_csrf_cookie_without_base_middleware(tmp_path: Path) -> None:
    app = build_site(tmp_path)
    assert not any(m.cls is BaseHTTPMiddleware for m in app.user_middleware)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        signin = await client.get("/connexion")
        home = await client.get("/")
    assert signin.status_code == 200
    assert signin.headers["cache-control"] == "no-store"
    assert "default-src" in signin.headers["content-security-policy"]
    assert signin.headers["x-frame-options"] == "SAMEORIGIN"
    cookie = signin.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "cache-control" not in home.headers  # the home page may be cached
    assert home.headers["x-content-type-options"] == "nosniff"
