"""The councils' voice in Chromium on a 360-pixel phone, on the real platform (Kafka, the three
services, the site): staff submit two projects to a comité de programmation; the Franc-Moisin
council's coordinator opens them from the instance page and gives the council's opinion on each
through the form; once the instance is held, staff record the decisions and publish the minutes,
and the page shows them; the bilan counts the opinions given and followed. The coordinator also
says on « Notre participation » how the council attends an instance type, and staff see it.
French, axe-core finds no serious violation, no page scrolls sideways."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

AICHA = "aicha.diallo@demo.example"  # coordinator of Franc-Moisin – Bel-Air


async def check_page(page: Page, name: str, heading: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert await page.get_attribute("html", "lang") == "fr"
    await screenshot(page, f"avis-{name}")
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def submit(services: PlatformServices, iid: str, **project: Any) -> str:
    async with services.service("meetings") as meetings:
        response = await meetings.post(f"/instances/{iid}/projects", json=project)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_council_gives_its_opinions_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        starts = tuesday_evening(35)
        iid = await services.schedule(
            instance_type="comite-programmation",
            title="Comité de programmation du contrat de ville",
            location="Hôtel de territoire, Saint-Denis",
            starts_at=starts,
        )
        garden = await submit(
            services,
            iid,
            title="Jardin partagé du Franc-Moisin",
            promoter="Association Les Jardins du Franc-Moisin",
            theme="habitat",
            place="Franc-Moisin, Saint-Denis",
            amount_requested_euros=12000,
        )
        jobs = await submit(
            services,
            iid,
            title="Chantier d'insertion des jeunes",
            promoter="Régie de quartier",
            theme="emploi",
            place="Saint-Denis",
            amount_requested_euros=30000,
        )
        aicha = await services.member(AICHA)
        cookie = new_session(
            platform.auth_secret, subject=aicha["id"], role="coordinator", council_id=aicha["council_id"]
        )
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            phone = await context.new_page()
            await phone.goto(f"{platform.url}/instances/{iid}")
            await phone.get_by_role("link", name="Projets soumis, avis des conseils").click()
            await check_page(phone, "formulaire", "Projets et avis des conseils")
            for pid, stance, text in (
                (garden, "Favorable", "Le conseil soutient ce jardin, demandé par les habitants."),
                (jobs, "Défavorable", "Le conseil n'a pas été associé au projet."),
            ):
                section = phone.locator(f"#projet-{pid}")
                await section.get_by_label(stance, exact=True).check()
                await section.get_by_label("Texte de l'avis").fill(text)
                await section.get_by_role("button", name="Donner l'avis du conseil").click()
                await expect(phone.get_by_role("status")).to_contain_text("L'avis du conseil est enregistré")
            await expect(phone.locator(f"#projet-{garden}")).to_contain_text(
                "Franc-Moisin – Bel-Air : Favorable"
            )
            await check_page(phone, "donnes", "Projets et avis des conseils")

            # the instance is held: staff record the decisions and publish the minutes
            platform.apps["meetings"].state.service.clock = lambda: starts + timedelta(hours=3)
            async with services.service("meetings") as meetings:
                held = await meetings.post(f"/instances/{iid}/attendance", json={"present_member_ids": []})
                assert held.status_code == 200, held.text
                for pid, decision, amount in ((garden, "retenu", 10000), (jobs, "refuse", None)):
                    decided = await meetings.put(
                        f"/instances/{iid}/projects/{pid}/decision",
                        json={
                            "decision": decision,
                            "amount_granted_euros": amount,
                            "note": "Vote du comité.",
                        },
                    )
                    assert decided.status_code == 200, decided.text
                minutes = await meetings.post(f"/instances/{iid}/minutes", json={"summary": "Deux projets."})
                assert minutes.status_code == 200, minutes.text
                day = starts.date()
                bilan = (
                    await meetings.get(
                        "/bilan",
                        params={"from": (day - timedelta(days=1)).isoformat(), "to": day.isoformat()},
                    )
                ).json()
            await phone.reload()
            await expect(phone.locator(f"#projet-{garden}")).to_contain_text("Retenu — montant accordé : 10")
            await expect(phone.locator(f"#projet-{jobs}")).to_contain_text("Refusé")
            await expect(phone.locator("form[action$='/avis']")).to_have_count(0)  # opinions are closed
            await check_page(phone, "decisions", "Projets et avis des conseils")
            [mine] = [f for f in bilan["opinions_by_council"] if f["council_id"] == aicha["council_id"]]
            assert (mine["given"], mine["followed"]) == (2, 2)

            # « Notre participation »: the coordinator says how the council attends
            await phone.goto(f"{platform.url}/mon-conseil")
            await phone.get_by_role("link", name="Notre participation aux instances").click()
            await check_page(phone, "participation", "Notre participation")
            await (
                phone.get_by_role("group", name="Comité technique thématique")
                .get_by_label("Observer")
                .check()
            )
            await phone.get_by_role("button", name="Enregistrer nos choix").click()
            await expect(phone.get_by_role("status")).to_contain_text("1 choix enregistré")
        finally:
            await context.close()

        staff = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            cookie = new_session(platform.auth_secret, subject="agent-test", role="staff")
            await staff.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            page = await staff.new_page()
            await page.goto(f"{platform.url}/equipe/participation")
            await check_page(page, "equipe-participation", "Participation des conseils")
            row = page.get_by_role("row", name="Conseil citoyen Franc-Moisin")
            await expect(row).to_contain_text("Observer")
            await page.goto(f"{platform.url}/equipe/instances/{iid}/projets")
            await check_page(page, "equipe-projets", "Projets et avis des conseils")
            await expect(page.locator(f"#projet-{jobs}")).to_contain_text("Défavorable")
        finally:
            await staff.close()
