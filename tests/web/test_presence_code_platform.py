"""The attendance code end to end on the real platform (Kafka, the three services, the site, real
SMTP), through the site's pages without a browser: staff see the instance's code on their page;
the presence prompt's signed link (as the notifications service signs it) opens a page that
changes nothing; the right code typed declares her present at once and staff see « déclaré
présent·e par code » beside their sheet; a wrong code is refused in French; five wrong codes lock
it for her for that instance; « Je n'étais pas là » records nothing and thanks her."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, timedelta

import httpx
import pytest

from conseils_runtime.action_links import sign_action
from conseils_web.security import CSRF_COOKIE
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening
from tests.web.test_action_links_platform import FATOU, post, words
from tests.web.test_pages_read_french import sign_in

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"
AICHA = "aicha.diallo@demo.example"


async def typed(site: httpx.AsyncClient, path: str, secret: str, code: str) -> httpx.Response:
    seed = site.cookies[CSRF_COOKIE]
    token = hmac.new(secret.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()
    return await site.post(path, data={"csrf": token, "code": code})


async def declared(services: PlatformServices, instance_id: str) -> list[str]:
    async with services.service("meetings") as meetings:
        rows = (await meetings.get(f"/instances/{instance_id}/presence-declarations")).json()
    return [row["member_id"] for row in rows]


async def test_the_attendance_code_on_the_real_platform(
    tmp_path, kafka_bootstrap: str, territory: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        secret = platform.auth_secret
        fatou, aicha = await services.member_id(FATOU), await services.member_id(AICHA)
        starts = tuesday_evening(30)
        comite = await services.schedule(
            instance_type="comite-technique",
            title="Comité technique — Emploi (présence)",
            theme="emploi",
            city_code="93066",
            location="Maison de l'emploi, Saint-Denis",
            starts_at=starts,
        )
        # Both register through their invitation's link (one participant seat per council:
        # Aïcha, of the same council, observes).
        for member, mode in ((fatou, "participant"), (aicha, "observer")):
            async with httpx.AsyncClient(base_url=platform.url) as site:
                path = "/action/" + sign_action(secret, member, uuid.UUID(comite), mode, starts)
                await site.get(path)
                assert (await post(site, path, secret)).status_code == 303
        rows = await services.registrations(comite)
        assert [r["status"] for r in rows] == ["confirmed", "confirmed"], rows

        meetings = platform.apps["meetings"].state.service
        meetings.clock = lambda: starts.astimezone(UTC) + timedelta(hours=1)  # during the meeting
        until = starts + timedelta(days=8)
        async with httpx.AsyncClient(base_url=platform.url) as staff:
            await sign_in(staff, platform, STAFF)
            page = await staff.get(f"/equipe/instances/{comite}")
            assert page.status_code == 200
            shown = words(page)
            assert "Code de présence à afficher en séance" in shown
            code = shown.split("Code de présence à afficher en séance : ", 1)[1].split()[0]
            assert len(code) == 6
            assert "déclaré présent·e par code" not in shown

            async with httpx.AsyncClient(base_url=platform.url) as phone:
                path = "/presence/" + sign_action(secret, fatou, uuid.UUID(comite), "present", until)
                opened = await phone.get(path)
                assert opened.status_code == 200
                assert "Étiez-vous présent·e ?" in words(opened)
                assert await declared(services, comite) == []  # opening changes nothing
                wrong = await typed(phone, path, secret, "ZZZZZZ")
                assert wrong.status_code == 400
                assert "Ce code n'est pas le bon" in words(wrong)
                assert "il vous reste 4 essais" in words(wrong)
                assert await declared(services, comite) == []
                right = await typed(phone, path, secret, code.lower()[:3] + " " + code.lower()[3:])
                assert right.status_code == 200, words(right)
                assert "Merci : votre présence est enregistrée." in words(right)
                assert await declared(services, comite) == [str(fatou)]
            page = await staff.get(f"/equipe/instances/{comite}")
            assert "déclaré présent·e par code" in words(page)
            assert words(page).count("déclaré présent·e par code") == 1

            async with httpx.AsyncClient(base_url=platform.url) as phone:
                path = "/presence/" + sign_action(secret, aicha, uuid.UUID(comite), "present", until)
                await phone.get(path)
                for left in (4, 3, 2, 1):
                    refused = await typed(phone, path, secret, "AAAAAA")
                    assert f"il vous reste {left} essai" in words(refused), words(refused)[200:700]
                locked = await typed(phone, path, secret, "AAAAAA")
                assert locked.status_code == 429
                assert "Trop de codes erronés (5)" in words(locked)
                still = await typed(phone, path, secret, code)  # even the right one, now
                assert still.status_code == 429
                assert await declared(services, comite) == [str(fatou)]
                # « Je n'étais pas là »: nothing recorded, she is thanked.
                gone = await post(phone, path + "/absente", secret)
                assert gone.status_code == 303
                thanks = await phone.get(gone.headers["location"])
                assert "Merci de nous l'avoir dit" in words(thanks)
                assert await declared(services, comite) == [str(fatou)]
                # Another action's link is not a presence link.
                other = "/presence/" + sign_action(secret, aicha, uuid.UUID(comite), "cancel", until)
                assert (await phone.get(other)).status_code == 400
