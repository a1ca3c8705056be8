"""Right to erasure: after `DELETE /members/{id}`, no column of any registry
table (the outbox included) still holds the person's name, email or phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conseils_registry.domain import council_id_for
from conseils_registry.tables import metadata
from tests.registry.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


async def traces_of(api: Api, needles: list[str]) -> list[str]:
    """Every (table.column) where one of `needles` appears, case-insensitively, in every table."""
    found: list[str] = []
    async with api.service.database.sessionmaker() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = _text(value).casefold()
                    found.extend(
                        f"{table.name}.{column}: {needle}" for needle in needles if needle.casefold() in text
                    )
    return found


async def test_erasure_leaves_no_name_email_or_phone_in_any_table(api: Api) -> None:
    client, staff = api.client, api.staff
    members = (await client.get(f"/councils/{FRANC_MOISIN}/members", headers=staff)).json()
    aicha = next(m for m in members if m["display_name"] == "Aïcha Diallo")
    contact = await client.put(
        f"/members/{aicha['id']}/contact",
        json={
            "display_name": "Aïcha Diallo",
            "email": "aicha.diallo@demo.example",
            "phone": "06 98 76 54 32",
        },
        headers=staff,
    )
    assert contact.status_code == 200
    needles = ["Aïcha", "Diallo", "aicha.diallo@demo.example", "06 98 76 54 32", "0698765432"]
    assert await traces_of(api, needles)  # the scan does find the person before erasure

    erased = await client.delete(f"/members/{aicha['id']}", headers=staff)

    assert erased.status_code == 204
    assert await traces_of(api, needles) == []
    assert (await client.delete(f"/members/{aicha['id']}", headers=staff)).status_code == 204  # idempotent
    data = (await client.get(f"/members/{aicha['id']}/data", headers=staff)).json()
    assert data["coordonnees"] is None
    assert data["membre"]["efface_le"] is not None
    assert data["membre"]["date_sortie"] is not None
    assert [r["motif_de_fin"] for r in data["referent"]] == ["member_left"]  # pseudonymous history is kept
    remaining = (await client.get(f"/councils/{FRANC_MOISIN}/members", headers=staff)).json()
    assert {m["display_name"] for m in remaining} == {"Marc Lefèvre", "Fatou Sow"}
    assert "Diallo" not in (await client.get("/members/export.csv?include_left=true", headers=staff)).text
    refused = await client.put(
        f"/members/{aicha['id']}/contact",
        json={"display_name": "Aïcha Diallo", "email": "aicha.diallo@demo.example"},
        headers=staff,
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Les données de cette personne ont été effacées."
    # others are untouched
    assert await traces_of(api, ["marc.lefevre@demo.example"]) != []
