"""The registry's HTTP API on SQLite and PostgreSQL, started with its lifespan
on the real broker: staff CRUD, who may read what, CSV import and export,
directory search."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from conseils_registry.domain import council_id_for
from tests.registry.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
VILLETTE = council_id_for("plaine-commune", "aubervilliers-villette")


async def test_staff_manage_councils_members_and_referents(api: Api) -> None:
    client, staff = api.client, api.staff

    refused = await client.post(
        "/councils",
        json={"slug": "Pas Un Slug", "name": "X", "neighbourhood_code": "QP093066A"},
        headers=staff,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "donnees_invalides"
    assert "slug : format invalide" in refused.json()["detail"]
    unknown = await client.post(
        "/councils",
        json={"slug": "nouveau", "name": "Conseil nouveau", "neighbourhood_code": "QP0"},
        headers=staff,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "Quartier inconnu : « QP0 »."

    created = await client.post(
        "/councils",
        json={"slug": "stains-nouveau", "name": "Conseil citoyen nouveau", "neighbourhood_code": "QP093072B"},
        headers=staff,
    )
    assert created.status_code == 201, created.text
    council = created.json()
    assert council["id"] == str(council_id_for("plaine-commune", "stains-nouveau"))
    assert (council["city"], council["city_code"], council["status"]) == ("Stains", "93072", "active")
    duplicate = await client.post(
        "/councils",
        json={"slug": "stains-nouveau", "name": "Conseil citoyen bis", "neighbourhood_code": "QP093072B"},
        headers=staff,
    )
    assert duplicate.status_code == 409

    moved = await client.patch(
        f"/councils/{council['id']}",
        json={"neighbourhood_code": "QP093079A", "status": "forming"},
        headers=staff,
    )
    assert moved.status_code == 200
    assert (moved.json()["city"], moved.json()["status"]) == ("Villetaneuse", "forming")

    joined = await client.post(
        "/members",
        json={
            "council_id": council["id"],
            "display_name": "Inès Martin",
            "email": "Ines.Martin@demo.example",
            "phone": "06 11 22 33 44",
            "college": "habitants",
            "drawn_by_lot": True,
            "themes_followed": ["emploi"],
            "consent": True,
        },
        headers=staff,
    )
    assert joined.status_code == 201, joined.text
    member = joined.json()
    assert member["email"] == "ines.martin@demo.example"
    assert member["consent_given_at"] is not None
    bad_college = await client.patch(
        f"/members/{member['id']}", json={"college": "acteurs_locaux", "drawn_by_lot": True}, headers=staff
    )
    assert bad_college.status_code == 422
    assert "tirés au sort" in bad_college.json()["detail"]
    updated = await client.patch(
        f"/members/{member['id']}",
        json={"role": "coordinator", "themes_followed": ["emploi", "sante"]},
        headers=staff,
    )
    assert (updated.json()["role"], updated.json()["themes_followed"]) == ("coordinator", ["emploi", "sante"])
    contact = await client.put(
        f"/members/{member['id']}/contact",
        json={
            "display_name": "Inès Martin-Kaci",
            "email": "ines.mk@demo.example",
            "language": "ar",
            "consent": True,
        },
        headers=staff,
    )
    assert contact.status_code == 200
    assert (contact.json()["display_name"], contact.json()["phone"], contact.json()["language"]) == (
        "Inès Martin-Kaci",
        None,
        "ar",
    )
    assert contact.json()["consent_given_at"] == member["consent_given_at"]  # consent keeps its first date

    designated = await client.put(
        f"/councils/{council['id']}/referents/emploi", json={"member_id": member["id"]}, headers=staff
    )
    assert designated.status_code == 200
    assert designated.json()["changed"] is True
    other_council = await client.put(
        f"/councils/{FRANC_MOISIN}/referents/emploi", json={"member_id": member["id"]}, headers=staff
    )
    assert other_council.status_code == 422
    assert "membre de ce conseil" in other_council.json()["detail"]

    left = await client.post(f"/members/{member['id']}/leave", json={}, headers=staff)
    assert left.status_code == 200
    assert left.json()["left_on"] is not None
    referents = await client.get(f"/councils/{council['id']}/referents?history=true", headers=staff)
    assert [(r["theme"], r["end_reason"]) for r in referents.json()] == [("emploi", "member_left")]
    assert (await client.get(f"/councils/{council['id']}/referents", headers=staff)).json() == []
    again = await client.post(f"/members/{member['id']}/leave", json={}, headers=staff)
    assert again.status_code == 409

    withdrawn = await client.delete(f"/councils/{FRANC_MOISIN}/referents/habitat", headers=staff)
    assert withdrawn.status_code == 204
    assert (
        await client.delete(f"/councils/{FRANC_MOISIN}/referents/habitat", headers=staff)
    ).status_code == 404
    dissolved = await client.post(f"/councils/{council['id']}/dissolution", json={}, headers=staff)
    assert dissolved.json()["dissolved_on"] is not None
    assert (await client.get("/members/" + str(uuid.uuid4()), headers=staff)).json()[
        "detail"
    ] == "Membre introuvable."


async def test_councillors_read_their_council_without_other_peoples_contacts(api: Api) -> None:
    client = api.client
    assert (await client.get("/councils")).status_code == 401
    staff_view = (await client.get(f"/councils/{FRANC_MOISIN}/members", headers=api.staff)).json()
    aicha = next(m for m in staff_view if m["display_name"] == "Aïcha Diallo")
    assert aicha["email"] == "aicha.diallo@demo.example"
    councillor = api.as_("councillor", subject=aicha["id"], council_id=FRANC_MOISIN)

    members = await client.get(f"/councils/{FRANC_MOISIN}/members", headers=councillor)
    assert members.status_code == 200
    assert {m["display_name"] for m in members.json()} == {"Aïcha Diallo", "Marc Lefèvre", "Fatou Sow"}
    others = [m for m in members.json() if m["id"] != aicha["id"]]
    assert all(set(m) == {"id", "council_id", "display_name", "college", "role"} for m in others)
    assert "marc.lefevre" not in members.text
    assert "fatou.sow" not in members.text
    assert next(m for m in members.json() if m["id"] == aicha["id"])["email"] == "aicha.diallo@demo.example"
    referents = await client.get(f"/councils/{FRANC_MOISIN}/referents", headers=councillor)
    assert {r["theme"] for r in referents.json()} == {"emploi", "habitat"}
    assert (await client.get(f"/councils/{FRANC_MOISIN}", headers=councillor)).status_code == 200
    assert len((await client.get("/councils", headers=councillor)).json()) == 20
    assert len((await client.get("/themes", headers=councillor)).json()) == 6

    own = await client.get(f"/members/{aicha['id']}", headers=councillor)
    assert own.json()["email"] == "aicha.diallo@demo.example"
    marc = next(m for m in staff_view if m["display_name"] == "Marc Lefèvre")
    colleague = await client.get(f"/members/{marc['id']}", headers=councillor)
    assert "email" not in colleague.json()

    forbidden = [
        client.get(f"/councils/{VILLETTE}/members", headers=councillor),
        client.get(f"/councils/{VILLETTE}", headers=councillor),
        client.get("/members", headers=councillor),
        client.get("/members/export.csv", headers=councillor),
        client.get(f"/members/{marc['id']}/data", headers=councillor),
        client.post("/councils", json={}, headers=councillor),
        client.put(
            f"/councils/{FRANC_MOISIN}/referents/sante", json={"member_id": aicha["id"]}, headers=councillor
        ),
        client.delete(f"/members/{marc['id']}", headers=councillor),
        client.post("/staff-accounts", json={}, headers=api.staff),  # operators only
    ]
    for request in forbidden:
        response = await request
        assert response.status_code == 403, response.url
        assert response.json()["detail"].startswith(
            ("Vous ne pouvez", "Vous n'avez pas", "Seule la personne")
        )

    data = await client.get(f"/members/{aicha['id']}/data", headers=councillor)
    assert data.status_code == 200
    assert data.headers["content-disposition"].startswith("attachment")
    body = data.json()
    assert body["coordonnees"]["email"] == "aicha.diallo@demo.example"
    assert [r["thematique"] for r in body["referent"]] == ["emploi"]


IMPORT_HEADER = (
    "conseil;nom;email;telephone;college;tirage_au_sort;role;date_entree;thematiques;consentement\r\n"
)


async def test_csv_import_is_all_or_nothing_and_export_round_trips(api: Api) -> None:
    client, staff = api.client, api.staff
    good = (
        "aubervilliers-landy;Léa Petit;lea.petit@demo.example;01 23 45 67 89;habitants;oui;membre;;"
        "emploi|sante;oui\r\n"
    )
    bad = "aubervilliers-landy;Omar Ali;omar-sans-arobase;;acteurs_locaux;oui;membre;;;non\r\n"
    text = IMPORT_HEADER + good + bad

    refused = await client.post(
        "/members/import", files={"file": ("membres.csv", text.encode("utf-8"), "text/csv")}, headers=staff
    )
    assert refused.status_code == 422
    report = refused.json()
    assert report["code"] == "import_refuse"
    assert "aucun membre n'a été enregistré" in report["detail"]
    assert [(row["ligne"], row["statut"]) for row in report["lignes"]] == [(2, "ok"), (3, "erreur")]
    assert any("Adresse électronique invalide" in message for message in report["lignes"][1]["messages"])
    assert any("tirés au sort" in message for message in report["lignes"][1]["messages"])
    assert len((await client.get("/members", headers=staff)).json()) == 8

    fixed = (
        IMPORT_HEADER
        + good
        + bad.replace("omar-sans-arobase", "omar.ali@demo.example").replace(";oui;", ";non;")
    )
    imported = await client.post(
        "/members/import", files={"file": ("membres.csv", fixed.encode("cp1252"), "text/csv")}, headers=staff
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["code"] == "import_effectue"
    assert len(imported.json()["membres_crees"]) == 2
    members = (await client.get("/members", headers=staff)).json()
    assert len(members) == 10
    lea = next(m for m in members if m["email"] == "lea.petit@demo.example")
    assert (lea["display_name"], lea["drawn_by_lot"], lea["themes_followed"]) == (
        "Léa Petit",
        True,
        ["emploi", "sante"],
    )

    export = await client.get("/members/export.csv", headers=staff)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 10
    exported = next(row for row in rows if row["email"] == "lea.petit@demo.example")
    assert (exported["conseil"], exported["nom"], exported["thematiques"], exported["consentement"]) == (
        "aubervilliers-landy",
        "Léa Petit",
        "emploi|sante",
        "oui",
    )
    # the export is an import file: re-importing it is refused row by row (everyone is already a member)
    again = await client.post(
        "/members/import", files={"file": ("export.csv", export.content, "text/csv")}, headers=staff
    )
    assert again.status_code == 422
    assert "colonne(s) inconnue(s) : id, date_sortie" in again.json()["detail"]


async def test_directory_search_ignores_case_and_accents(api: Api) -> None:
    client, staff = api.client, api.staff
    partner = await client.post(
        "/directory/partners",
        json={
            "name": "Pôle emploi – agence de Saint-Denis",
            "kind": "state",
            "themes": ["emploi"],
            "contact_role": "Chargé de mission emploi",
            "contact_email": "Emploi.Saint-Denis@partenaire.example",
            "city_code": "93066",
        },
        headers=staff,
    )
    assert partner.status_code == 201, partner.text
    assert partner.json()["contact_email"] == "emploi.saint-denis@partenaire.example"
    no_kind = await client.post("/directory/partners", json={"name": "Sans type"}, headers=staff)
    assert no_kind.status_code == 422
    assert "type de partenaire" in no_kind.json()["detail"]
    scheme = await client.post(
        "/directory/schemes",
        json={
            "name": "Programme de réussite éducative",
            "themes": ["education"],
            "description": "Accompagnement",
        },
        headers=staff,
    )
    place = await client.post(
        "/directory/places",
        json={
            "name": "Maison des Associations",
            "address": "Rue de l'Église, Épinay-sur-Seine",
            "themes": [],
        },
        headers=staff,
    )
    assert scheme.status_code == place.status_code == 201
    councillor = api.as_("councillor", council_id=FRANC_MOISIN)

    async def names(query: str) -> list[str]:
        response = await client.get(f"/directory?{query}", headers=councillor)
        assert response.status_code == 200, response.text
        return [entry["name"] for entry in response.json()]

    assert await names("q=CHARGE DE MISSION") == ["Pôle emploi – agence de Saint-Denis"]
    assert await names("q=pole") == ["Pôle emploi – agence de Saint-Denis"]
    assert await names("q=reussite EDUCATIVE") == ["Programme de réussite éducative"]
    assert await names("q=epinay eglise") == ["Maison des Associations"]
    assert await names("theme=education") == ["Programme de réussite éducative"]
    assert await names("kind=state") == ["Pôle emploi – agence de Saint-Denis"]
    assert await names("section=places") == ["Maison des Associations"]
    assert await names("q=100%25") == []
    assert len(await names("")) == 3

    entry_id = place.json()["id"]
    renamed = await client.put(
        f"/directory/places/{entry_id}",
        json={"name": "Maison de quartier Orgemont", "themes": ["animation"]},
        headers=staff,
    )
    assert renamed.json()["name"] == "Maison de quartier Orgemont"
    assert await names("q=associations") == []
    assert (await client.delete(f"/directory/schemes/{entry_id}", headers=staff)).status_code == 404
    assert (await client.delete(f"/directory/places/{entry_id}", headers=staff)).status_code == 204
    assert len(await names("")) == 2


async def test_staff_accounts_are_listed_for_staff_and_created_by_operators(api: Api) -> None:
    client = api.client
    accounts = (await client.get("/staff-accounts", headers=api.staff)).json()
    assert {(a["kind"], a["role"]) for a in accounts} == {
        ("territory", "staff"),
        ("city", "staff"),
        ("state", "staff"),
        ("territory", "operator"),
    }
    operator = api.as_("operator")
    account = {
        "email": "Agent.Emploi@Stains.example",
        "name": "Agent emploi (démo)",
        "organisation": "Ville de Stains",
        "kind": "city",
    }
    created = await client.post("/staff-accounts", json=account, headers=operator)
    assert created.status_code == 201, created.text
    assert (created.json()["email"], created.json()["role"]) == ("agent.emploi@stains.example", "staff")
    duplicate = await client.post("/staff-accounts", json=account, headers=operator)
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "Un compte existe déjà pour agent.emploi@stains.example."
    councillor = api.as_("councillor", council_id=FRANC_MOISIN)
    assert (await client.get("/staff-accounts", headers=councillor)).status_code == 403
    # Looking one account up by address (the website's sign-in, with a staff token), whatever the case.
    found = await client.get(
        "/staff-accounts", params={"email": "AGENT.emploi@stains.example"}, headers=api.staff
    )
    assert [a["name"] for a in found.json()] == ["Agent emploi (démo)"]
    assert (
        await client.get("/staff-accounts", params={"email": "x@y.example"}, headers=api.staff)
    ).json() == []
    assert (await client.get("/members", params={"email": "x@y.example"}, headers=api.staff)).json() == []
    # Issue 15 item 5: the operator creates accounts but reads nobody's address.
    for path in ("/staff-accounts", "/members", "/members/export.csv"):
        assert (await client.get(path, headers=operator)).status_code == 403, path


async def test_an_unreadable_csv_is_refused_in_french_and_its_content_never_logged(
    api: Api, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Issue 15 item 9: a file in no known encoding used to raise a UnicodeDecodeError whose text
    (the whole file: names, emails) went to the logs. Cp1252 cannot read 0x81, 0x8d, 0x8f, 0x90, 0x9d."""
    caplog.set_level("DEBUG")
    person = "Zénobie Confidentielle;zenobie.secrete@demo.example"
    data = (IMPORT_HEADER + f"aubervilliers-landy;{person};;habitants;oui;membre;;;oui\r\n").encode(
        "utf-16"
    ) + b"\x81\x8d\x8f\x90\x9d"
    response = await api.client.post(
        "/members/import", files={"file": ("membres.csv", data, "text/csv")}, headers=api.staff
    )
    assert response.status_code == 422
    assert response.json()["code"] == "encodage_illisible"
    assert "CSV UTF-8" in response.json()["detail"]
    captured = capfd.readouterr()
    logs = caplog.text + captured.out + captured.err
    for trace in ("zenobie", "Confidentielle", "z\\x00e\\x00n"):
        assert trace not in logs
    assert len((await api.client.get("/members", headers=api.staff)).json()) == 8
