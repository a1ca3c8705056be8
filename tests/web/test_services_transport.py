"""Issue 17 (pages at national size): the site's calls to the services go through aiohttp's
connection pool under httpx's API (`services_transport`): the answers read as before, the
connections are reused, and a service that is down is still a `ServiceUnavailable` (the page
says so in French) rather than an aiohttp error."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from conseils_web.services import Services, ServiceUnavailable, services_transport
from tests.web.helpers import build_site


async def _canned_server(connections: list[int]) -> tuple[asyncio.Server, int]:
    """A tiny HTTP/1.1 server: counts the connections it accepts, answers every request."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            body = b'{"ok": true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_site_calls_the_services_through_aiohttp() -> None:
    assert isinstance(services_transport(), AiohttpTransport)


async def test_answers_read_and_connections_reused() -> None:
    connections: list[int] = []
    server, port = await _canned_server(connections)
    async with server, httpx.AsyncClient(transport=services_transport(), timeout=5) as client:
        services = Services(client, {"meetings": f"http://127.0.0.1:{port}"})
        for _ in range(20):
            response = await services.request("meetings", "GET", "/me/registrations", "token")
            assert response.json() == {"ok": True}
    assert len(connections) == 1  # kept alive: twenty calls, one connection


async def test_a_service_that_is_down_is_unavailable() -> None:
    async with httpx.AsyncClient(transport=services_transport(), timeout=5) as client:
        services = Services(client, {"meetings": f"http://127.0.0.1:{_free_port()}"})
        with pytest.raises(ServiceUnavailable):
            await services.request("meetings", "GET", "/me/registrations", "token")


def test_a_site_built_with_a_test_double_keeps_it(tmp_path: Path) -> None:
    site = build_site(tmp_path, lambda _request: httpx.Response(200, json=[]))
    assert isinstance(site.state.site.meetings._transport.client._transport, httpx.MockTransport)
