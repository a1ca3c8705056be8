"""The council's representation pages (issue 20): its coordinator (or staff) designates the
substitutes of its referents and sets its rota; who represents each council at an instance, and
the swap of a turn. A refusal (a substitute or a rota member outside the council, a swap with
someone not on the rota) comes back as 422 with the service's French reason next to its field."""

from __future__ import annotations

import html
import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, build_site, csrf_for, session_for

REFERENT = uuid.UUID("00000000-0000-0000-0000-0000000000a2")
THIRD = uuid.UUID("00000000-0000-0000-0000-0000000000a3")
INSTANCE = uuid.UUID("00000000-0000-0000-0000-0000000000f7")
OTHER_COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c2")


class Fake:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, path, method = request.url.host, request.url.path, request.method
        body: Any = json.loads(request.content) if request.content else None
        self.sent.append((method, path, body))
        council = f"/councils/{COUNCIL_ID}"
        answer: Any
        if host == "registry.test" and path == council:
            answer = {"id": str(COUNCIL_ID), "name": "Conseil citoyen Franc-Moisin"}
        elif host == "registry.test" and path == "/councils":
            answer = [{"id": str(COUNCIL_ID), "name": "Conseil citoyen Franc-Moisin"},
                      {"id": str(OTHER_COUNCIL), "name": "Conseil des 4000"}]  # fmt: skip
        elif host == "registry.test" and path == f"{council}/members":
            answer = [{"id": str(MEMBER_ID), "display_name": "Aïcha Diallo", "role": "coordinator"},
                      {"id": str(REFERENT), "display_name": "Marc Lefèvre"},
                      {"id": str(THIRD), "display_name": "Fatou Sow"}]  # fmt: skip
        elif host == "registry.test" and path == f"{council}/referents":
            answer = [{"theme": "emploi", "member_id": str(REFERENT)}]
        elif host == "registry.test" and path == f"{council}/substitutes" and method == "GET":
            answer = []
        elif host == "registry.test" and path == f"{council}/substitutes/emploi" and method == "PUT":
            if body["member_id"] != str(THIRD):
                return httpx.Response(
                    422, json={"detail": "Le ou la suppléant·e doit être un membre actif de ce conseil."}
                )
            answer = {"changed": True}
        elif host == "meetings.test" and path == f"{council}/rota" and method == "GET":
            answer = {"council_id": str(COUNCIL_ID), "member_ids": [str(THIRD)], "next_member_id": str(THIRD)}
        elif host == "meetings.test" and path == f"{council}/rota" and method == "PUT":
            answer = {"council_id": str(COUNCIL_ID), "member_ids": body["member_ids"], "next_member_id": None}
        elif host == "meetings.test" and path == f"/instances/{INSTANCE}":
            answer = {"id": str(INSTANCE), "title": "Comité technique Emploi", "status": "scheduled",
                      "starts_at": "2027-03-09T17:30:00Z", "ends_at": "2027-03-09T19:30:00Z",
                      "instance_type": "comite-technique", "theme": "emploi"}  # fmt: skip
        elif host == "meetings.test" and path == f"/instances/{INSTANCE}/representation":
            answer = {"instance_id": str(INSTANCE), "scenario": "rotation", "councils": [
                {"council_id": str(COUNCIL_ID), "member_ids": [str(THIRD)]},
                {"council_id": str(OTHER_COUNCIL), "member_ids": [], "vacant": True}]}  # fmt: skip
        elif host == "meetings.test" and path.endswith("/swap"):
            return httpx.Response(
                422, json={"detail": "L'échange se fait avec un membre du tour de rôle de ce conseil."}
            )
        else:
            return httpx.Response(404, json={"detail": "inconnu"})
        return httpx.Response(200, content=json.dumps(answer), headers={"content-type": "application/json"})


async def test_the_coordinator_sets_substitutes_and_the_rota(tmp_path: Path) -> None:
    fake = Fake()
    app = build_site(tmp_path, fake)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("coordinator"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        page = await client.get("/mon-conseil/representation")
        assert page.status_code == 200, page.text
        assert "référent·e : Marc Lefèvre" in page.text
        assert "Prochain tour : <strong>Fatou Sow</strong>" in page.text

        refused = await client.post(
            "/mon-conseil/representation/suppleants",
            data={"csrf": csrf_for(), "theme": "emploi", "member_id": str(MEMBER_ID)},
        )
        assert refused.status_code == 422
        assert (
            'id="suppleant-emploi-erreur">Le ou la suppléant·e doit être un membre actif de ce conseil.'
            in (refused.text)
        )
        assert 'aria-invalid="true" aria-describedby="suppleant-emploi-erreur"' in refused.text

        done = await client.post(
            "/mon-conseil/representation/suppleants",
            data={"csrf": csrf_for(), "theme": "emploi", "member_id": str(THIRD)},
        )
        assert done.status_code == 303

        bad_rank = await client.post(
            "/mon-conseil/representation/tour-de-role",
            data={"csrf": csrf_for(), f"rang-{THIRD}": "premier"},
        )
        assert bad_rank.status_code == 422
        assert "Le rang est un nombre entier" in bad_rank.text

        rota = await client.post(
            "/mon-conseil/representation/tour-de-role",
            data={"csrf": csrf_for(), f"rang-{THIRD}": "2", f"rang-{REFERENT}": "1", f"rang-{MEMBER_ID}": ""},
        )
        assert rota.status_code == 303
    put = [body for method, path, body in fake.sent if method == "PUT" and path.endswith("/rota")]
    assert put == [{"member_ids": [str(REFERENT), str(THIRD)]}]  # in the order of the ranks


async def test_the_instance_says_who_represents_each_council(tmp_path: Path) -> None:
    app = build_site(tmp_path, Fake())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("coordinator"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        page = await client.get(f"/instances/{INSTANCE}/representation")
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        assert "le membre dont c'est le tour (tour de rôle)" in text
        assert "<td>Conseil citoyen Franc-Moisin</td><td>Fatou Sow</td>" in text
        assert "aucun membre disponible dans son tour de rôle" in text  # the other council
        assert f'name="council_id" value="{COUNCIL_ID}"' in text  # her council's turn may be swapped
        assert f'name="council_id" value="{OTHER_COUNCIL}"' not in text
        refused = await client.post(
            f"/instances/{INSTANCE}/representation/echange",
            data={"csrf": csrf_for(), "council_id": str(COUNCIL_ID), "member_id": str(MEMBER_ID)},
        )
        assert refused.status_code == 422
        assert f'id="echange-{COUNCIL_ID}-erreur">L\'échange se fait avec un membre du tour de rôle' in (
            html.unescape(refused.text)
        )
