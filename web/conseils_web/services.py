"""The transport of the site's calls to the three services' HTTP APIs, with the signed-in
person's token (or a short-lived token of the site itself). The pages do not use it: they
call the typed clients of `conseils_web.clients`, which do."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from httpx_aiohttp import AiohttpTransport

T = TypeVar("T")

SERVICE_CONNECTIONS = 400
"""Connections to the services kept open at most (all three together): a page makes up to seven
calls at once, and 50 pages at once are 350 calls."""


def services_transport() -> httpx.AsyncBaseTransport:
    """The transport of the site's calls to the services: httpx's API (the typed clients, the test
    doubles' ``MockTransport``) over aiohttp's connection pool (``httpx-aiohttp``).

    httpcore, httpx's own transport, looks through every pooled connection for each request it
    sends, and asks each idle one whether its socket is readable (a system call): with the few
    hundred connections 50 concurrent pages keep open, that was half of the site's CPU under
    load (issue 17: the instance page cost 199 ms of the site's CPU, 28 ms with aiohttp's pool;
    a smaller pool made pages reconnect instead). aiohttp keeps its idle connections per host in
    a queue and takes the last one."""
    limits = httpx.Limits(
        max_connections=SERVICE_CONNECTIONS,
        max_keepalive_connections=SERVICE_CONNECTIONS,
        keepalive_expiry=30,
    )
    return AiohttpTransport(limits=limits)


def remember_missing_sniffio() -> bool:
    """httpcore imports ``sniffio`` anew for every request it sends (to tell asyncio from trio) and
    falls back to asyncio when it is missing. anyio 4 no longer installs it, and a failed import is
    not cached: each call searched the whole ``sys.path`` again (9 % of the site's CPU per page in
    the profile of issue 17). Recording it as absent (what Python's import system itself does with
    ``None`` in ``sys.modules``) makes the same ``ImportError`` immediate. Returns whether it did."""
    if "sniffio" in sys.modules or importlib.util.find_spec("sniffio") is not None:
        return False
    sys.modules["sniffio"] = None  # type: ignore[assignment]
    return True


remember_missing_sniffio()


class ServiceUnavailable(Exception):
    """A service did not answer."""


class ApiError(Exception):
    """A service refused a request; `detail` is its French message."""

    def __init__(self, status_code: int, detail: str, body: Any = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.body = body


def _detail(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return "La demande n'a pas abouti.", None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI validation errors
        messages = [str(item.get("msg", "")) for item in detail if isinstance(item, dict)]
        return "Données refusées : " + " ; ".join(messages), body
    return (str(detail) if detail else "La demande n'a pas abouti."), body


class ShortCache:
    """What rarely changes and every page of a kind asks for (the territory's councils), kept a
    few seconds per key: one load shared by the requests that arrive meanwhile, none while
    fresh. `forget` drops a service's entries (the site changed something there)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}
        self._loading: dict[tuple[str, str], asyncio.Future[Any]] = {}

    async def get(self, service: str, key: str, ttl: float, load: Callable[[], Awaitable[T]]) -> T:
        slot = (service, key)
        entry = self._entries.get(slot)
        if entry is not None and self.clock() - entry[0] < ttl:
            value: T = entry[1]
            return value
        pending = self._loading.get(slot)
        if pending is not None:
            shared: T = await asyncio.shield(pending)
            return shared
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[slot] = future
        started = self.clock()
        try:
            loaded = await load()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        else:
            future.set_result(loaded)
            if self._loading.get(slot) is future:  # not forgotten while loading
                self._entries[slot] = (started, loaded)
            return loaded
        finally:
            if self._loading.get(slot) is future:
                del self._loading[slot]

    def forget(self, service: str) -> None:
        for slot in [slot for slot in self._entries if slot[0] == service]:
            del self._entries[slot]
        for slot in [slot for slot in self._loading if slot[0] == service]:
            del self._loading[slot]


class Services:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = urls
        self.cache = ShortCache()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        **kwargs: Any,
    ) -> httpx.Response:
        base = self.urls.get(service)
        if base is None:
            raise ServiceUnavailable(service)
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        if method.upper() not in {"GET", "HEAD"}:
            self.cache.forget(service)  # the site changes something there: read it afresh
        try:
            response = await self.client.request(method, f"{base}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(service) from error
        if response.status_code >= 400:
            detail, body = _detail(response)
            raise ApiError(response.status_code, detail, body)
        return response
