"""No request body over its service's limit is read (issue 15, item 8): a French 413, at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request

from conseils_runtime.http import install_error_handlers, limit_request_bodies


def app_with_limit(max_bytes: int) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    limit_request_bodies(app, max_bytes)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


async def post(app: FastAPI, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/echo", content=content)


async def test_a_body_under_the_limit_goes_through() -> None:
    response = await post(app_with_limit(1024), b"x" * 1000)
    assert response.json() == {"received": 1000}


async def test_a_declared_body_over_the_limit_is_refused_in_french() -> None:
    response = await post(app_with_limit(1024), b"x" * 5000)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Requête trop volumineuse : 1 Ko au plus.",
        "code": "http_413",
    }


async def test_a_streamed_body_is_counted_as_it_arrives() -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        nonlocal sent
        for _ in range(1000):
            sent += 1
            yield b"x" * 1024

    response = await post(app_with_limit(4096), chunks())
    assert response.status_code == 413
    assert response.json() == {"detail": "Requête trop volumineuse : 4 Ko au plus.", "code": "http_413"}
    assert sent < 1000  # it stopped reading: the rest was never taken in


async def test_each_service_has_a_limit(tmp_path: object) -> None:
    from conseils_notifications.app import create_app

    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/notifications/unsubscribe", content=b"x" * (1024 * 1024))
    assert response.status_code == 413
