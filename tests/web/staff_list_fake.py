"""The meetings service's staff list (GET /staff/instances) as the site's test doubles answer it:
the summaries they hold, filtered, ordered, counted and paged as the real API does it (the
real one is tested on the databases by tests/meetings/test_staff_list.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

STAFF_LIST = "/staff/instances"


def staff_list_answer(
    rows: Iterable[Mapping[str, Any]],
    params: Mapping[str, str],
    council_cities: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The answer to GET /staff/instances with `params` over these summaries (JSON dicts);
    `council_cities` gives the city code of each council id (the read model's)."""
    cities = council_cities or {}

    def city_of(row: Mapping[str, Any]) -> str | None:
        council = row.get("council_id")
        return row.get("city_code") or (cities.get(str(council)) if council else None)

    def starts(row: Mapping[str, Any]) -> datetime:
        return datetime.fromisoformat(str(row["starts_at"]))

    def kept(row: Mapping[str, Any]) -> bool:
        return (
            params.get("type") in (None, row.get("instance_type"))
            and params.get("theme") in (None, row.get("theme"))
            and params.get("status") in (None, row.get("status"))
            and params.get("city") in (None, city_of(row))
            and ("from" not in params or starts(row) >= datetime.fromisoformat(params["from"]))
            and ("to" not in params or starts(row) < datetime.fromisoformat(params["to"]))
        )

    matching = sorted((dict(row) for row in rows if kept(row)), key=lambda row: (starts(row), row["id"]))
    listed = [row for row in matching if row["status"] != "draft"]
    offset, limit = int(params.get("offset", 0)), int(params.get("limit", 50))
    return {
        "total": len(listed),
        "instances": listed[offset : offset + limit],
        "drafts": [row for row in matching if row["status"] == "draft"],
    }
