"""The staff alerts page asks the notifications service for the agent's cities only (a city or
State agent with `cities:` in the territory file); a territory agent gets every alert."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .helpers import STAFF_ID, build_site, session_for


class Services:
    def __init__(self, email: str) -> None:
        self.email = email
        self.alert_queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/staff-accounts":
            account = {"id": str(STAFF_ID), "email": self.email, "role": "staff", "name": "Agent"}
            return httpx.Response(200, json=[account])
        if path == "/notifications/alerts/preferences":
            return httpx.Response(200, json={"mode": "immediate", "label": ""})
        if path == "/notifications/alerts":
            self.alert_queries.append(dict(request.url.params))
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "inconnu"})


@pytest.mark.parametrize(
    ("email", "cities"),
    [
        ("agent.ville@saint-denis.example", "93066"),  # cities: [saint-denis]
        ("agent.territoire@plainecommune.example", None),  # every city
        ("delegue.prefet@seine-saint-denis.example", None),  # a State agent without cities
    ],
)
async def test_the_page_asks_for_the_agents_cities(tmp_path: Path, email: str, cities: str | None) -> None:
    services = Services(email)
    app = build_site(tmp_path, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set("conseils_session", session_for("staff"))
        page = await client.get("/equipe/alertes")
    assert page.status_code == 200
    (query,) = services.alert_queries
    assert query.get("cities") == cities
