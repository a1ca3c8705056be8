"""The bilan on the real platform (the demo's past year played into the meetings service), in
Chromium on a 360-pixel screen: inside the site's layout (menu, footer), no sideways scroll,
every chart label readable (none clipped, none cut short), axe-core without any violation
(landmarks included), and after a period typed wrong, 422 with the reason next to the field,
what was typed kept, and the focus on the error summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from conseils_meetings.demo import demo_period, demo_school_year
from conseils_web.security import SESSION_COOKIE, new_session
from tests.browser.conftest import accessibility_violations, assert_fits_phone_width, screenshot
from tests.browser.platform_helpers import running_platform

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

STAFF = "agent.territoire@plainecommune.example"

CLIPPED_TEXT = """() => {
  const clipped = [];
  for (const element of document.querySelectorAll('main .graphique *')) {
    const box = element.getBoundingClientRect();
    if (!element.textContent.trim() || element.children.length) continue;
    const style = getComputedStyle(element);
    const cut = element.scrollWidth > element.clientWidth + 1 && style.overflow !== 'visible';
    if (box.left < 0 || box.right > document.documentElement.clientWidth || cut) {
      clipped.push(element.textContent.trim());
    }
  }
  for (const text of document.querySelectorAll('main svg text')) {
    const box = text.getBoundingClientRect();
    const svg = text.closest('svg').getBoundingClientRect();
    if (box.left < svg.left - 1 || box.right > svg.right + 1) clipped.push(text.textContent.trim());
  }
  return clipped;
}"""


async def check_page(page: Page, name: str) -> None:
    await screenshot(page, f"bilan-{name}")
    assert await page.get_attribute("html", "lang") == "fr"
    assert [v["id"] for v in await accessibility_violations(page)] == [], name
    await assert_fits_phone_width(page)


async def test_the_bilan_is_a_page_of_the_site_readable_on_a_phone(
    browser: Browser, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory, demo_year=True) as platform:
        account = await platform.apps["registry"].state.registry.staff_account(STAFF)
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
        cookie = new_session(platform.auth_secret, subject=str(account.id), role="staff")
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": platform.url}])
        page = await context.new_page()

        start, end = demo_period(date.today())  # the demo's past year
        await page.goto(f"{platform.url}/equipe/bilan")
        # The page opens on the current school year; the demo's is one click away, with its figures.
        school_from, school_to = demo_school_year(date.today())
        demo = f"Année de démonstration ({school_from.year}-{school_to.year})"
        await page.get_by_role("link", name=demo).click()
        await expect(page.get_by_label("Du")).to_have_value(school_from.isoformat())
        await expect(page.get_by_label("Au")).to_have_value(school_to.isoformat())
        await expect(page.get_by_role("link", name=demo)).to_have_attribute("aria-current", "page")
        assert await page.locator("main .graphique").count() >= 4
        await page.get_by_label("Du").fill(start.isoformat())
        await page.get_by_label("Au").fill(end.isoformat())
        await page.get_by_role("button", name="Voir le bilan").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Bilan de participation")
        await expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
        await expect(page.get_by_role("contentinfo")).to_be_visible()
        await expect(page.get_by_role("link", name="Bilan", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        charts = page.locator("main .graphique")
        assert await charts.count() >= 4
        await expect(charts.first).to_contain_text("Conseil citoyen")  # full names, never cut short
        assert "…" not in await page.locator("main .graphique").first.inner_text()
        assert await page.evaluate(CLIPPED_TEXT) == []
        await check_page(page, "rapport")
        csv = page.get_by_role("link", name="Télécharger le bilan de la période (CSV)")
        assert "format=csv" in (await csv.get_attribute("href") or "")

        # A period typed wrong: the reason next to the field, what was typed kept, focus on the summary.
        await page.get_by_label("Du").fill("2026-06-30")
        await page.get_by_label("Au").fill("2025-09-01")
        async with page.expect_response(lambda r: "/equipe/bilan" in r.url) as answered:
            await page.get_by_role("button", name="Voir le bilan").click()
        assert (await answered.value).status == 422
        summary = page.get_by_role("alert")
        await expect(summary).to_contain_text("La fin de la période doit être après son début")
        assert await page.evaluate("document.activeElement.id") == "erreurs"
        await expect(page.get_by_label("Au")).to_have_value("2025-09-01")
        assert await page.get_by_label("Au").get_attribute("aria-invalid") == "true"
        await check_page(page, "periode-erreur")
        await context.close()
