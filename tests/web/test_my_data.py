"""'Mes données' gathers what every service holds about her in one download and one page; she
asks for erasure there and staff confirm it on /equipe/effacements."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import CSRF_SEED, MEMBER_ID, build_site, csrf_for, session_for

REQUEST_ID = "00000000-0000-0000-0000-0000000000e1"


class FakeServices:
    def __init__(self) -> None:
        self.posted: list[str] = []
        self.requests: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            self.posted.append(path)
        if path == f"/members/{MEMBER_ID}/data":
            return httpx.Response(
                200,
                json={
                    "membre": {
                        "conseil": {"nom": "Conseil citoyen Franc-Moisin"},
                        "date_entree": "2025-01-01",
                    },
                    "coordonnees": {
                        "nom": "Aïcha Diallo",
                        "email": "aicha@demo.example",
                        "consentement_le": None,
                    },
                },
            )
        if path == "/me/registrations":
            return httpx.Response(
                200, json=[{"instance_id": "i-1", "mode": "participant", "status": "confirmed"}]
            )
        if path == "/me/history":
            return httpx.Response(
                200, json={"instances": [{"status": "held", "present": True}], "registrations": []}
            )
        if path == f"/notifications/members/{MEMBER_ID}/data":
            return httpx.Response(
                200,
                json={
                    "preferences": None,
                    "agenda_personnel_actif": True,
                    "envois": [{"statut": "no_consent"}],
                },
            )
        if path == f"/members/{MEMBER_ID}/erasure-requests":
            return httpx.Response(200, json=self.requests)
        if path == f"/members/{MEMBER_ID}/erasure-request":
            self.requests = [
                {"id": REQUEST_ID, "member_id": str(MEMBER_ID), "requested_at": "2026-12-02T09:00:00Z"}
            ]
            return httpx.Response(201, json=self.requests[0])
        if path == "/erasure-requests":
            return httpx.Response(
                200, json=[{**item, "display_name": "Aïcha Diallo"} for item in self.requests]
            )
        if path == f"/erasure-requests/{REQUEST_ID}/confirm":
            self.requests = []
            return httpx.Response(204)
        return httpx.Response(404, json={"detail": "inconnu"})


async def test_her_data_from_every_service_then_her_erasure_request_confirmed_by_staff(
    tmp_path: Path,
) -> None:
    fake = FakeServices()
    app = build_site(tmp_path, fake)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        download = await client.get("/mes-donnees")
        assert download.status_code == 200
        assert download.headers["content-disposition"] == 'attachment; filename="mes-donnees.json"'
        data = json.loads(download.content)
        assert data["registre"]["coordonnees"]["nom"] == "Aïcha Diallo"
        assert data["reunions"]["inscriptions"][0]["mode"] == "participant"
        assert data["reunions"]["historique_et_presences"]["instances"][0]["present"] is True
        assert data["notifications"]["envois"] == [{"statut": "no_consent"}]

        page = await client.get("/mes-donnees/consulter")
        assert page.status_code == 200
        assert "Conseil citoyen Franc-Moisin" in page.text
        assert "non (aucun message ne vous est envoyé)" in page.text
        assert "Demander l'effacement de mes données" in page.text

        asked = await client.post("/mes-donnees/effacement", data={"csrf": csrf_for()})
        assert asked.status_code == 303
        assert fake.posted == [f"/members/{MEMBER_ID}/erasure-request"]
        page = await client.get("/mes-donnees/consulter")
        assert "attend la confirmation de l'équipe du territoire" in page.text

        assert (await client.get("/equipe/effacements", follow_redirects=False)).status_code in {
            302,
            303,
            403,
        }
        client.cookies.set(SESSION_COOKIE, session_for("staff"))
        staff_page = await client.get("/equipe/effacements")
        assert "Aïcha Diallo" in staff_page.text
        confirmed = await client.post(f"/equipe/effacements/{REQUEST_ID}", data={"csrf": csrf_for()})
        assert confirmed.status_code == 303
        assert fake.posted[-1] == f"/erasure-requests/{REQUEST_ID}/confirm"
        after = await client.get("/equipe/effacements")
        assert "Effacement confirmé" in after.text
        assert "Aucune demande en attente." in after.text
