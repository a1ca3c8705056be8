"""Scenarios on national-scale data without the broker: the bilan of a year
(meetings) and the weekly digest (notifications), each beside the bare-SQL
version of the same work."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from conseils_cli.bench.dataset import Dataset
from conseils_cli.bench.seeders import service_schema
from conseils_runtime import Database


async def bilan_timing(url: str, data: Dataset, territory_file: Path, repeat: int = 2) -> dict[str, float]:
    """``reports.load_bilan`` (queries + compute) for the dataset's year; best of ``repeat``."""
    from conseils_meetings import reports
    from conseils_runtime.territory import load_territory

    territory = load_territory(territory_file)
    database = Database(url)
    try:
        timings, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            async with database.sessionmaker() as session:
                bilan = await reports.load_bilan(session, territory, data.year_from, data.year_to)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)  # this process's threads (aiosqlite's too)
        return {
            "seconds": min(timings),
            "cpu_seconds": min(cpu),
            "held": bilan.total.instances_held,
            "councils": len(bilan.by_council),
        }
    finally:
        await database.dispose()


async def bilan_raw_sql(url: str, data: Dataset) -> float:
    """Baseline: the per-council counts (held instances, confirmed registrations, presence) as
    three GROUP BY queries — what a hand-written report would do, without the per-type,
    per-theme and referent figures."""
    metadata, _ = service_schema("meetings")
    t = metadata.tables
    start = datetime.combine(data.year_from, datetime.min.time(), UTC)
    end = datetime.combine(data.year_to, datetime.max.time(), UTC)
    held = select(t["instances"].c.id).where(
        t["instances"].c.starts_at.between(start, end), t["instances"].c.status == "held"
    )
    database = Database(url)
    try:
        started = time.perf_counter()
        async with database.sessionmaker() as session:
            ic = t["instance_councils"]
            await session.execute(
                select(ic.c.council_id, func.count())
                .where(ic.c.instance_id.in_(held))
                .group_by(ic.c.council_id)
            )
            reg = t["registrations"]
            await session.execute(
                select(reg.c.council_id, func.count())
                .where(reg.c.instance_id.in_(held), reg.c.status == "confirmed")
                .group_by(reg.c.council_id)
            )
            att = t["attendance"]
            await session.execute(
                select(att.c.council_id, func.count())
                .where(att.c.instance_id.in_(held))
                .group_by(att.c.council_id)
            )
        return time.perf_counter() - started
    finally:
        await database.dispose()


def _notifications_service(url: str, data: Dataset, territory_file: Path) -> Any:
    from conseils_notifications.app import create_app
    from conseils_notifications.settings import NotificationsSettings

    settings = NotificationsSettings(
        database_url=url,
        territory=data.slug,
        territory_file=territory_file,
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)
    return app.state.runtime, app.state.service


async def digest_timing(url: str, data: Dataset, territory_file: Path) -> dict[str, float]:
    """``NotificationsService.run_weekly_digest`` (the scheduler's digest step) in one transaction."""
    runtime, service = _notifications_service(url, data, territory_file)
    try:
        started = time.perf_counter()
        async with runtime.database.sessionmaker() as session, session.begin():
            members = await service.run_weekly_digest(session, "2026-W01")
        return {"seconds": time.perf_counter() - started, "members": members}
    finally:
        await runtime.database.dispose()


async def digest_raw(url: str) -> dict[str, float]:
    """Baseline: one SELECT of every deferred item, a bare loop building one digest row per member,
    one executemany INSERT and one UPDATE — then rolled back so the measured run starts the same."""
    metadata, _ = service_schema("notifications")
    deliveries = metadata.tables["deliveries"]
    database = Database(url)
    try:
        started = time.perf_counter()
        async with database.sessionmaker() as session:
            await session.begin()
            items: dict[Any, list[Any]] = {}
            for row in await session.execute(
                select(
                    deliveries.c.delivery_id, deliveries.c.member_id, deliveries.c.kind, deliveries.c.context
                )
                .where(deliveries.c.status == "digest")
                .order_by(deliveries.c.created_at)
            ):
                items.setdefault(row.member_id, []).append(row)
            now = datetime.now(UTC)
            rows = [
                {
                    "delivery_id": uuid.uuid4(),
                    "source_event_id": "digest:baseline",
                    "member_id": member_id,
                    "channel": "email",
                    "category": "digest",
                    "kind": "digest",
                    "instance_id": None,
                    "reason": "follows_theme",
                    "context": {
                        "items": [
                            {"kind": i.kind, "instance_id": i.context["instance"]["instance_id"]}
                            for i in member_items
                        ]
                    },
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for member_id, member_items in items.items()
            ]
            if rows:
                await session.execute(deliveries.insert(), rows)
                await session.execute(
                    deliveries.update().where(deliveries.c.status == "digest").values(status="digested")
                )
            elapsed = time.perf_counter() - started
            await session.rollback()
        return {"seconds": elapsed, "members": len(rows)}
    finally:
        await database.dispose()
