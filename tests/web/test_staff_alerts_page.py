"""The staff alerts page lists the alerts the notifications service keeps,
in French, with the staff member's own token."""

from __future__ import annotations

from pathlib import Path

import httpx

from .helpers import build_site, session_for


async def test_staff_see_the_alerts_in_french(tmp_path: Path) -> None:
    seen_tokens: list[str] = []

    def notifications(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/notifications/alerts"
        seen_tokens.append(request.headers["authorization"])
        return httpx.Response(
            200,
            json=[
                {
                    "alert_id": "00000000-0000-0000-0000-00000000a1e1",
                    "kind": "theme_without_referent",
                    "subject_id": "00000000-0000-0000-0000-0000000000c1",
                    "message_fr": "Conseil citoyen des 4000 n'a plus de référent·e pour « Santé ».",
                    "raised_at": "2026-11-26T09:00:00Z",
                }
            ],
        )

    app = build_site(tmp_path, notifications)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        page = await client.get("/equipe/alertes", cookies={"conseils_session": session_for("staff")})
        assert page.status_code == 200
        assert "Thématique sans référent·e" in page.text
        assert "n&#39;a plus de référent·e pour « Santé »" in page.text
        assert seen_tokens
        assert seen_tokens[0].startswith("Bearer ")
        councillor = await client.get(
            "/equipe/alertes", cookies={"conseils_session": session_for("councillor")}, follow_redirects=False
        )
        assert councillor.status_code in {302, 303, 403}
