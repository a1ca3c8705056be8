"""The emails' action links and the barriers to attending (issue 19), against fake services:
« Je viens » shows one button and, confirmed, records her venue as the link's member (the
organiser's head-count), then says so; a waitlisted registrant has nothing to confirm; once she
registered from her invitation's link, the same page offers the needs fields and saves them as
her, without a session; a bad childcare entry is refused in French next to its field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import build_site, csrf_for
from tests.web.test_action_links import FATOU, INSTANCE_ID, NOW, FakeServices, confirm, link, text

THANKS = "Merci, à bientôt ! Votre venue est confirmée : l'équipe vous compte parmi les présent·es."
LABELS = {"childcare": "Garde d'enfants", "transport": "Aide au transport"}


class BarriersFake(FakeServices):
    """The fake meetings service, with her needs and her « Je viens »."""

    def __init__(self) -> None:
        super().__init__()
        self.needs: list[dict[str, Any]] = []
        self.confirmed: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/instances/{INSTANCE_ID}/needs/me":
            response = super().__call__(request)  # records the call, checks it is her
            if request.method == "PUT":
                body = self.calls[-1][3]
                self.needs = [
                    {"id": str(uuid.uuid4()), "label": LABELS.get(n["kind"], n["kind"]), "booked": False, **n}
                    for n in body["needs"]
                ]
            return httpx.Response(200, json=self.needs) if response.status_code == 404 else response
        if path == "/me/attendance-confirmations":
            super().__call__(request)
            return httpx.Response(200, json=self.confirmed)
        if path == f"/instances/{INSTANCE_ID}/attendance-confirmations" and request.method == "POST":
            super().__call__(request)
            self.confirmed.append(
                {
                    "instance_id": str(INSTANCE_ID),
                    "member_id": str(FATOU),
                    "confirmed_at": "2026-12-01T12:00:00+00:00",
                }
            )
            return httpx.Response(200, json={"outcome": "confirmed", "message": THANKS})
        return super().__call__(request)


async def site_for(tmp_path: Any) -> tuple[Any, BarriersFake]:
    fake = BarriersFake()
    app = build_site(tmp_path, fake)
    app.state.site.clock = lambda: NOW
    return app, fake


async def test_je_viens_records_her_venue_as_the_links_member(tmp_path: Any) -> None:
    app, fake = await site_for(tmp_path)
    fake.mine = [{**fake._row(), "mode": "participant"}]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        url = link("confirm")
        page = await client.get(url)
        assert page.status_code == 200
        assert "Confirmer : je viens" in text(page)
        assert fake.writes() == []  # opening the link records nothing
        after = await confirm(client, url)
        assert fake.writes() == [
            ("POST", f"/instances/{INSTANCE_ID}/attendance-confirmations", str(FATOU), None)
        ]
        words = text(after)
        assert THANKS in words
        assert "Votre venue est confirmée. Merci, à bientôt !" in words
        assert "Confirmer : je viens" not in words  # no second button
        again = await client.post(url, data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
        assert again.status_code == 303
        assert len(fake.writes()) == 1  # a second click records nothing more


async def test_a_waitlisted_registrant_has_no_venue_to_confirm(tmp_path: Any) -> None:
    app, fake = await site_for(tmp_path)
    fake.mine = [{**fake._row(), "mode": "participant", "status": "waitlisted", "position": 2}]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        page = await client.get(link("confirm"))
        assert "liste d'attente (rang 2)" in text(page)
        assert "Confirmer : je viens" not in text(page)
        await client.post(link("confirm"), data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
        assert fake.writes() == []


async def test_the_invitations_page_offers_the_needs_fields_once_she_registered(tmp_path: Any) -> None:
    app, fake = await site_for(tmp_path)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        url = link("participant")
        before = await client.get(url)
        assert "Ce qu'il me faut pour venir" not in text(before)  # not registered yet
        after = await confirm(client, url)
        words = text(after)
        assert "Ce qu'il me faut pour venir" in words
        assert "Une garde d'enfants" in words
        assert f'action="/action/{url.removeprefix("/action/")}/besoins"' in after.text
        csrf = csrf_for(client.cookies[CSRF_COOKIE])
        refused = await client.post(
            url + "/besoins", data={"csrf": csrf, "besoin": "childcare", "enfants": "2", "ages": "3"}
        )
        assert refused.status_code == 422
        assert "Indiquez l'âge de chaque enfant" in text(refused)
        assert not [c for c in fake.calls if c[0] == "PUT"]
        saved = await client.post(
            url + "/besoins",
            data={"csrf": csrf, "besoin": ["childcare", "transport"], "enfants": "2", "ages": "3, 7"},
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == url
        assert SESSION_COOKIE not in saved.headers.get("set-cookie", "")  # no session opened
        (put,) = [c for c in fake.calls if c[0] == "PUT"]
        assert put[1:3] == (f"/instances/{INSTANCE_ID}/needs/me", str(FATOU))
        assert [n["kind"] for n in put[3]["needs"]] == ["childcare", "transport"]
        assert put[3]["needs"][0]["ages"] == [3, 7]
        shown = text(await client.get(url))
        assert "Vos besoins sont enregistrés" in shown
        assert "Garde d'enfants : 2 enfants (3, 7 ans) — en cours de réservation" in shown


async def test_a_cancel_link_offers_no_needs_fields(tmp_path: Any) -> None:
    app, fake = await site_for(tmp_path)
    fake.mine = [{**fake._row(), "mode": "participant"}]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert "Ce qu'il me faut pour venir" not in text(await client.get(link("cancel")))
        posted = await client.post(
            link("cancel") + "/besoins",
            data={"csrf": csrf_for(client.cookies[CSRF_COOKIE]), "besoin": "transport"},
        )
        assert posted.status_code == 303
        assert not [c for c in fake.calls if c[0] == "PUT"]
