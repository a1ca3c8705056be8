"""A client cannot choose the address that the sign-in rate limit counts (issue 15, item 2).

Served by real uvicorn servers configured the way the platform and production serve the site:
a forged X-Forwarded-For is ignored unless it comes from the trusted reverse proxy.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from conseils_web.__main__ import server_options
from conseils_web.platform import site_server_config
from conseils_web.settings import SiteSettings

ROOT = Path(__file__).resolve().parents[2]


async def echo_client(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
    """What the site's rate limiter reads: request.client.host."""
    if scope["type"] != "http":
        return
    host = (scope.get("client") or ("?", 0))[0]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": host.encode()})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serving(config: uvicorn.Config) -> AsyncIterator[str]:
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


async def seen_as(base: str, forwarded: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(base, headers={"X-Forwarded-For": forwarded})
    return response.text


async def test_the_local_platform_ignores_a_forged_forwarded_for() -> None:
    port = _free_port()
    async with serving(site_server_config(echo_client, "127.0.0.1", port)) as base:
        assert await seen_as(base, "203.0.113.7") == "127.0.0.1"


async def test_production_believes_only_the_proxy() -> None:
    port = _free_port()
    untrusted = SiteSettings(host="127.0.0.1", port=port, forwarded_allow_ips="10.99.0.1")
    async with serving(uvicorn.Config(echo_client, log_level="warning", **server_options(untrusted))) as base:
        assert await seen_as(base, "203.0.113.7") == "127.0.0.1"  # not from the proxy: ignored
    port = _free_port()
    behind_proxy = SiteSettings(host="127.0.0.1", port=port, forwarded_allow_ips="127.0.0.1")
    async with serving(
        uvicorn.Config(echo_client, log_level="warning", **server_options(behind_proxy))
    ) as base:
        assert await seen_as(base, "203.0.113.7") == "203.0.113.7"  # the proxy says who the client is


def test_the_proxy_replaces_the_clients_forwarded_for() -> None:
    conf = (ROOT / "ops" / "proxy" / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
