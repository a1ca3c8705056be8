"""The instance page lists its concerned councils by name, in alphabetical order, from a name
index the site builds once per list of councils it keeps (`RegistryClient.council_names`), not
per page (issue 17: a territory-wide instance concerns 1,200 councils at national size); case
and accents aside, as a French reader expects ("Épinay" before "Saint-Ouen")."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from conseils_web.clients.base import Caller
from conseils_web.clients.registry import Council, CouncilNames
from tests.web.helpers import COUNCIL_ID, MEMBER_ID
from tests.web.test_instance_page_calls import councillor_on_site
from tests.web.test_instance_states import INSTANCE_ID, fake_services, stored_row

A, B, C, GONE = (uuid.UUID(int=n) for n in (11, 12, 13, 14))


def test_names_come_in_french_alphabetical_order_unknown_last() -> None:
    names = CouncilNames.of(
        [
            Council(id=A, name="saint-Ouen Centre"),
            Council(id=B, name="Aubervilliers"),
            Council(id=C, name="Épinay"),
        ]
    )
    assert names.sorted_names([A, GONE, C, B]) == ["Aubervilliers", "Épinay", "saint-Ouen Centre", "—"]
    assert names.sorted_names([]) == []


async def test_the_page_lists_them_sorted_and_builds_the_index_once(tmp_path: Path) -> None:
    row = stored_row()
    row["concerned_council_ids"] = [C, A, COUNCIL_ID]
    answer = fake_services(row, None, [])
    councils = [
        {"id": str(A), "name": "Zone Nord"},
        {"id": str(COUNCIL_ID), "name": "Conseil A"},
        {"id": str(C), "name": "bel-Air"},
    ]
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path == "/councils":
            return httpx.Response(200, json=councils)
        return answer(request)

    async with councillor_on_site(tmp_path, handler) as (app, client):
        pages = [await client.get(f"/instances/{INSTANCE_ID}") for _ in range(3)]
        caller = Caller(secret="x" * 32, subject=str(MEMBER_ID), role="councillor")
        first = await app.state.site.registry.council_names(caller)
        again = await app.state.site.registry.council_names(caller)
    for page in pages:
        assert page.status_code == 200, page.text
        assert "<li>bel-Air</li><li>Conseil A</li><li>Zone Nord</li>" in page.text
        assert "3 conseils concernés" in page.text
    assert asked.count("/councils") == 1  # one list for the three pages, kept
    assert first is again  # one index per list kept, not one per page
