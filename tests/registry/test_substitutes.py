"""The substitutes (suppléant·es) of a council's theme referents through the registry's API on the
real broker: staff and the council's own coordinator designate one, the rules refuse in French
(not a member of the council, the referent herself, a theme without referent, another council's
coordinator), and each designation is a fact on registry.councils (ids only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conseils_registry.domain import council_id_for
from tests.registry.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
VILLETTE = council_id_for("plaine-commune", "aubervilliers-villette")


async def _member(api: Api, council: object, name: str) -> str:
    members = (await api.client.get(f"/councils/{council}/members", headers=api.staff)).json()
    return str(next(m["id"] for m in members if m["display_name"] == name))


async def test_coordinator_and_staff_designate_substitutes(api: Api) -> None:
    client = api.client
    fatou = await _member(api, FRANC_MOISIN, "Fatou Sow")
    aicha = await _member(api, FRANC_MOISIN, "Aïcha Diallo")  # referent for emploi, coordinator
    karim = await _member(api, VILLETTE, "Karim Haddad")
    coordinator = api.as_("coordinator", subject=aicha, council_id=FRANC_MOISIN)

    done = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/emploi", json={"member_id": fatou}, headers=coordinator
    )
    assert done.status_code == 200, done.text
    assert done.json()["changed"] is True
    assert done.json()["substitute"]["member_id"] == fatou
    again = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/emploi", json={"member_id": fatou}, headers=api.staff
    )
    assert again.json()["changed"] is False

    outsider = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/habitat", json={"member_id": karim}, headers=api.staff
    )
    assert outsider.status_code == 422
    assert "membre actif de ce conseil" in outsider.json()["detail"]
    herself = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/emploi", json={"member_id": aicha}, headers=api.staff
    )
    assert herself.status_code == 422
    assert "référent·e elle-même" in herself.json()["detail"]
    no_referent = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/sante", json={"member_id": fatou}, headers=api.staff
    )
    assert no_referent.status_code == 422
    assert "Désignez d'abord" in no_referent.json()["detail"]
    other_council = await client.put(
        f"/councils/{VILLETTE}/substitutes/emploi",
        json={"member_id": karim},
        headers=coordinator,
    )
    assert other_council.status_code == 403
    councillor = api.as_("councillor", subject=fatou, council_id=FRANC_MOISIN)
    refused = await client.put(
        f"/councils/{FRANC_MOISIN}/substitutes/emploi", json={"member_id": fatou}, headers=councillor
    )
    assert refused.status_code == 403

    listed = await client.get(f"/councils/{FRANC_MOISIN}/substitutes", headers=councillor)
    assert [(s["theme"], s["member_id"]) for s in listed.json()] == [("emploi", fatou)]

    withdrawn = await client.delete(f"/councils/{FRANC_MOISIN}/substitutes/emploi", headers=coordinator)
    assert withdrawn.status_code == 204
    assert (await client.get(f"/councils/{FRANC_MOISIN}/substitutes", headers=api.staff)).json() == []
    assert (
        await client.delete(f"/councils/{FRANC_MOISIN}/substitutes/emploi", headers=api.staff)
    ).status_code == 404

    table = api.app.state.runtime.tables.outbox
    async with api.app.state.runtime.database.sessionmaker() as session:
        rows = (await session.execute(select(table).order_by(table.c.seq))).mappings().all()
    types = [dict(row["headers"]).get("ce_type") for row in rows]
    assert "fr.conseils.registry.substitute.designated.v1" in types
    assert "fr.conseils.registry.substitute.withdrawn.v1" in types
    payloads = [row["payload"] for row in rows if "substitute" in str(dict(row["headers"]).get("ce_type"))]
    assert all("Fatou" not in str(payload) for payload in payloads)  # ids only
