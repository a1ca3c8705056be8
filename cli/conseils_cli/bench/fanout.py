"""Fan-out: a staff member schedules one instance concerning N members; time until the
last invitation is accepted by a local SMTP sink. Meetings and notifications run in
this process, each with its own database, on the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from conseils_cli.bench.dataset import Scale, generate
from conseils_cli.bench.dataset import write_territory_file as write_territory
from conseils_cli.bench.kafka_tools import own_name, produce_events, wait_rows
from conseils_cli.bench.seeders import Databases, seed_meetings, seed_notifications


class CountingSink:
    """aiosmtpd handler that counts accepted messages and notes when the last one came."""

    def __init__(self) -> None:
        self.received = 0
        self.last_at = 0.0
        self.target = 0
        self.done = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        self.received += 1
        self.last_at = time.perf_counter()
        if self.target and self.received >= self.target and self.loop is not None:
            self.loop.call_soon_threadsafe(self.done.set)
        return "250 OK"


def _next_evening(days: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    while day.weekday() != 1:  # a Tuesday evening (18:30 UTC: 19:30 in Paris), as copil rules want
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 18, 30, tzinfo=UTC)


async def fan_out(
    bootstrap: str, databases: Databases, work_dir: Path, members: int, connections: int = 4
) -> dict[str, float]:
    """Staff POST /instances (copil, the whole territory) → meetings outbox → Kafka → notifications
    consumer (recipients, deliveries) → delivery sender → SMTP sink, until ``members`` emails arrived."""
    from aiosmtpd.controller import Controller

    from conseils_cli.kafka.processes import free_port
    from conseils_meetings.app import create_app as meetings_app
    from conseils_meetings.settings import MeetingsSettings
    from conseils_notifications.app import create_app as notifications_app
    from conseils_notifications.settings import NotificationsSettings
    from conseils_runtime.auth import issue_token

    slug = own_name("bench-fan-")
    data = generate(
        Scale(
            councils=max(1, members // 20),
            members=members,
            instances=0,
            registrations=0,
            cities=max(1, members // 400),
        ),
        slug=slug,
    )
    territory_file = write_territory(data, work_dir / f"{slug}.yaml")
    meetings_url = await databases.url(f"{slug}-meetings")
    notifications_url = await databases.url(f"{slug}-notifications")
    await seed_meetings(meetings_url, data)
    await seed_notifications(notifications_url, data)

    sink = CountingSink()
    sink.loop = asyncio.get_running_loop()
    sink.target = members
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    common: dict[str, Any] = {
        "territory": slug,
        "territory_file": territory_file,
        "kafka_bootstrap_servers": bootstrap,
        "log_json": False,
        "log_level": "WARNING",
        "outbox_poll_seconds": 0.2,
        "auth_secret": "bench-secret",
    }
    meetings = meetings_app(
        MeetingsSettings(database_url=meetings_url, documents_dir=work_dir / f"{slug}-docs", **common)
    )
    notifications = notifications_app(
        NotificationsSettings(
            database_url=notifications_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_concurrency=connections,
            smtp_rate_per_second=100_000,
            sender_poll_seconds=0.2,
            sender_batch_size=200,
            scheduler_poll_seconds=3600,
            **common,
        )
    )
    token = issue_token(
        "bench-secret", subject="bench-staff", role="staff", audience="meetings", ttl_seconds=3600
    )
    starts = _next_evening(40)
    try:
        async with (
            meetings.router.lifespan_context(meetings),
            notifications.router.lifespan_context(notifications),
        ):
            await _wait_consumers_ready(bootstrap, slug, notifications)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=meetings), base_url="http://bench"
            ) as client:
                started = time.perf_counter()
                response = await client.post(
                    "/instances",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "instance_type": "copil",
                        "title": "Comité de pilotage du contrat de ville",
                        "starts_at": starts.isoformat(),
                        "ends_at": (starts + timedelta(hours=2)).isoformat(),
                        "location": "Hôtel de ville",
                    },
                )
                response.raise_for_status()
                accepted = time.perf_counter()
                await asyncio.wait_for(sink.done.wait(), timeout=max(120.0, members / 20))
                elapsed = sink.last_at - started
    finally:
        controller.stop()
    return {
        "seconds": elapsed,
        "per_second": members / elapsed,
        "api_ms": (accepted - started) * 1000,
        "received": sink.received,
    }


async def _wait_consumers_ready(bootstrap: str, slug: str, app: Any) -> None:
    """A harmless InstanceHeld (unknown instance) goes through the notifications `meetings` group:
    once it is processed, that group holds its partitions and the measured event waits for no rebalance."""
    from conseils_schemas import InstanceHeld

    await produce_events(
        bootstrap, slug, "meetings", [InstanceHeld(instance_id=uuid.uuid4(), held_at=datetime.now(UTC))]
    )
    await wait_rows(app.state.runtime.database, "processed_events", 1, timeout=60)
