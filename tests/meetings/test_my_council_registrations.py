"""`/instances/{id}/registrations/my-council` shows a councillor her own council's registrants
only: never another council's, and nothing to a token without a council."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Harness, token
from .test_api import DAYTIME, register, schedule

pytestmark = pytest.mark.postgres


def as_member_of(harness: Harness, name: str, council: str | None) -> dict[str, str]:
    council_id = harness.world.councils[council] if council else None
    member = harness.world.members[name]
    return {"Authorization": f"Bearer {token('councillor', member, council_id)}"}


async def test_my_council_lists_only_my_councils_registrants(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")
    iid = instance["id"]
    for name in ("franc-moisin-0", "franc-moisin-1", "villette-1", "floreal-2"):
        await register(harness, iid, name, "observer")
    members = harness.world.members

    def ids(rows: list[dict[str, object]]) -> set[str]:
        return {str(row["member_id"]) for row in rows}

    franc_moisin = await harness.client.get(
        f"/instances/{iid}/registrations/my-council",
        headers=as_member_of(harness, "franc-moisin-2", "franc-moisin"),
    )
    assert franc_moisin.status_code == 200, franc_moisin.text
    assert ids(franc_moisin.json()) == {str(members["franc-moisin-0"]), str(members["franc-moisin-1"])}
    assert {row["council_id"] for row in franc_moisin.json()} == {str(harness.world.councils["franc-moisin"])}

    villette = await harness.client.get(
        f"/instances/{iid}/registrations/my-council", headers=as_member_of(harness, "villette-0", "villette")
    )
    assert ids(villette.json()) == {str(members["villette-1"])}

    # a council with nobody registered sees nobody, not everyone
    elsewhere = {"Authorization": f"Bearer {token('councillor', uuid.uuid4(), uuid.uuid4())}"}
    nobody = await harness.client.get(f"/instances/{iid}/registrations/my-council", headers=elsewhere)
    assert (nobody.status_code, nobody.json()) == (200, [])

    # a councillor's token without a council is refused, not shown every council
    no_council = await harness.client.get(
        f"/instances/{iid}/registrations/my-council", headers=as_member_of(harness, "floreal-0", None)
    )
    assert no_council.status_code == 403
