"""Who needs what to come (sign language, a hearing loop, childcare) is personal data: the
organisers (territory staff) read and book it, the operator, who runs the platform, is refused
both the checklist and the booking (found by the authorization matrix's field list, issue 15)."""

from __future__ import annotations

import pytest

from .conftest import STAFF, Harness, auth
from .test_api import register, schedule
from .test_attending import ME, declare

pytestmark = pytest.mark.postgres

OPERATOR = auth("operator", "exploitation")


async def test_the_operator_never_reads_nor_books_the_needs(harness: Harness) -> None:
    iid = (await schedule(harness))["id"]
    await register(harness, iid, ME)
    saved = await declare(harness, iid, [{"kind": "other", "detail": "Une boucle magnétique"}])
    assert saved.status_code == 200, saved.text
    need_id = saved.json()[0]["id"]

    refused = await harness.client.get(f"/instances/{iid}/needs", headers=OPERATOR)
    assert refused.status_code == 403
    assert "équipe du territoire" in refused.json()["detail"]
    assert "boucle" not in refused.text
    booking = await harness.client.put(
        f"/instances/{iid}/needs/{need_id}/booked", json={"booked": True}, headers=OPERATOR
    )
    assert booking.status_code == 403
    assert "boucle" not in booking.text

    checklist = await harness.client.get(f"/instances/{iid}/needs", headers=STAFF)
    assert checklist.status_code == 200
    assert [line["detail"] for line in checklist.json()] == ["Une boucle magnétique"]
