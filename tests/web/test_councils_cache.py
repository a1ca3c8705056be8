"""Issue 17 (pages at national size): the site keeps the territory's list of councils (public
names, 1,200 at national size, asked by every instance page) a few seconds, loads it once for
the requests that arrive together, and reads it afresh after the site changed the registry."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from conseils_web.clients import Caller, RegistryClient
from conseils_web.services import ApiError, Services

COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
SECRET = "x" * 40
STAFF = Caller(SECRET, subject="staff-1", role="staff")
COUNCILLOR = Caller(SECRET, subject=str(uuid.uuid4()), role="councillor", council_id=COUNCIL)


class FakeRegistry:
    def __init__(self) -> None:
        self.calls = 0
        self.name = "Conseil Floréal"

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/councils":
            if not request.headers["authorization"].removeprefix("Bearer "):
                return httpx.Response(401, json={"detail": "Connexion requise."})
            self.calls += 1
            await asyncio.sleep(0.01)  # the others arrive while it loads
            return httpx.Response(200, json=[{"id": str(COUNCIL), "name": self.name}])
        if request.method == "PUT":
            self.name = "Conseil Floréal-Saussaie"
            return httpx.Response(200, json={"theme": "emploi", "member_id": str(uuid.uuid4())})
        return httpx.Response(404, json={"detail": "Introuvable"})


def client_of(fake: FakeRegistry, now: list[float]) -> RegistryClient:
    services = Services(
        httpx.AsyncClient(transport=httpx.MockTransport(fake)), {"registry": "http://registry"}
    )
    services.cache.clock = lambda: now[0]
    return RegistryClient(services)


async def test_the_councils_are_loaded_once_for_requests_together_and_while_fresh() -> None:
    fake, now = FakeRegistry(), [100.0]
    registry = client_of(fake, now)
    lists = await asyncio.gather(*(registry.councils(COUNCILLOR) for _ in range(10)))
    assert fake.calls == 1
    assert {councils[0].name for councils in lists} == {"Conseil Floréal"}
    now[0] += RegistryClient.COUNCILS_TTL_SECONDS - 1
    await registry.councils(STAFF)  # the same public list for every caller
    assert fake.calls == 1
    now[0] += 2  # stale: asked again
    await registry.councils(COUNCILLOR)
    assert fake.calls == 2


async def test_a_change_made_through_the_site_is_seen_at_once() -> None:
    fake, now = FakeRegistry(), [100.0]
    registry = client_of(fake, now)
    assert (await registry.councils(STAFF))[0].name == "Conseil Floréal"
    await registry.designate_referent(STAFF, COUNCIL, "emploi", str(uuid.uuid4()))
    assert (await registry.councils(STAFF))[0].name == "Conseil Floréal-Saussaie"
    assert fake.calls == 2


async def test_nobody_signed_in_is_answered_by_the_registry_not_the_cache() -> None:
    fake, now = FakeRegistry(), [100.0]
    registry = client_of(fake, now)
    await registry.councils(STAFF)
    with pytest.raises(ApiError) as refused:
        await registry.councils(Caller(SECRET))
    assert refused.value.status_code == 401
