"""The emails' action links end to end on the real platform (Kafka, the three services, the
site, real SMTP), through the site's pages without a browser: the invitation's link opens a
page that changes nothing, its one button registers her through the meetings service, and a
tampered or expired link, a cancelled, closed or past instance, a council not concerned and a
type without observers each get a French page and change nothing."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest

from conseils_runtime.action_links import sign_action
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

FATOU = "fatou.sow@demo.example"
JULIE = "julie.moreau@demo.example"  # Aubervilliers: not concerned by a Saint-Denis CLIP


def words(response: httpx.Response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text.split("<main", 1)[1])).split())


async def post(site: httpx.AsyncClient, path: str, secret: str) -> httpx.Response:
    """The confirm button: the form's CSRF token is the HMAC of the visitor's cookie's seed."""
    seed = site.cookies[CSRF_COOKIE]
    token = hmac.new(secret.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()
    return await site.post(path, data={"csrf": token})


async def test_action_links_on_the_real_platform(
    tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        secret = platform.auth_secret
        fatou, julie = await services.member_id(FATOU), await services.member_id(JULIE)
        comite = await services.schedule(
            instance_type="comite-technique",
            title="Comité technique — Emploi (liens)",
            theme="emploi",
            city_code="93066",
            location="Maison de l'emploi, Saint-Denis",
            starts_at=tuesday_evening(30),
        )
        invitation = await platform.wait_for_mail(FATOU, lambda m: comite in (m.part("text/plain") or ""))
        text = invitation.part("text/plain") or ""
        participate = re.search(r"^- Je participe : (\S+)", text, re.M)
        assert participate, text
        path = participate.group(1).removeprefix(platform.url)

        async with httpx.AsyncClient(base_url=platform.url) as site:
            # Opening the link (what a mail scanner does) registers nobody.
            page = await site.get(path)
            assert page.status_code == 200
            assert "Confirmer : je participe" in words(page)
            assert await services.registrations(comite) == []
            # The button without its CSRF token: refused, nothing changes.
            assert (await site.post(path, data={"csrf": "faux"})).status_code in (400, 403)
            assert await services.registrations(comite) == []
            # Click 2: registered, as her, through the meetings service; no session opened.
            done = await post(site, path, secret)
            assert done.status_code == 303
            assert SESSION_COOKIE not in done.headers.get("set-cookie", "")
            rows = await services.registrations(comite)
            assert [(r["member_id"], r["mode"], r["status"]) for r in rows] == [
                (str(fatou), "participant", "confirmed")
            ]
            after = await site.get(path)
            assert "Inscription confirmée comme participant·e" in words(after)
            assert "Vous êtes inscrit·e comme participant·e." in words(after)
            # No second confirm button: the one left asks what she needs to come (issue 19).
            assert after.text.count("<button") == 1
            assert "Enregistrer mes besoins" in words(after)

            # Tampered with, and past its window: a French page, nothing changes.
            tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
            assert (await site.get(tampered)).status_code == 400
            assert (await post(site, tampered, secret)).status_code == 400
            expired = "/action/" + sign_action(
                secret, fatou, uuid.UUID(comite), "cancel", datetime.now(UTC) - timedelta(minutes=1)
            )
            gone = await site.get(expired)
            assert gone.status_code == 410
            assert "Ce lien a expiré" in words(gone)
            assert (await post(site, expired, secret)).status_code == 410
            assert len(await services.registrations(comite)) == 1

            # A type without observers, and a council not concerned: said before any button.
            formation = await services.schedule(
                instance_type="formation",
                title="Formation — prise de parole",
                council_id=(await services.member(FATOU))["council_id"],
                location="Maison de quartier Franc-Moisin",
                starts_at=tuesday_evening(30),
            )
            observe = "/action/" + sign_action(
                secret, fatou, uuid.UUID(formation), "observer", tuesday_evening(29)
            )
            refused = await site.get(observe)
            assert "observateur" in words(refused)
            assert "Rien n'a été changé" in words(refused)
            assert "<button" not in refused.text
            await post(site, observe, secret)
            assert await services.registrations(formation) == []
            clip = await services.schedule(
                instance_type="clip",
                title="CLIP Saint-Denis (liens)",
                city_code="93066",
                location="Bourse du travail, Saint-Denis",
                starts_at=tuesday_evening(30),
            )
            outsider = "/action/" + sign_action(
                secret, julie, uuid.UUID(clip), "participant", tuesday_evening(29)
            )
            refused = await site.get(outsider)
            assert "Votre conseil n'est pas concerné" in words(refused)
            assert "<button" not in refused.text
            await post(site, outsider, secret)
            assert await services.registrations(clip) == []

            # Registration closed (the meetings service's clock past the deadline): refused.
            meetings = platform.apps["meetings"].state.service
            before = meetings.clock
            meetings.clock = lambda: tuesday_evening(30).astimezone(UTC) - timedelta(hours=1)
            try:
                late = "/action/" + sign_action(
                    secret, julie, uuid.UUID(clip), "observer", tuesday_evening(31)
                )
                refused = await site.get(late)
                assert "clos" in words(refused)
                assert "<button" not in refused.text
                await post(site, late, secret)
                assert await services.registrations(clip) == []
            finally:
                meetings.clock = before

            # The instance cancelled: her links say so and change nothing.
            await services.cancel(comite, "Salle indisponible")
            withdraw = "/action/" + sign_action(
                secret, fatou, uuid.UUID(comite), "cancel", tuesday_evening(30)
            )
            cancelled = await site.get(withdraw)
            assert "Cette instance est annulée : Salle indisponible" in words(cancelled)
            assert "<button" not in cancelled.text
