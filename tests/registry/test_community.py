"""Knowing each other: the councils as every councillor of the territory sees them (referents
per theme, vacant themes, names only of those who chose to be shown, never a contact), a
member's choice to show her name (off by default, hers to make), and the directory of the
territory file seeded once."""

from __future__ import annotations

import uuid

import pytest

from conseils_registry.commands import DirectoryEntryInput
from conseils_registry.domain import council_id_for, directory_entry_id_for
from conseils_registry.seed import seed_territory
from conseils_runtime.territory import default_territory_path, load_territory
from tests.registry.conftest import Api, Registry

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
VILLETTE = council_id_for("plaine-commune", "aubervilliers-villette")
THEMES = ["education", "emploi", "habitat", "sante", "tranquillite", "animation"]


async def test_the_territory_file_seeds_the_directory_once(registry: Registry) -> None:
    config = load_territory(default_territory_path())
    assert len(config.directory) >= 20
    first = await seed_territory(registry.runtime, config)
    assert first.created["directory"] == len(config.directory)
    assert first.events == len(config.directory)  # the rest was seeded by the fixture
    assert "fiches de l'annuaire" in first.summary_fr()
    again = await seed_territory(registry.runtime, config)
    assert not again.changed
    assert again.unchanged["directory"] == len(config.directory)

    service = registry.service
    sections = {
        kind: await service.search_directory(entry_type=kind) for kind in ("partner", "scheme", "place")
    }
    assert all(len(entries) >= 5 for entries in sections.values())
    prefecture = await service.search_directory(query="PRÉFET")
    assert [entry.name for entry in prefecture] == ["Préfecture de la Seine-Saint-Denis – délégués du préfet"]
    assert prefecture[0].kind == "state"
    assert prefecture[0].id == directory_entry_id_for("plaine-commune", "prefecture-delegues-prefet")
    health = await service.search_directory(theme="sante", entry_type="scheme")
    assert "Ateliers santé ville (ASV)" in {entry.name for entry in health}
    # Invented bodies and places say so.
    invented = [e for e in sections["place"] if e.address and "Démonstration" in e.address]
    assert invented
    assert all("(démo)" in e.name for e in invented)


async def test_a_staff_edit_of_a_seeded_entry_is_not_overruled_by_the_file(registry: Registry) -> None:
    config = load_territory(default_territory_path())
    await seed_territory(registry.runtime, config)
    entry_id = directory_entry_id_for("plaine-commune", "fonds-participation-habitants")
    entry = await registry.service.directory_entry(entry_id)
    await registry.service.save_directory_entry(
        "scheme", DirectoryEntryInput(name="FPH 2027", description=entry.description), entry_id
    )
    assert not (await seed_territory(registry.runtime, config)).changed
    assert (await registry.service.directory_entry(entry_id)).name == "FPH 2027"


async def test_nobody_is_shown_until_she_chooses_then_only_her_name(registry: Registry) -> None:
    service = registry.service
    overview = {o.council.id: o for o in await service.councils_overview()}
    assert len(overview) == 20
    franc_moisin = overview[FRANC_MOISIN]
    assert franc_moisin.members == 3
    assert [(r.theme, r.name) for r in franc_moisin.referents] == [("emploi", None), ("habitat", None)]
    assert franc_moisin.vacant_themes == ["education", "sante", "tranquillite", "animation"]
    assert franc_moisin.names_shown == []
    assert overview[council_id_for("plaine-commune", "saint-ouen-vieux")].vacant_themes == THEMES

    aicha = await registry.member_named(FRANC_MOISIN, "Aïcha Diallo")
    assert aicha.shown_to_councillors is False
    assert (await service.show_to_councillors(aicha.id, True)).shown_to_councillors is True
    franc_moisin = {o.council.id: o for o in await service.councils_overview()}[FRANC_MOISIN]
    assert [(r.theme, r.name) for r in franc_moisin.referents] == [
        ("emploi", "Aïcha Diallo"),
        ("habitat", None),
    ]
    assert franc_moisin.names_shown == ["Aïcha Diallo"]
    assert (await service.member_data(aicha.id))["coordonnees"]["nom_visible_des_autres_conseils"] is True

    # Erased, she is no longer shown anywhere; the choice went with her contact card.
    await service.erase_member(aicha.id)
    franc_moisin = {o.council.id: o for o in await service.councils_overview()}[FRANC_MOISIN]
    assert franc_moisin.names_shown == []
    assert franc_moisin.members == 2


@pytest.mark.postgres
@pytest.mark.kafka
async def test_every_councillor_sees_the_councils_and_each_chooses_for_herself(api: Api) -> None:
    client, staff = api.client, api.staff
    members = (await client.get("/members", headers=staff)).json()
    aicha = next(m for m in members if m["display_name"] == "Aïcha Diallo")
    karim = next(m for m in members if m["display_name"] == "Karim Haddad")
    assert aicha["shown_to_councillors"] is False
    from_aubervilliers = api.as_("councillor", subject=karim["id"], council_id=VILLETTE)
    herself = api.as_("councillor", subject=aicha["id"], council_id=FRANC_MOISIN)

    response = await client.get("/councils/overview", headers=from_aubervilliers)
    assert response.status_code == 200
    assert "@" not in response.text
    assert "Aïcha" not in response.text
    assert "Karim" not in response.text
    by_slug = {o["council"]["slug"]: o for o in response.json()}
    assert len(by_slug) == 20
    assert by_slug["saint-denis-franc-moisin"]["referents"] == [
        {"theme": "emploi", "name": None},
        {"theme": "habitat", "name": None},
    ]
    assert by_slug["saint-denis-franc-moisin"]["council"]["city"] == "Saint-Denis"

    # Only she (or staff) may choose; another councillor may not choose for her.
    path = f"/members/{aicha['id']}/shown-to-councillors"
    refused = await client.put(path, json={"shown": True}, headers=from_aubervilliers)
    assert refused.status_code == 403
    assert "personne concernée" in refused.json()["detail"]
    invalid = await client.put(path, json={"shown": "peut-être", "autre": 1}, headers=herself)
    assert invalid.status_code == 422
    chosen = await client.put(path, json={"shown": True}, headers=herself)
    assert chosen.status_code == 200
    assert chosen.json()["shown_to_councillors"] is True
    own = await client.get(f"/members/{aicha['id']}", headers=herself)
    assert own.json()["shown_to_councillors"] is True

    seen = (await client.get("/councils/overview", headers=from_aubervilliers)).json()
    franc_moisin = next(o for o in seen if o["council"]["slug"] == "saint-denis-franc-moisin")
    assert franc_moisin["referents"][0] == {"theme": "emploi", "name": "Aïcha Diallo"}
    assert franc_moisin["names_shown"] == ["Aïcha Diallo"]
    assert "aicha.diallo" not in str(seen)

    withdrawn = await client.put(path, json={"shown": False}, headers=staff)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["shown_to_councillors"] is False
    unknown = await client.put(
        f"/members/{uuid.uuid4()}/shown-to-councillors", json={"shown": True}, headers=staff
    )
    assert unknown.status_code == 404
    assert (await client.get("/councils/overview")).status_code == 401
