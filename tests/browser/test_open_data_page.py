"""The public open-data feed on the real platform (Kafka, the three services, the site): staff
schedule two instances, move one and cancel the other through the meetings service; within a
minute the site's `agenda.jsonld` shows EventRescheduled with previousStartDate and
EventCancelled, the CSV says so in French, and the page, reached from the footer on a 360-pixel
phone signed out, lists them with no accessibility violation."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import assert_fits_phone_width, screenshot, serious_accessibility_violations
from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


async def wait_for_graph(url: str, check: Any, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    graph: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            response = await http.get(f"{url}/donnees-ouvertes/agenda.jsonld")
            if response.status_code == 200:
                graph = response.json()["@graph"]
                if check(graph):
                    return graph
            await asyncio.sleep(0.5)
    raise AssertionError(f"the open-data feed did not show it within {timeout}s: {graph}")


async def test_a_move_and_a_cancellation_reach_the_open_data_and_its_page(
    phone: Page, tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        starts = tuesday_evening(35)
        moved = await services.schedule(
            instance_type="forum",
            title="Forum des conseils citoyens",
            location="Bourse du travail",
            starts_at=starts,
        )
        dropped = await services.schedule(
            instance_type="forum",
            title="Forum de printemps",
            location="Maison de quartier",
            starts_at=tuesday_evening(42),
        )
        async with services.service("meetings") as meetings:
            later = starts + timedelta(days=7)
            response = await meetings.post(
                f"/instances/{moved}/reschedule",
                json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
            )
            assert response.status_code == 200, response.text
        await services.cancel(dropped, "Salle indisponible")

        def both(graph: list[dict[str, Any]]) -> bool:
            status = {event["name"]: event["eventStatus"] for event in graph}
            return status.get("Forum des conseils citoyens", "").endswith("EventRescheduled") and status.get(
                "Forum de printemps", ""
            ).endswith("EventCancelled")

        graph = await wait_for_graph(platform.url, both)
        [event] = [e for e in graph if e["name"] == "Forum des conseils citoyens"]
        assert event["previousStartDate"] == [starts.isoformat()]
        assert event["startDate"] == later.isoformat()
        assert event["identifier"] == f"{moved}@conseils.{territory}"
        async with httpx.AsyncClient() as http:
            table = (await http.get(f"{platform.url}/donnees-ouvertes/agenda.csv")).text
        rows = {row["identifiant"]: row for row in csv.DictReader(io.StringIO(table))}
        assert rows[moved]["statut"] == "déplacée"
        assert rows[dropped]["statut"] == "annulée"
        assert rows[dropped]["motif d'annulation"] == "Salle indisponible"

        await phone.goto(platform.url)
        await phone.get_by_role("contentinfo").get_by_role("link", name="Données ouvertes").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
        card = phone.locator(f"#instance-{moved}")
        await expect(card).to_contain_text("Déplacée")
        await expect(card).to_contain_text("Initialement prévue le")
        await expect(phone.locator(f"#instance-{dropped}")).to_contain_text("Annulée")
        await phone.locator("#colonnes summary").click()
        assert await phone.get_attribute("html", "lang") == "fr"
        await screenshot(phone, "donnees-ouvertes")
        assert await serious_accessibility_violations(phone) == []
        await assert_fits_phone_width(phone)
