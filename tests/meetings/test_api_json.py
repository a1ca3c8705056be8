"""The instance list and the instance detail are serialised once by pydantic-core (issue 17: 2,400
summaries cost 33 ms of CPU through FastAPI's validate-then-encode, 7 ms this way): the same
bytes as the response model gives, and FastAPI's own serialisation is not run for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import routing

from conseils_meetings.api_models import InstanceOut, InstanceSummary

from .conftest import STAFF, Harness
from .test_api import EVENING, schedule

pytestmark = pytest.mark.postgres


async def test_instances_are_serialised_once_with_the_response_models_bytes(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [await schedule(harness, "clip", EVENING + timedelta(days=n), city_code="93066") for n in range(3)]

    async def not_called(**_kwargs: Any) -> Any:
        raise AssertionError("FastAPI serialised the answer again")

    monkeypatch.setattr(routing, "serialize_response", not_called)
    for headers in (STAFF, harness.member("villette-1")):
        listed = await harness.client.get("/instances", params={"scope": "all"}, headers=headers)
        assert listed.status_code == 200
        assert listed.headers["content-type"] == "application/json"
        summaries = [InstanceSummary.model_validate(row) for row in listed.json()]
        assert [str(s.id) for s in summaries] == [row["id"] for row in made]
        # what FastAPI would have sent: the models dumped in JSON mode, compact
        assert listed.content == b"[" + b",".join(s.model_dump_json().encode() for s in summaries) + b"]"
        detail = await harness.client.get(f"/instances/{made[0]['id']}", headers=headers)
        assert detail.status_code == 200
        assert detail.content == InstanceOut.model_validate(detail.json()).model_dump_json().encode()
