"""Sign-in by SMS (issue 19), against fake services: a phone number typed on /connexion gets
the same answer whether or not it is known, before any look-up; the site asks the
notifications service who has the number (its own staff-role token, the number normalised),
issues its single-use link for each active member and asks for it to be texted; the link
signs her in once. The rate limits are the email's, per number whatever its spelling; a member
who left gets nothing; something that is neither an address nor a number is refused in French."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_runtime.auth import verify_token
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from conseils_web.signin_sms import phone_number
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, SECRET, build_site, csrf_for

MARIAMA = "+33612345678"
LEFT = uuid.UUID("00000000-0000-0000-0000-0000000000b2")
BASE = "https://conseils.example"


class Services:
    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.texts: list[dict[str, Any]] = []
        self.numbers: dict[str, list[str]] = {MARIAMA: [str(MEMBER_ID)], "+33700000000": [str(LEFT)]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        service = request.url.host.split(".")[0]
        principal = verify_token(
            SECRET, request.headers["authorization"].removeprefix("Bearer "), audience=service
        )
        assert (principal.subject, principal.role) == ("site", "staff")  # the site as itself
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        if path == "/notifications/sms/sign-in/lookup":
            self.lookups.append(body["phone"])
            return httpx.Response(200, json={"member_ids": self.numbers.get(body["phone"], [])})
        if path == "/notifications/sms/sign-in":
            self.texts.append(body)
            return httpx.Response(200, json={"sent": True})
        if path == f"/members/{MEMBER_ID}":
            return httpx.Response(
                200,
                json={
                    "id": str(MEMBER_ID),
                    "role": "member",
                    "council_id": str(COUNCIL_ID),
                    "display_name": "M",
                },
            )
        if path == f"/members/{LEFT}":
            return httpx.Response(
                200,
                json={
                    "id": str(LEFT),
                    "role": "member",
                    "council_id": str(COUNCIL_ID),
                    "left_on": "2026-01-01",
                },
            )
        return httpx.Response(404, json={"detail": "?"})


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    services = Services()
    app = build_site(tmp_path, services, public_base_url=BASE)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client, services


async def ask(client: httpx.AsyncClient, typed: str, suite: str = "") -> httpx.Response:
    return await client.post("/connexion", data={"email": typed, "csrf": csrf_for(), "suite": suite})


async def settled(services: Services, lookups: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while len(services.lookups) < lookups and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the SMS request, after the look-up


def test_what_counts_as_a_phone_number() -> None:
    assert phone_number("06 12 34 56 78") == MARIAMA
    assert phone_number("06.12.34.56.78") == MARIAMA
    assert phone_number("+33 6 12 34 56 78") == MARIAMA
    assert phone_number("0033612345678") == MARIAMA
    assert phone_number("+44 7700 900123") == "+447700900123"
    for typed in ("612345678", "06 12 34", "nom@exemple.fr", "bonjour", "00000000000"):
        assert phone_number(typed) is None, typed


async def test_a_known_number_gets_her_link_by_sms_and_it_signs_her_in_once(
    site: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = site
    answer = await ask(client, "06 12 34 56 78", suite="/agenda")
    assert answer.status_code == 200
    assert "Vérifiez vos SMS" in answer.text
    assert "Si ce numéro correspond à un compte, un SMS avec un lien de connexion" in answer.text
    await settled(services, 1)
    assert services.lookups == [MARIAMA]
    (sms,) = services.texts
    assert sms["member_id"] == str(MEMBER_ID)
    assert sms["link"].startswith(f"{BASE}/connexion/")
    assert sms["link"].endswith("?suite=/agenda")
    path = sms["link"].removeprefix(BASE)
    used = await client.post(path.split("?")[0], data={"csrf": csrf_for(), "suite": "/agenda"})
    assert used.status_code == 303
    assert SESSION_COOKIE in used.headers["set-cookie"]
    again = await client.post(path.split("?")[0], data={"csrf": csrf_for()})
    assert SESSION_COOKIE not in again.headers.get("set-cookie", "")  # single use


async def test_an_unknown_number_gets_the_same_answer_and_no_sms(
    site: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = site
    known, unknown = await ask(client, "0612345678"), await ask(client, "07 11 22 33 44")
    assert (known.status_code, unknown.status_code) == (200, 200)
    strip = lambda r: r.text.split("<main", 1)[1].replace(csrf_for(), "")  # noqa: E731
    assert strip(known) == strip(unknown)  # nothing tells them apart
    left = await ask(client, "07 00 00 00 00")  # a member who left
    assert left.status_code == 200
    await settled(services, 3)
    assert sorted(services.lookups) == sorted([MARIAMA, "+33711223344", "+33700000000"])
    assert [sms["member_id"] for sms in services.texts] == [str(MEMBER_ID)]


async def test_the_limits_count_a_number_whatever_its_spelling(
    site: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = site
    spellings = ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "06.12.34.56.78"]
    answers = [await ask(client, typed) for typed in spellings]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Trop de demandes" in answers[3].text
    await settled(services, 3)
    assert len(services.texts) == 3


async def test_neither_an_address_nor_a_number_is_refused_in_french(
    site: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = site
    refused = await ask(client, "pas-une-adresse")
    assert refused.status_code == 400
    assert "ou un numéro de téléphone portable, par exemple 06 12 34 56 78" in refused.text
    assert 'href="#email"' in refused.text
    page = await client.get("/connexion")
    assert "Adresse électronique ou numéro de portable" in page.text
    assert services.lookups == []
