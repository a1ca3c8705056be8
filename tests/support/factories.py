"""Events for tests, with plausible values and every required field: one place to build them.

Override any field by keyword: `council_registered(name="Conseil B")`,
`instance_scheduled(starts_at=..., timezone="Europe/Paris")`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from conseils_schemas import CouncilRegistered, InstanceScheduled


def council_registered(**fields: Any) -> CouncilRegistered:
    values: dict[str, Any] = {
        "council_id": uuid.uuid4(),
        "territory": "test",
        "city": "Saint-Denis",
        "city_code": "93066",
        "neighbourhood": "Franc-Moisin",
        "name": "Conseil citoyen",
        "status": "active",
    }
    return CouncilRegistered(**(values | fields))


def instance_scheduled(**fields: Any) -> InstanceScheduled:
    starts = fields.pop("starts_at", datetime(2026, 3, 10, 17, 30, tzinfo=UTC))
    values: dict[str, Any] = {
        "instance_id": uuid.uuid4(),
        "instance_type": "copil",
        "title": "COPIL du contrat de ville",
        "scope": "territory",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "location": "Hôtel de territoire, Saint-Denis",
        "is_political": True,
        "is_evening": True,
    }
    return InstanceScheduled(**(values | fields))
