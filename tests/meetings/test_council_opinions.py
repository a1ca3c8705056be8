"""A council's opinions for its public page (`GET /councils/{id}/opinions`, issue 20 item 4),
SQLite and PostgreSQL: each opinion with its project and instance, the decision once taken, and
only that council's."""

from __future__ import annotations

from .conftest import STAFF, Harness
from .test_api import EVENING, schedule
from .test_voice import add_coordinator, coordinator, opinion, submit


async def test_a_council_s_opinions_with_their_project_and_decision(harness: Harness) -> None:
    h = harness
    boss = await add_coordinator(h, "franc-moisin")
    instance = await schedule(h, "comite-programmation", EVENING)
    iid = instance["id"]
    garden = await submit(h, iid, "Jardin partagé du Franc-Moisin", "habitat", 12_000)
    given = await opinion(h, iid, garden["id"], coordinator(boss), "favourable", "Le conseil soutient.")
    assert given.status_code == 200, given.text
    council = h.world.councils["franc-moisin"]
    listed = await h.client.get(f"/councils/{council}/opinions", headers=STAFF)
    assert listed.status_code == 200, listed.text
    [only] = listed.json()
    assert only | {"given_at": "", "instance_starts_at": ""} == {
        "instance_id": iid,
        "instance_title": instance["title"],
        "instance_starts_at": "",
        "project_title": "Jardin partagé du Franc-Moisin",
        "promoter": "Association Les Jardins partagés",
        "stance": "favourable",
        "text": "Le conseil soutient.",
        "given_at": "",
        "decision": None,
    }
    other = h.world.councils["floreal"]
    assert (await h.client.get(f"/councils/{other}/opinions", headers=STAFF)).json() == []
    anonymous = await h.client.get(f"/councils/{council}/opinions")
    assert anonymous.status_code == 401
