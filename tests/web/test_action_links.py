"""The emails' action links on the site, against fake services: opening one changes
nothing (mail scanners follow links), the page shows one confirm button (a POST with its
CSRF token), confirming acts as the link's member for that one call and opens no session;
a tampered or expired link, a cancelled instance and the rules' refusals say why in French."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_runtime.action_links import sign_action
from conseils_runtime.auth import verify_token
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, SECRET, build_site, csrf_for
from tests.web.test_councillor_pages import INSTANCE, INSTANCE_ID

FATOU = uuid.UUID("00000000-0000-0000-0000-0000000000f1")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 21, 17, 30, tzinfo=UTC)
ACCESS = {
    "concerned": True,
    "participant": {"allowed": True, "code": "open", "reason": "Votre conseil est concerné."},
    "observer": {
        "allowed": True,
        "code": "open",
        "reason": "Cette instance accueille des observateur·rices.",
    },
}


class FakeServices:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []
        self.instance: dict[str, Any] = {**INSTANCE, "access": ACCESS}
        self.mine: list[dict[str, Any]] = []
        self.member: dict[str, Any] = {
            "id": str(FATOU),
            "display_name": "Fatou Sow",
            "council_id": str(COUNCIL_ID),
        }
        self.refusal: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        principal = verify_token(
            SECRET,
            request.headers["authorization"].removeprefix("Bearer "),
            audience=request.url.host.split(".")[0],
        )
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, principal.subject, body))
        path = request.url.path
        if path == f"/members/{FATOU}":
            assert principal.subject == "site"  # the site looks her up as itself
            return httpx.Response(200, json=self.member)
        assert principal.subject == str(FATOU)  # everything else: as her
        assert principal.role == "councillor"
        if path == f"/instances/{INSTANCE_ID}":
            return httpx.Response(200, json=self.instance)
        if path == "/me/registrations":
            return httpx.Response(200, json=self.mine)
        if path == f"/instances/{INSTANCE_ID}/registrations" and request.method == "POST":
            if self.refusal:
                return httpx.Response(409, json={"detail": self.refusal})
            self.mine = [{**self._row(), "mode": body["mode"]}]
            return httpx.Response(200, json={"message": "Inscription confirmée comme participant·e."})
        if path == f"/instances/{INSTANCE_ID}/registrations/me" and request.method == "DELETE":
            self.mine = []
            return httpx.Response(200, json={"message": "Inscription annulée."})
        return httpx.Response(404, json={"detail": "Introuvable."})

    def _row(self) -> dict[str, Any]:
        return {"instance_id": str(INSTANCE_ID), "starts_at": INSTANCE["starts_at"], "status": "confirmed"}

    def writes(self) -> list[tuple[str, str, str, Any]]:
        return [call for call in self.calls if call[0] in ("POST", "DELETE")]


@pytest.fixture
async def visitor(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeServices]]:
    """A signed-out visitor (a phone opening the mail), with the site's clock on NOW."""
    fake = FakeServices()
    app = build_site(tmp_path, fake)
    app.state.site.clock = lambda: NOW
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client, fake


def link(action: str = "participant", until: datetime = CLOSES, member: uuid.UUID = FATOU) -> str:
    return "/action/" + sign_action(SECRET, member, INSTANCE_ID, action, until)  # type: ignore[arg-type]


def text(response: httpx.Response) -> str:
    return " ".join(unescape(response.text.split("<main", 1)[1]).split())


