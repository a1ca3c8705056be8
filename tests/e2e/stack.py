"""The three services started in one process like in production (real broker,
their own databases, lifespans), talked to over ASGI as a browser-side
client would, plus token helpers. Used by the cross-service tests
(authorization matrix, erasure end to end)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from conseils_meetings.app import create_app as meetings_app
from conseils_meetings.settings import MeetingsSettings
from conseils_notifications.app import create_app as notifications_app
from conseils_notifications.settings import NotificationsSettings
from conseils_registry.app import create_app as registry_app
from conseils_registry.seed import seed_territory
from conseils_registry.settings import RegistrySettings
from conseils_runtime.auth import Role, issue_token
from conseils_runtime.territory import default_territory_path, load_territory
from tests.e2e.secured_kafka import SecuredKafka
from tests.faults.harness import delete_territory_topics

SECRET = "secret-de-test-e2e"  # noqa: S105 - signs test tokens only
STAFF_ID = "agent-territoire"
OPERATOR_ID = "exploitant"
SERVICES = ("registry", "meetings", "notifications")  # test tokens are good for the three


@dataclass
class Stack:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    database_urls: dict[str, str]
    territory: str
    data: dict[str, Any] = field(default_factory=dict)

    def headers(
        self, role: Role | None, *, member_id: uuid.UUID | None = None, council_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        if role is None:
            return {}
        subject = str(member_id) if member_id else (OPERATOR_ID if role == "operator" else STAFF_ID)
        token = issue_token(SECRET, subject=subject, role=role, council_id=council_id, audience=SERVICES)
        return {"Authorization": f"Bearer {token}"}

    @property
    def staff(self) -> dict[str, str]:
        return self.headers("staff")

    async def call(
        self, service: str, method: str, path: str, role_headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        return await self.clients[service].request(method, path, headers=role_headers, **kwargs)

    async def rows(self, service: str, table: str) -> list[dict[str, Any]]:
        return await _rows(self.apps[service], table)

    async def ok(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(service, method, path, self.staff, **kwargs)
        assert response.status_code < 300, (service, method, path, response.status_code, response.text)
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else None
        )


async def _rows(app: FastAPI, table: str) -> list[dict[str, Any]]:
    database = app.state.runtime.database
    async with database.sessionmaker() as session:
        result = await session.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - table names from the test
        return [dict(row._mapping) for row in result]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached within {timeout}s: {what}")


@contextlib.asynccontextmanager
async def running_stack(
    kafka_bootstrap: str,
    territory: str,
    database_urls: dict[str, str],
    tmp_path: Path,
    *,
    smtp_port: int = 9,
    kafka: SecuredKafka | None = None,
    territory_file: Path | None = None,
) -> AsyncIterator[Stack]:
    """With ``kafka`` (a secured broker, the territory granted), each service runs as its own
    principal under its ACLs; without, on the plaintext broker of ``kafka_bootstrap``.
    ``territory_file``: another territory file than the demo's (the same seeded territory)."""
    common: dict[str, Any] = {
        "territory": territory,
        "kafka_bootstrap_servers": kafka_bootstrap,
        "auth_secret": SECRET,
        "log_json": False,
        "outbox_poll_seconds": 0.2,
    }
    if territory_file is not None:
        common["territory_file"] = territory_file

    def principal(name: str) -> dict[str, Any]:
        return kafka.security(name).settings_values() if kafka is not None else {}

    apps = {
        "registry": registry_app(
            RegistrySettings(database_url=database_urls["registry"], **common, **principal("registry"))
        ),
        "meetings": meetings_app(
            MeetingsSettings(
                database_url=database_urls["meetings"],
                documents_dir=tmp_path / "documents",
                **common,
                **principal("meetings"),
            )
        ),
        "notifications": notifications_app(
            NotificationsSettings(
                database_url=database_urls["notifications"],
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                smtp_rate_per_second=50,
                sender_poll_seconds=0.3,
                sender_backoff_seconds=0.5,
                **common,
                **principal("notifications"),
            )
        ),
    }
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
        if kafka is None:  # a secured territory's topics go with its fixture (tests/e2e/conftest.py)
            stack.push_async_callback(delete_territory_topics, kafka_bootstrap, territory)
        await seed_territory(
            apps["registry"].state.runtime, load_territory(territory_file or default_territory_path())
        )
        yield Stack(apps, clients, database_urls, territory)


async def seed_people(stack: Stack) -> None:
    """Two councils, a councillor and a coordinator in A, a member in B, known to every service;
    one comité technique scheduled 40 days ahead (theme followed by the members)."""
    suffix = uuid.uuid4().hex[:6]
    council_a = await stack.ok(
        "registry",
        "POST",
        "/councils",
        json={"slug": f"a-{suffix}", "name": "Conseil citoyen A", "neighbourhood_code": "QP093001A"},
    )
    council_b = await stack.ok(
        "registry",
        "POST",
        "/councils",
        json={"slug": f"b-{suffix}", "name": "Conseil citoyen B", "neighbourhood_code": "QP093031A"},
    )

    async def member(council: dict[str, Any], name: str, email: str, phone: str, role: str = "member") -> Any:
        return await stack.ok(
            "registry",
            "POST",
            "/members",
            json={
                "council_id": council["id"],
                "display_name": name,
                "email": email,
                "phone": phone,
                "consent": True,
                "role": role,
                "themes_followed": ["emploi"],
            },
        )

    councillor = await member(
        council_a, "Yasmina Belkacem-Zorglub", f"yasmina.{suffix}@exemple.fr", "+33612345678"
    )
    coordinator = await member(
        council_a, "Odile Coordinatrice", f"odile.{suffix}@exemple.fr", "+33611111111", "coordinator"
    )
    other = await member(council_b, "Bernard Autreconseil", f"bernard.{suffix}@exemple.fr", "+33622222222")
    stack.data.update(
        council_a=uuid.UUID(council_a["id"]),
        council_b=uuid.UUID(council_b["id"]),
        councillor=uuid.UUID(councillor["id"]),
        coordinator=uuid.UUID(coordinator["id"]),
        other=uuid.UUID(other["id"]),
        people=[councillor, coordinator, other],
    )

    async def known_everywhere() -> bool:
        ids = {stack.data[key] for key in ("councillor", "coordinator", "other")}
        meetings = {uuid.UUID(str(r["member_id"])) for r in await stack.rows("meetings", "members")}
        contacts = {uuid.UUID(str(r["member_id"])) for r in await stack.rows("notifications", "contacts")}
        return ids <= meetings and ids <= contacts

    await eventually(known_everywhere, what="meetings and notifications know the three members")

    starts = (datetime.now(UTC) + timedelta(days=40)).replace(hour=18, minute=30, second=0, microsecond=0)
    instance = await stack.ok(
        "meetings",
        "POST",
        "/instances",
        json={
            "instance_type": "comite-technique",
            "title": "Comité technique Emploi",
            "theme": "emploi",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "location": "Mairie de Saint-Denis",
        },
    )
    stack.data["instance"] = uuid.UUID(instance["id"] if "id" in instance else instance["instance_id"])
    stack.data["starts"] = starts
