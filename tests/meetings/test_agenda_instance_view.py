"""Issue 17 (pages at national size): her view of one instance (`GET /instances/{id}` as a
councillor) tells whether her council is concerned by the council's index, not by reading the
instance's whole list of councils a second time (1,200 for a territory-wide instance; the
detail reads it once for `concerned_council_ids`). Same access as before, both ways."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conseils_meetings.repository import Repository

from .conftest import Harness
from .test_api import EVENING, schedule

pytestmark = pytest.mark.postgres


async def test_her_access_says_concerned_or_not_reading_the_councils_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = await schedule(harness, "clip", EVENING, city_code="93066")  # Saint-Denis councils only
    reads: list[uuid.UUID] = []
    whole_list = Repository.concerned

    async def counted(self: Repository, instance_id: uuid.UUID) -> list[uuid.UUID]:
        reads.append(instance_id)
        return await whole_list(self, instance_id)

    monkeypatch.setattr(Repository, "concerned", counted)
    answers: dict[str, Any] = {}
    for member in ("floreal-1", "villette-1"):
        response = await harness.client.get(f"/instances/{clip['id']}", headers=harness.member(member))
        assert response.status_code == 200, response.text
        answers[member] = response.json()
    assert len(reads) == 2  # once per request: the detail's list, not her access

    concerned = answers["floreal-1"]["access"]
    assert concerned["concerned"] is True
    assert concerned["participant"]["code"] == "open"
    assert str(harness.world.councils["floreal"]) in answers["floreal-1"]["concerned_council_ids"]
    other = answers["villette-1"]["access"]
    assert other["concerned"] is False
    assert other["participant"]["code"] == "not_concerned"
    assert answers["villette-1"]["concerned_council_ids"] == answers["floreal-1"]["concerned_council_ids"]
