"""A role never sees a link to a page it is refused. The operator runs the platform: the
services refuse her people's data (the members' list and files, erasure requests, needs;
tests/security/test_authorization_matrix.py), so the site refuses her the pages built on them
(page_access) and hides every link to them: the « Remboursements » menu, the members' files
of /equipe/conseils, the erasure links. Her instance page works without the members' names.
Staff keep every link. Every /equipe link of her pages is one that `test_roles` lets her use."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_runtime.auth import Role, verify_token
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, SECRET, build_site, session_for
from tests.web.test_roles import allowed_roles
from tests.web.test_time_slots import INSTANCE_ID, TUESDAY_14H, fake_services, stored_row

# What the services refuse the operator (their STAFF_ROLE rows): the site must never ask.
REFUSED_TO_OPERATOR = {
    ("registry", "/members"),
    ("registry", "/members/export.csv"),
    ("registry", "/members/import/template"),
    ("registry", "/erasure-requests"),
    ("registry", f"/members/{MEMBER_ID}/erasure-requests"),
    ("meetings", f"/instances/{INSTANCE_ID}/needs"),
}
MEMBER = {
    "id": str(MEMBER_ID),
    "display_name": "Aïcha Diallo",
    "council_id": str(COUNCIL_ID),
    "role": "councillor",
    "referent_for": [],
    "shown_to_councillors": False,
}
COUNCIL = {
    "id": str(COUNCIL_ID),
    "name": "Conseil A",
    "slug": "conseil-a",
    "city": "Saint-Denis",
    "city_code": "93066",
    "neighbourhood": "Centre",
    "neighbourhood_code": "centre",
    "status": "active",
}


def services(asked: list[tuple[str, str, str]]) -> Callable[[httpx.Request], httpx.Response]:
    instance_fake = fake_services(stored_row(TUESDAY_14H, stale_is_evening=False))

    def handler(request: httpx.Request) -> httpx.Response:
        service = request.url.host.split(".")[0]
        token = request.headers["authorization"].removeprefix("Bearer ")
        role = verify_token(SECRET, token, audience=service).role
        path = request.url.path
        asked.append((role, service, path))
        if role == "operator" and (service, path) in REFUSED_TO_OPERATOR:
            return httpx.Response(403, json={"detail": "Accès refusé."})
        if path == f"/members/{MEMBER_ID}":
            return httpx.Response(200, json=MEMBER)
        if path in ("/councils", "/councils/overview"):
            return httpx.Response(200, json=[COUNCIL])
        if path in ("/erasure-requests", f"/members/{MEMBER_ID}/erasure-requests", "/notifications/alerts"):
            return httpx.Response(200, json=[])
        return instance_fake(request)

    return handler


@pytest.fixture
def client_as(tmp_path: Path) -> Callable[[Role], Any]:
    def make(role: Role) -> Any:
        asked: list[tuple[str, str, str]] = []
        app = build_site(tmp_path, services(asked))

        async def client() -> AsyncIterator[tuple[httpx.AsyncClient, list[tuple[str, str, str]]]]:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
            ):
                c.cookies.set(SESSION_COOKIE, session_for(role))
                c.cookies.set(CSRF_COOKIE, CSRF_SEED)
                yield c, asked

        return client()

    return make


PAGES = (
    "/equipe/instances",
    f"/equipe/instances/{INSTANCE_ID}",
    "/equipe/conseils",
    f"/equipe/membres/{MEMBER_ID}",
    "/equipe/alertes",
)
PEOPLE_LINKS = (
    'href="/equipe/remboursements"',
    'href="/equipe/membres/modele.csv"',
    'href="/equipe/membres/export.csv"',
    'href="/equipe/membres/import"',
    'href="/equipe/membres/nouveau"',
    f'href="/equipe/membres/{MEMBER_ID}/effacer"',
    'href="/equipe/effacements"',
    f'href="/equipe/instances/{INSTANCE_ID}/besoins"',
    f'href="/equipe/instances/{INSTANCE_ID}/inscriptions.csv"',
)


def equipe_links(html: str) -> set[str]:
    return {link.split("?")[0].split("#")[0] for link in re.findall(r'href="(/equipe/[^"]*)"', html)}


def route_of(link: str) -> str:
    """The link's route pattern as test_roles knows it (ids as placeholders)."""
    return re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}", "/{id}", link)


async def test_the_operator_sees_no_link_to_a_page_she_is_refused(client_as: Callable[[Role], Any]) -> None:
    async for client, asked in client_as("operator"):
        seen: dict[str, str] = {}
        for path in PAGES:
            page = await client.get(path)
            assert page.status_code == 200, (path, page.status_code, page.text[-2000:])
            for link in PEOPLE_LINKS:
                assert link not in page.text, (path, link)
            seen.update(dict.fromkeys(equipe_links(page.text), path))
        for link, where in seen.items():
            roles = allowed_roles(route_of(link))
            assert roles is not None
            assert "operator" in roles, f"{where} links to {link}, refused to the operator"
        # her instance page never asked for the members' list the registry refuses her
        assert ("operator", "registry", "/members") not in asked


async def test_the_pages_she_is_refused_answer_403_before_any_call(client_as: Callable[[Role], Any]) -> None:
    async for client, asked in client_as("operator"):
        for path in (
            "/equipe/remboursements",
            "/equipe/effacements",
            f"/equipe/membres/{MEMBER_ID}/effacer",
            "/equipe/membres/modele.csv",
            "/equipe/membres/export.csv",
            "/equipe/membres/import",
            "/equipe/membres/nouveau",
            f"/equipe/instances/{INSTANCE_ID}/besoins",
            f"/equipe/instances/{INSTANCE_ID}/inscriptions.csv",
        ):
            asked.clear()
            page = await client.get(path)
            assert page.status_code == 403, path
            assert asked == [], (path, asked)


async def test_staff_keep_every_link(client_as: Callable[[Role], Any]) -> None:
    async for client, _asked in client_as("staff"):
        text = "".join([(await client.get(path)).text for path in PAGES])
        for link in PEOPLE_LINKS:
            assert link in text, link
        assert (await client.get(f"/equipe/membres/{MEMBER_ID}/effacer")).status_code == 200
        assert (await client.get("/equipe/effacements")).status_code == 200
