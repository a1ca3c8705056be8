"""Issue 19 item 4: a member may have a phone and no email (she is reached by SMS). The
registry accepts her (API, CSV import, export), refuses a member with neither, checks the
number, and publishes her card as a v2 card (a member with an email keeps her v1 card)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from conseils_registry.commands import ContactInput, MemberJoin
from conseils_registry.domain import CouncilState, council_id_for, normalise_contact
from conseils_registry.members_csv import parse_members_csv
from conseils_runtime.errors import DomainError
from conseils_schemas import MemberContactCard, MemberContactCardV2
from tests.registry.conftest import Api, Registry

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
V1 = MemberContactCard.event_type
V2 = MemberContactCardV2.event_type
HEADER = "conseil;nom;telephone;consentement\n"
TODAY = date(2026, 12, 1)


# --------------------------------------------------------------------------- the rule (no database)


def test_a_phone_is_enough_an_email_is_enough_neither_is_refused() -> None:
    card = normalise_contact("Mariama Traoré", None, " 06 12 34 56 78 ", "fr")
    assert (card.email, card.phone) == (None, "06 12 34 56 78")
    assert normalise_contact("Mariama Traoré", "  ", "+33 6 12 34 56 78", None).email is None
    assert normalise_contact("Aïcha Diallo", "a@b.fr", None, None).phone is None
    with pytest.raises(DomainError, match="adresse électronique ou un numéro de téléphone"):
        normalise_contact("Mariama Traoré", "", " ", "fr")
    with pytest.raises(DomainError, match="adresse électronique ou un numéro de téléphone"):
        normalise_contact("Mariama Traoré", None, None, "fr")


@pytest.mark.parametrize(
    "number", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+44 7700 900123"]
)
def test_french_and_e164_numbers_are_accepted(number: str) -> None:
    assert normalise_contact("Mariama Traoré", None, number, "fr").phone == number


@pytest.mark.parametrize("number", ["123456", "06 12 34 56 7", "+33 6 12", "+0612345678"])
def test_numbers_no_gateway_could_reach_are_refused(number: str) -> None:
    with pytest.raises(DomainError, match="Numéro de téléphone invalide"):
        normalise_contact("Mariama Traoré", None, number, "fr")


def test_the_csv_import_takes_a_file_without_email_column_and_refuses_a_row_with_neither() -> None:
    council = CouncilState(id=FRANC_MOISIN, status="active")
    text = HEADER + "saint-denis-franc-moisin;Mariama Traoré;06 12 34 56 78;oui\n"
    report = parse_members_csv(
        text, councils={"saint-denis-franc-moisin": council}, known_themes=[], taken={}, today=TODAY
    )
    assert report.ok, report
    assert [(m.contact.email, m.contact.phone) for m in report.members] == [(None, "06 12 34 56 78")]

    neither = "conseil;nom;email;telephone\nsaint-denis-franc-moisin;Omar Ali;;\n"
    refused = parse_members_csv(
        neither, councils={"saint-denis-franc-moisin": council}, known_themes=[], taken={}, today=TODAY
    )
    assert not refused.ok
    assert any("numéro de téléphone" in message for message in refused.rows[0].messages)

    no_column = "conseil;nom\nsaint-denis-franc-moisin;Omar Ali\n"
    header_refused = parse_members_csv(
        no_column, councils={"saint-denis-franc-moisin": council}, known_themes=[], taken={}, today=TODAY
    )
    assert header_refused.problems == ["colonne manquante : email ou telephone (l'une des deux au moins)"]


# --------------------------------------------------------------------------- the use cases (outbox)


@pytest.mark.postgres
async def test_a_phone_only_member_is_published_as_a_v2_card_and_v1_stays_for_the_others(
    registry: Registry,
) -> None:
    before = len(await registry.outbox())
    service = registry.service
    mariama = await service.join_member(
        MemberJoin(
            council_id=FRANC_MOISIN, display_name="Mariama Traoré", phone="06 12 34 56 78", consent=True
        )
    )
    assert (mariama.email, mariama.phone) == (None, "06 12 34 56 78")
    lea = await service.join_member(
        MemberJoin(council_id=FRANC_MOISIN, display_name="Léa Petit", email="lea@demo.example")
    )
    cards = [row for row in (await registry.outbox())[before:] if row["type"] in (V1, V2)]
    assert [(row["key"], row["type"]) for row in cards] == [(str(mariama.id), V2), (str(lea.id), V1)]
    v2 = MemberContactCardV2.model_validate(cards[0]["payload"])
    assert (v2.email, v2.phone, v2.display_name) == (None, "06 12 34 56 78", "Mariama Traoré")
    assert v2.consent_given_at is not None

    # Two phone-only people in one council are not "the same email twice".
    await service.join_member(
        MemberJoin(council_id=FRANC_MOISIN, display_name="Awa Koné", phone="07 11 22 33 44")
    )

    # She gives an email: a v1 card again (her v1 readers see her); she removes it: v2.
    mark = len(await registry.outbox())
    await service.update_contact(
        mariama.id,
        ContactInput(display_name="Mariama Traoré", email="m.traore@demo.example", phone="06 12 34 56 78"),
    )
    await service.update_contact(
        mariama.id, ContactInput(display_name="Mariama Traoré", phone="06 12 34 56 78")
    )
    types = [row["type"] for row in (await registry.outbox())[mark:]]
    assert types == [V1, V2]
    assert (await service.get_member(mariama.id)).email is None

    with pytest.raises(DomainError, match="adresse électronique ou un numéro de téléphone"):
        await service.update_contact(mariama.id, ContactInput(display_name="Mariama Traoré"))


@pytest.mark.postgres
async def test_the_import_and_the_export_carry_a_phone_only_member(registry: Registry) -> None:
    text = HEADER + "saint-denis-franc-moisin;Mariama Traoré;+33 6 12 34 56 78;oui\n"
    report, created = await registry.service.import_members(text)
    assert report.ok
    assert len(created) == 1
    assert (created[0].email, created[0].phone) == (None, "+33 6 12 34 56 78")
    rows = list(
        csv.DictReader(
            io.StringIO((await registry.service.export_members_csv()).lstrip("\ufeff")), delimiter=";"
        )
    )
    mariama = next(row for row in rows if row["nom"] == "Mariama Traoré")
    # The export protects a cell starting with + from spreadsheet formulas; the import reads it back.
    assert (mariama["email"], mariama["telephone"]) == ("", "'+33 6 12 34 56 78")
    again = f"conseil;nom;email;telephone\naubervilliers-landy;Mariama Traoré;;{mariama['telephone']}\n"
    report, created = await registry.service.import_members(again)
    assert report.ok
    assert created[0].phone == "+33 6 12 34 56 78"


# --------------------------------------------------------------------------- the HTTP API


@pytest.mark.postgres
@pytest.mark.kafka
async def test_the_api_accepts_a_phone_only_member_and_refuses_one_with_neither(api: Api) -> None:
    client, staff = api.client, api.staff
    joined = await client.post(
        "/members",
        json={
            "council_id": str(FRANC_MOISIN),
            "display_name": "Mariama Traoré",
            "phone": "06 12 34 56 78",
            "consent": True,
        },
        headers=staff,
    )
    assert joined.status_code == 201, joined.text
    assert (joined.json()["email"], joined.json()["phone"]) == (None, "06 12 34 56 78")

    neither = await client.post(
        "/members",
        json={"council_id": str(FRANC_MOISIN), "display_name": "Omar Ali", "email": "", "phone": ""},
        headers=staff,
    )
    assert neither.status_code == 422
    assert "adresse électronique ou un numéro de téléphone" in neither.json()["detail"]
    bad_number = await client.post(
        "/members",
        json={"council_id": str(FRANC_MOISIN), "display_name": "Omar Ali", "phone": "123456"},
        headers=staff,
    )
    assert bad_number.status_code == 422
    assert "Numéro de téléphone invalide" in bad_number.json()["detail"]

    member_id = joined.json()["id"]
    contact = await client.put(
        f"/members/{member_id}/contact",
        json={"display_name": "Mariama Traoré", "phone": "07 11 22 33 44", "consent": True},
        headers=staff,
    )
    assert contact.status_code == 200, contact.text
    assert (contact.json()["email"], contact.json()["phone"]) == (None, "07 11 22 33 44")

    imported = await client.post(
        "/members/import",
        files={
            "file": (
                "membres.csv",
                (HEADER + "aubervilliers-landy;Awa Koné;06 99 88 77 66;oui\n").encode(),
                "text/csv",
            )
        },
        headers=staff,
    )
    assert imported.status_code == 201, imported.text
    exported = await client.get("/members/export.csv", headers=staff)
    assert exported.status_code == 200
    assert "Awa Koné;;06 99 88 77 66" in exported.text
