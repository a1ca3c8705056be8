"""The running platform's services called as staff, for tests that set up what the pages show
(ASGI on the very apps the platform runs: the same databases and Kafka producers)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from conseils_runtime.auth import issue_token
from tests.browser.platform_helpers import RunningPlatform

PARIS = ZoneInfo("Europe/Paris")


def tuesday_evening(days_ahead: int) -> datetime:
    day = date.today() + timedelta(days=days_ahead)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 18, 30, tzinfo=PARIS)


class PlatformServices:
    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform

    def service(self, name: str) -> httpx.AsyncClient:
        token = issue_token(self.platform.auth_secret, subject="staff-test", role="staff", audience=name)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.platform.apps[name]),
            base_url=f"http://{name}",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def member(self, email: str) -> dict[str, Any]:
        async with self.service("registry") as registry:
            found: list[dict[str, Any]] = (await registry.get("/members", params={"email": email})).json()
        return found[0]

    async def member_id(self, email: str) -> uuid.UUID:
        return uuid.UUID((await self.member(email))["id"])

    async def schedule(self, **fields: Any) -> str:
        starts: datetime = fields.pop("starts_at")
        body = {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            **fields,
        }
        async with self.service("meetings") as meetings:
            response = await meetings.post("/instances", json=body)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    async def registrations(self, instance_id: str) -> list[dict[str, Any]]:
        async with self.service("meetings") as meetings:
            rows: list[dict[str, Any]] = (
                await meetings.get(f"/instances/{instance_id}/registrations")
            ).json()
        return [row for row in rows if row["status"] != "cancelled"]

    async def cancel(self, instance_id: str, reason: str) -> None:
        async with self.service("meetings") as meetings:
            response = await meetings.post(f"/instances/{instance_id}/cancel", json={"reason": reason})
        assert response.status_code == 200, response.text

    async def outcome(self, **fields: Any) -> str:
        async with self.service("meetings") as meetings:
            response = await meetings.post("/outcomes", json=fields)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    async def outcome_status(self, outcome_id: str, status: str, note: str) -> None:
        async with self.service("meetings") as meetings:
            response = await meetings.post(
                f"/outcomes/{outcome_id}/updates", json={"status": status, "note": note}
            )
        assert response.status_code == 200, response.text
