"""How a council is represented, in Chromium on a 360-pixel phone, on the real platform (Kafka, the
three services, the site), with the demo's comités techniques under the rotation scenario (issue 20):
the Franc-Moisin council's coordinator designates the substitute of her emploi referent and orders
the council's rota on « Suppléant·es et tour de rôle »; a wrong rank, then a swap with the member
whose turn it already is, are refused in French next to the field, the focus on it; the instance
page says who represents each council this time, and the swap gives the turn to another member.
Staff see the same choices on the council's staff page. French, axe-core finds no serious
violation, no page scrolls sideways."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import and_, func, select

from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser import platform_helpers
from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import RunningPlatform, running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

AICHA = "aicha.diallo@demo.example"  # coordinator of Franc-Moisin – Bel-Air, emploi referent
MARC = "marc.lefevre@demo.example"
FATOU = "fatou.sow@demo.example"
IN_FORCE = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"


@pytest.fixture
def rotation_territory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo territory, its comités techniques by rotation since January 2026."""
    text = platform_helpers.default_territory_path().read_text(encoding="utf-8")
    assert IN_FORCE in text
    path = tmp_path / "rotation.yaml"
    path.write_text(
        text.replace(IN_FORCE, "    - {scenario: rotation, since: 2026-01-01}\n", 1), encoding="utf-8"
    )
    monkeypatch.setattr(platform_helpers, "default_territory_path", lambda: path)


async def check_page(page: Page, name: str, heading: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert await page.get_attribute("html", "lang") == "fr"
    await screenshot(page, f"representation-{name}")
    assert await serious_accessibility_violations(page) == [], name
    await assert_fits_phone_width(page)


async def meetings_knows_members(platform: RunningPlatform, council_id: str, count: int) -> None:
    """The meetings service has projected the council's members (the rota is checked against them)."""
    from conseils_meetings import tables

    database = platform.apps["meetings"].state.runtime.database
    query = select(func.count()).where(
        and_(tables.members.c.council_id == uuid.UUID(council_id), tables.members.c.active.is_(True))
    )
    for _ in range(150):
        async with database.sessionmaker() as session:
            if (await session.scalar(query) or 0) >= count:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the meetings service never learnt the council's members")


async def test_a_coordinator_sets_how_her_council_is_represented_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str, rotation_territory: None
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        aicha, marc, fatou = [await services.member(email) for email in (AICHA, MARC, FATOU)]
        council = aicha["council_id"]
        cookie = new_session(
            platform.auth_secret, subject=aicha["id"], role="coordinator", council_id=council
        )
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            phone = await context.new_page()
            await phone.goto(f"{platform.url}/mon-conseil")
            await phone.get_by_role("link", name="Suppléant·es et tour de rôle").click()
            await check_page(phone, "coordination", "Représentation du conseil")

            # the substitute of her own emploi referent's seat
            await phone.locator("#suppleant-emploi").select_option(label="Fatou Sow")
            await phone.get_by_role("button", name="Enregistrer le ou la suppléant·e Emploi").click()
            await expect(phone.get_by_role("status")).to_contain_text("Suppléant·e « Emploi")
            await expect(phone.locator("#suppleant-emploi")).to_have_value(fatou["id"])

            # a wrong rank: said next to the field, the focus on it
            await meetings_knows_members(platform, council, 3)
            await phone.locator(f"#rang-{marc['id']}").fill("0")
            await phone.get_by_role("button", name="Enregistrer le tour de rôle").click()
            error = phone.locator(f"#rang-{marc['id']}-erreur")
            await expect(error).to_have_text("Le rang est un nombre entier (1, 2, 3…).")
            await expect(phone.locator(f"#rang-{marc['id']}")).to_be_focused()
            await expect(phone.locator(f"#rang-{marc['id']}")).to_have_attribute("aria-invalid", "true")
            await check_page(phone, "rang-refuse", "Représentation du conseil")

            # the rota in order: Fatou, Marc, Aïcha
            for member, rank in ((fatou, "1"), (marc, "2"), (aicha, "3")):
                await phone.locator(f"#rang-{member['id']}").fill(rank)
            await phone.get_by_role("button", name="Enregistrer le tour de rôle").click()
            await expect(phone.get_by_role("status")).to_contain_text("Tour de rôle enregistré (3 membres)")
            await expect(phone.locator("#tour-de-role + p")).to_contain_text("Prochain tour : Fatou Sow")
            await check_page(phone, "tour-de-role", "Représentation du conseil")

            # a comité technique scheduled: her turn is Fatou's; the instance page says so
            iid = await services.schedule(
                instance_type="comite-technique",
                title="Comité technique emploi",
                theme="emploi",
                location="Maison de l'emploi, Saint-Denis",
                starts_at=tuesday_evening(40),
            )
            await phone.goto(f"{platform.url}/instances/{iid}")
            await phone.get_by_role("link", name="Qui représente chaque conseil cette fois").click()
            await check_page(phone, "instance", "Représentation des conseils")
            await expect(phone.locator("main")).to_contain_text("le membre dont c'est le tour (tour de rôle)")
            row = phone.get_by_role("row", name="Conseil citoyen Franc-Moisin")
            await expect(row).to_contain_text("Fatou Sow")

            # a swap with the member whose turn it is: refused next to the field, the focus on it
            swap = phone.locator(f"#echange-{council}")
            await swap.select_option(label="Fatou Sow")
            await phone.get_by_role("button", name="Échanger").click()
            await expect(phone.locator(f"#echange-{council}-erreur")).to_have_text("C'est déjà son tour.")
            await expect(swap).to_be_focused()
            await check_page(phone, "echange-refuse", "Représentation des conseils")
            await swap.select_option(label="Marc Lefèvre")
            await phone.get_by_role("button", name="Échanger").click()
            await expect(phone.get_by_role("status")).to_contain_text("Tour échangé pour cette instance")
            await expect(row).to_contain_text("Marc Lefèvre (à la place de Fatou Sow, par échange)")
        finally:
            await context.close()

        staff = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        try:
            cookie = new_session(platform.auth_secret, subject="agent-test", role="staff")
            await staff.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
            page = await staff.new_page()
            await page.goto(f"{platform.url}/equipe/conseils/{council}")
            await page.get_by_role("link", name="Suppléant·es et tour de rôle").click()
            await check_page(page, "equipe", "Représentation du conseil")
            await expect(page.locator("#suppleant-emploi")).to_have_value(fatou["id"])
            await expect(page.locator(f"#rang-{fatou['id']}")).to_have_value("1")
            await expect(page.locator(f"#rang-{aicha['id']}")).to_have_value("3")
            await page.goto(f"{platform.url}/instances/{iid}/representation")
            await check_page(page, "equipe-instance", "Représentation des conseils")
            await expect(page.get_by_role("row", name="Conseil citoyen Franc-Moisin")).to_contain_text(
                "Marc Lefèvre"
            )
        finally:
            await staff.close()