async def confirm(client: httpx.AsyncClient, url: str) -> httpx.Response:
    page = await client.get(url)
    assert page.status_code == 200
    posted = await client.post(url, data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
    assert posted.status_code == 303
    assert posted.headers["location"] == url
    assert SESSION_COOKIE not in posted.headers.get("set-cookie", "")  # no session opened
    return await client.get(url)


async def test_opening_the_link_changes_nothing_and_shows_one_button(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    page = await client.get(link())
    assert page.status_code == 200
    words = text(page)
    assert "En confirmant, vous vous inscrivez comme participant·e à cette instance." in words
    assert "<dt>Pour</dt><dd>Fatou Sow</dd>" in words
    assert page.text.count("<button") == 1
    assert "Confirmer : je participe" in words
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert fake.writes() == []  # a mail scanner following the link registers nobody


async def test_two_clicks_register_her_as_the_links_member(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    after = await confirm(client, link("observer"))
    assert fake.writes() == [
        ("POST", f"/instances/{INSTANCE_ID}/registrations", str(FATOU), {"mode": "observer"})
    ]
    assert "Inscription confirmée" in text(after)
    assert "Vous êtes inscrit·e comme observateur·rice." in text(after)
    assert "<button" not in after.text  # used: nothing more to confirm
    assert SESSION_COOKIE not in client.cookies


async def test_the_confirm_button_needs_its_csrf_token(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    await client.get(link())
    refused = await client.post(link(), data={"csrf": "faux"})
    assert refused.status_code in (400, 403)
    assert fake.writes() == []


async def test_je_ne_viens_plus_cancels_her_registration(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    fake.mine = [{**fake._row(), "mode": "participant"}]
    after = await confirm(client, link("cancel"))
    assert fake.writes() == [("DELETE", f"/instances/{INSTANCE_ID}/registrations/me", str(FATOU), None)]
    assert "Inscription annulée." in text(after)
    assert "Vous n'êtes pas (ou plus) inscrit·e à cette instance" in text(after)


async def test_a_tampered_link_says_so_and_changes_nothing(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    good = link()
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for url in (tampered, "/action/pas-un-lien", link().replace("/action/", "/action/x")):
        page = await client.get(url)
        assert page.status_code == 400
        assert "Ce lien n'est pas valide" in text(page)
        assert "Rien n'a été changé" in text(page)
        assert (
            await client.post(url, data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
        ).status_code == 400
    assert fake.calls == []


async def test_a_link_past_its_window_explains_itself_and_offers_to_sign_in(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    expired = link(until=datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
    page = await client.get(expired)
    assert page.status_code == 410
    words = text(page)
    assert "Ce lien a expiré" in words
    assert "Il était valable jusqu'au lundi 30" in words
    assert f'href="/connexion?suite=/instances/{INSTANCE_ID}"' in page.text
    posted = await client.post(expired, data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
    assert posted.status_code == 410
    assert fake.calls == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"status": "cancelled", "cancel_reason": "Salle indisponible"},
            "Cette instance est annulée : Salle",
        ),
        ({"status": "held"}, "Cette instance a déjà eu lieu."),
        (
            {
                "access": {
                    **ACCESS,
                    "participant": {"allowed": False, "code": "closed", "reason": "Inscriptions closes."},
                }
            },
            "Inscriptions closes. Rien n'a été changé.",
        ),
        (
            {
                "access": {
                    **ACCESS,
                    "participant": {
                        "allowed": False,
                        "code": "not_concerned",
                        "reason": "Votre conseil n'est pas concerné.",
                    },
                }
            },
            "Votre conseil n'est pas concerné. Rien n'a été changé.",
        ),
    ],
)
async def test_an_instance_the_link_can_no_longer_act_on_says_why(
    visitor: tuple[httpx.AsyncClient, FakeServices], change: dict[str, Any], expected: str
) -> None:
    client, fake = visitor
    fake.instance.update(change)
    page = await client.get(link())
    assert expected in text(page)
    assert "<button" not in page.text
    posted = await client.post(link(), data={"csrf": csrf_for(client.cookies[CSRF_COOKIE])})
    assert posted.status_code == 303
    assert fake.writes() == []


async def test_no_observers_allowed_is_said_before_confirming(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    fake.instance["access"] = {
        **ACCESS,
        "observer": {
            "allowed": False,
            "code": "observers_not_allowed",
            "reason": "Ce type d'instance n'accueille pas d'observateur·rices.",
        },
    }
    page = await client.get(link("observer"))
    assert "n'accueille pas d'observateur·rices. Rien n'a été changé." in text(page)
    assert fake.writes() == []


async def test_a_full_instance_warns_of_the_waiting_list_then_says_the_rank(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    fake.instance["access"] = {
        **ACCESS,
        "participant": {
            "allowed": True,
            "code": "waitlist",
            "reason": "Les places de votre conseil sont prises : liste d'attente.",
        },
    }
    page = await client.get(link())
    assert "Les places de votre conseil sont prises : liste d'attente." in text(page)
    assert page.text.count("<button") == 1


async def test_a_refusal_by_the_rules_at_the_last_moment_is_shown(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    fake.refusal = "Les inscriptions sont closes depuis le lundi 21 décembre 2026 à 18 h 30."
    after = await confirm(client, link())
    assert "Rien n'a été changé : Les inscriptions sont closes" in text(after)


async def test_a_member_who_left_cannot_use_her_links(
    visitor: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, fake = visitor
    fake.member["left_on"] = "2026-11-01"
    page = await client.get(link())
    assert page.status_code == 403
    assert "Vous n'êtes plus membre d'un conseil" in text(page)
    assert fake.writes() == []
