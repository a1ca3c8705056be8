"""The staff alerts page: the alerts the notifications service keeps, in French, with the
staff member's own token; each links to what it concerns, says who took it in hand and who
resolved it (names from the registry's staff accounts), and its buttons post the acts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from conseils_web.security import CSRF_COOKIE

from .helpers import CSRF_SEED, STAFF_ID, build_site, csrf_for, session_for

OPEN = "00000000-0000-0000-0000-00000000a1e1"
TAKEN = "00000000-0000-0000-0000-00000000a1e2"
COUNCIL = "00000000-0000-0000-0000-0000000000c1"
INSTANCE = "00000000-0000-0000-0000-0000000000d1"


def alert(alert_id: str, **values: Any) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "kind": "theme_without_referent",
        "subject_id": COUNCIL,
        "subject_type": "council",
        "urgent": False,
        "message_fr": "Conseil citoyen des 4000 n'a plus de référent·e pour « Santé ».",
        "raised_at": "2026-11-26T09:00:00Z",
        "status": "open",
        "acknowledged_by": None,
        "acknowledged_at": None,
        "resolved_by": None,
        "resolved_at": None,
        **values,
    }


class Services:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, dict[str, Any] | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, request.headers.get("authorization", ""), body))
        path = request.url.path
        if path == "/staff-accounts":
            staff = {"id": str(STAFF_ID), "email": "agent.territoire@plainecommune.example", "role": "staff"}
            return httpx.Response(
                200, json=[{**staff, "name": "Camille Martin", "organisation": "Plaine Commune"}]
            )
        if path == "/notifications/alerts/preferences":
            return httpx.Response(200, json={"mode": body["mode"] if body else "immediate", "label": ""})
        if path == "/notifications/alerts":
            taken = alert(
                TAKEN, kind="dossier_late", subject_id=INSTANCE, subject_type="instance", urgent=True,
                message_fr="« Comité technique Emploi » : le dossier n'est pas publié.",
                status="acknowledged", acknowledged_by=str(STAFF_ID), acknowledged_at="2026-11-26T10:15:00Z",
            )  # fmt: skip
            return httpx.Response(200, json=[alert(OPEN), taken])
        if path.endswith(("/acknowledge", "/resolve")):
            return httpx.Response(200, json=alert(OPEN, status="acknowledged"))
        return httpx.Response(404, json={"detail": "inconnu"})


async def test_staff_see_the_alerts_in_french_with_links_state_and_buttons(tmp_path: Path) -> None:
    services = Services()
    app = build_site(tmp_path, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        client.cookies.set("conseils_session", session_for("staff"))
        page = await client.get("/equipe/alertes")
        assert page.status_code == 200
        assert "Thématique sans référent·e" in page.text
        assert "n&#39;a plus de référent·e pour « Santé »" in page.text
        assert f'href="/equipe/conseils/{COUNCIL}"' in page.text
        assert f'href="/equipe/instances/{INSTANCE}"' in page.text
        assert "Dossier en retard — urgente" in page.text
        text = page.text.replace("\u00a0", " ").replace("\u202f", " ")  # French dates keep their spaces
        assert "prise en charge par Camille Martin le jeudi 26 novembre 2026 à 11 h 15" in text
        assert f'action="/equipe/alertes/{OPEN}/prise-en-charge"' in page.text
        assert f'action="/equipe/alertes/{TAKEN}/prise-en-charge"' not in page.text  # already taken
        assert f'action="/equipe/alertes/{TAKEN}/resolution"' in page.text
        assert 'value="immediate" checked' in page.text
        listing = next(call for call in services.calls if call[1] == "/notifications/alerts")
        assert listing[2].startswith("Bearer ")

        taken = await client.post(f"/equipe/alertes/{OPEN}/prise-en-charge", data={"csrf": csrf_for()})
        assert (taken.status_code, taken.headers["location"]) == (303, f"/equipe/alertes#alerte-{OPEN}")
        resolved = await client.post(f"/equipe/alertes/{OPEN}/resolution", data={"csrf": csrf_for()})
        assert resolved.status_code == 303
        chosen = await client.post("/equipe/alertes/courriels", data={"csrf": csrf_for(), "mode": "digest"})
        assert chosen.headers["location"] == "/equipe/alertes#preferences"
        acts = [(method, path, body) for method, path, _token, body in services.calls if method != "GET"]
        assert acts == [
            ("POST", f"/notifications/alerts/{OPEN}/acknowledge", None),
            ("POST", f"/notifications/alerts/{OPEN}/resolve", None),
            (
                "PUT",
                "/notifications/alerts/preferences",
                {"email": "agent.territoire@plainecommune.example", "mode": "digest"},
            ),
        ]
        forged = await client.post(f"/equipe/alertes/{OPEN}/resolution", data={"csrf": "faux"})
        assert forged.status_code in {400, 403}

        client.cookies.set("conseils_session", session_for("councillor"))
        councillor = await client.get("/equipe/alertes", follow_redirects=False)
        assert councillor.status_code in {302, 303, 403}
