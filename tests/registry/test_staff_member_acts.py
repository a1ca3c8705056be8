"""Issue 18, the staff's everyday acts in the registry: a member moved to another council in one
transaction, the members CSV read in the words people use (council and city names, « acteurs
locaux », theme names), its template, and the preview (`dry_run`) that writes nothing."""

from __future__ import annotations

import csv
import io

import pytest

from conseils_registry.domain import council_id_for
from conseils_registry.members_csv import TEMPLATE_COLUMNS
from conseils_runtime.http import DomainError
from tests.registry.conftest import Api, Registry

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
COURNEUVE = council_id_for("plaine-commune", "courneuve-4000")
LANDY = council_id_for("plaine-commune", "aubervilliers-landy")


@pytest.mark.postgres
async def test_a_move_is_one_leave_and_one_join_in_one_transaction(registry: Registry) -> None:
    service = registry.service
    mamadou = await registry.member_named(COURNEUVE, "Mamadou Traoré")
    before = len(await registry.outbox())

    moved = await service.move_member(mamadou.id, LANDY)

    assert (moved.council_id, moved.display_name, moved.email) == (LANDY, mamadou.display_name, mamadou.email)
    assert moved.id != mamadou.id
    assert moved.themes_followed == mamadou.themes_followed
    old = await service.get_member(mamadou.id)
    assert old.left_on == service.today()
    types = [row["type"].removeprefix("fr.conseils.registry.") for row in (await registry.outbox())[before:]]
    assert types[-3:] == ["member.left.v1", "member.joined.v1", "member.contact_card.v1"]
    assert types.count("referent.withdrawn.v1") == 2  # her referent roles ended with her old council

    with pytest.raises(DomainError, match="a quitté le conseil"):
        await service.move_member(mamadou.id, FRANC_MOISIN)  # the old membership is over
    with pytest.raises(DomainError, match="déjà membre de ce conseil"):
        await service.move_member(moved.id, LANDY)


@pytest.mark.postgres
async def test_a_move_refused_changes_nothing(registry: Registry) -> None:
    service = registry.service
    mamadou = await registry.member_named(COURNEUVE, "Mamadou Traoré")
    before = await registry.outbox()
    with pytest.raises(DomainError, match="Conseil introuvable"):
        await service.move_member(mamadou.id, council_id_for("plaine-commune", "nulle-part"))
    assert await registry.outbox() == before
    assert (await service.get_member(mamadou.id)).left_on is None


HEADER = "ville;conseil;nom;email;college;thematiques\r\n"


@pytest.mark.postgres
async def test_the_import_reads_the_words_people_use(registry: Registry) -> None:
    service = registry.service
    text = (
        HEADER + "Saint-Denis;Conseil citoyen Franc-Moisin – Bel-Air;Léa Petit;lea@demo.example;habitants;"
        "Santé|Emploi, insertion et développement économique\r\n"
        + "93001;landy pressense;Omar Ali;omar@demo.example;Acteurs locaux;education\r\n"
    )
    preview, created = await service.import_members(text, dry_run=True)
    assert preview.ok, preview.rows
    assert created == []
    assert [(row.name, row.council) for row in preview.rows] == [
        ("Léa Petit", "Conseil citoyen Franc-Moisin – Bel-Air"),
        ("Omar Ali", "Conseil citoyen Landy – Pressensé"),
    ]
    assert len(await service.list_members()) == 8  # the preview wrote nothing

    report, created = await service.import_members(text)
    assert report.ok
    lea, omar = created
    assert (lea.council_id, lea.themes_followed) == (FRANC_MOISIN, ["sante", "emploi"])
    assert (omar.council_id, omar.college) == (LANDY, "acteurs_locaux")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Aubervilliers;Franc-Moisin – Bel-Air;A B;ab@demo.example;;", "n'est pas dans la ville"),
        ("Saint-Denis;Nulle part;A B;ab@demo.example;;", "conseil inconnu « Nulle part »"),
        ("Saint-Denis;Franc-Moisin – Bel-Air;A B;ab@demo.example;élus;", "Collège inconnu"),
        ("Saint-Denis;Franc-Moisin – Bel-Air;A B;ab@demo.example;;Sport", "inconnue(s) : Sport"),
        ("Saint-Denis;Franc-Moisin – Bel-Air;Prénom Nom;x@exemple.invalid;;", "ligne d'exemple du modèle"),
    ],
    ids=["wrong-city", "unknown-council", "unknown-college", "unknown-theme", "template-example"],
)
async def test_a_wrong_label_refuses_the_file(registry: Registry, row: str, message: str) -> None:
    good = "Saint-Denis;Franc-Moisin – Bel-Air;Léa Petit;lea@demo.example;habitants;\r\n"
    report, created = await registry.service.import_members(HEADER + good + row + "\r\n")
    assert not report.ok
    assert created == []
    assert [r.ok for r in report.rows] == [True, False]
    assert any(message in text for text in report.rows[1].messages), report.rows[1].messages
    assert len(await registry.service.list_members()) == 8


@pytest.mark.kafka
async def test_template_preview_and_move_over_http(api: Api) -> None:
    client, staff = api.client, api.staff
    template = await client.get("/members/import/template", headers=staff)
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(template.content.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0].keys()) == TEMPLATE_COLUMNS
    assert not rows[0]["ville"].isdigit()
    assert rows[0]["conseil"].startswith("Conseil citoyen")
    assert [row["college"] for row in rows] == ["habitants", "acteurs locaux"]
    assert rows[0]["thematiques"] == "Éducation|Emploi, insertion et développement économique"

    # the template as downloaded is refused: its example rows are to be replaced
    untouched = await client.post(
        "/members/import",
        params={"dry_run": "true"},
        files={"file": ("modele.csv", template.content, "text/csv")},
        headers=staff,
    )
    assert untouched.status_code == 422
    filled = template.content.decode("utf-8-sig").replace("@exemple.invalid", "@demo.example")
    preview = await client.post(
        "/members/import",
        params={"dry_run": "true"},
        files={"file": ("membres.csv", filled.encode("utf-8"), "text/csv")},
        headers=staff,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["code"] == "apercu_valide"
    assert preview.json()["membres_crees"] == []
    assert [row["nom"] for row in preview.json()["lignes"]] == ["Prénom Nom", "Association"]
    assert len((await client.get("/members", headers=staff)).json()) == 8
    applied = await client.post(
        "/members/import", files={"file": ("membres.csv", filled.encode("utf-8"), "text/csv")}, headers=staff
    )
    assert applied.status_code == 201, applied.text
    assert len((await client.get("/members", headers=staff)).json()) == 10

    new_id = applied.json()["membres_crees"][0]
    moved = await client.post(f"/members/{new_id}/move", json={"council_id": str(LANDY)}, headers=staff)
    assert moved.status_code == 201, moved.text
    assert moved.json()["council_id"] == str(LANDY)
    refused = await client.post(f"/members/{new_id}/move", json={"council_id": str(LANDY)}, headers=staff)
    assert refused.status_code == 409
    assert "quitté" in refused.json()["detail"]
    councillor = api.as_("councillor")
    assert (await client.post(f"/members/{new_id}/move", json={}, headers=councillor)).status_code == 403
