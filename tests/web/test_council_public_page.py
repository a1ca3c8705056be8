"""The public page of a council (issue 20, item 4), signed out: the council, its neighbourhood,
no referent named (no public consent exists: the page says so), its opinions with the decision
taken, the commitments made to it — and only to it; an unknown council is a 404."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .helpers import COUNCIL_ID, build_site

OTHER = "00000000-0000-0000-0000-0000000000c2"
NAME = "Conseil citoyen Franc-Moisin – Bel-Air"


def services(request: httpx.Request) -> httpx.Response:
    host, path = request.url.host, request.url.path
    body: object
    if host == "registry.test" and path == "/councils":
        body = [{"id": str(COUNCIL_ID), "name": NAME}, {"id": OTHER, "name": "Autre"}]
    elif host == "meetings.test" and path == f"/councils/{COUNCIL_ID}/opinions":
        body = [
            {
                "instance_id": "00000000-0000-0000-0000-0000000000f1",
                "instance_title": "Comité de programmation 2027",
                "instance_starts_at": "2027-03-09T17:30:00Z",
                "project_title": "Atelier vélo solidaire",
                "promoter": "Association Roue libre",
                "stance": "favourable",
                "text": "Utile aux jeunes du quartier.",
                "given_at": "2027-03-01T10:00:00Z",
                "decision": "retenu",
            }
        ]
    elif host == "meetings.test" and path == "/outcomes":
        made = {"made_by": "Mme la maire adjointe", "made_on": "2027-03-09", "status": "in_progress"}
        body = [
            {"id": "00000000-0000-0000-0000-00000000d001", "kind": "commitment",
             "text": "Éclairer le passage Bel-Air", "council_id": str(COUNCIL_ID), **made},
            {"id": "00000000-0000-0000-0000-00000000d002", "kind": "commitment",
             "text": "Promesse à un autre conseil", "council_id": OTHER, **made},
            {"id": "00000000-0000-0000-0000-00000000d003", "kind": "proposal",
             "text": "Une proposition du conseil", "council_id": str(COUNCIL_ID), **made},
        ]  # fmt: skip
    else:
        return httpx.Response(404, json={"detail": "inconnu"})
    return httpx.Response(200, content=json.dumps(body), headers={"content-type": "application/json"})


async def test_the_council_page_is_public_and_names_no_referent(tmp_path: Path) -> None:
    app = build_site(tmp_path, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        page = await client.get("/conseils/saint-denis-franc-moisin")
        by_id = await client.get(f"/conseils/{COUNCIL_ID}")
        unknown = await client.get("/conseils/nulle-part")
    assert page.status_code == 200, page.text
    assert f"<h1>{NAME}</h1>" in page.text
    quarter = "Franc-Moisin – Bel-Air (démo)"
    assert f"Conseil citoyen du quartier <strong>{quarter}</strong> à Saint-Denis" in page.text
    assert "aucun·e n'a donné son accord pour une page publique" in page.text
    assert "Atelier vélo solidaire" in page.text
    assert "<strong>Favorable</strong>" in page.text
    assert "décision : Retenu" in page.text
    assert "Éclairer le passage Bel-Air" in page.text
    assert "Pris par Mme la maire adjointe" in page.text
    assert "Promesse à un autre conseil" not in page.text
    assert "Une proposition du conseil" not in page.text  # commitments only
    assert by_id.status_code == 200
    assert f"<h1>{NAME}</h1>" in by_id.text
    assert unknown.status_code == 404
