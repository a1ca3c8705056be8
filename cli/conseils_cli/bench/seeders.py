"""Seeders of the benchmark dataset (:mod:`conseils_cli.bench.dataset`), written straight into
each service's database through its own tables (bulk inserts), on SQLite or PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import create_async_engine

from conseils_cli.bench.dataset import THEMES, Dataset, Instance, Member
from conseils_runtime import Database
from conseils_runtime.database import RuntimeTables
from conseils_runtime.migrations import upgrade_to_head

CHUNK = 2_000


class Databases:
    """Database URLs for the benchmark: SQLite files in ``work_dir`` or fresh PostgreSQL databases."""

    def __init__(self, kind: str, work_dir: Path, postgres_url: str | None = None) -> None:
        if kind not in ("sqlite", "postgres"):
            raise ValueError(kind)
        if kind == "postgres" and not postgres_url:
            raise ValueError("PostgreSQL demandé sans URL de base (--postgres-url).")
        self.kind = kind
        self.work_dir = work_dir
        self.postgres_url = postgres_url
        self.created: list[str] = []

    async def url(self, name: str) -> str:
        safe = "".join(ch if ch.isalnum() else "_" for ch in name).lower()
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.work_dir}/{safe}.db"
        assert self.postgres_url is not None
        database = f"bench_{uuid.uuid4().hex[:8]}_{safe}"[:63]
        engine = create_async_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{database}"'))
        finally:
            await engine.dispose()
        self.created.append(database)
        base, _, _ = self.postgres_url.rpartition("/")
        return f"{base}/{database}"

    async def drop_all(self) -> None:
        if self.kind != "postgres" or not self.created:
            return
        assert self.postgres_url is not None
        engine = create_async_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                for database in self.created:
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            await engine.dispose()
        self.created.clear()


def service_schema(service: str) -> tuple[MetaData, Path]:
    """A service's metadata (with the runtime's tables) and its migrations folder."""
    if service == "registry":
        from conseils_registry import tables as registry_tables
        from conseils_registry.app import MIGRATIONS as REGISTRY_MIGRATIONS

        metadata, migrations = registry_tables.metadata, REGISTRY_MIGRATIONS
    elif service == "meetings":
        from conseils_meetings import tables as meetings_tables
        from conseils_meetings.app import MIGRATIONS as MEETINGS_MIGRATIONS

        metadata, migrations = meetings_tables.metadata, MEETINGS_MIGRATIONS
    elif service == "notifications":
        from conseils_notifications import tables as notifications_tables
        from conseils_notifications.app import MIGRATIONS as NOTIFICATIONS_MIGRATIONS

        metadata, migrations = notifications_tables.metadata, NOTIFICATIONS_MIGRATIONS
    else:
        raise ValueError(service)
    RuntimeTables.define(metadata)
    return metadata, migrations


async def _bulk(database: Database, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    batch: list[dict[str, Any]] = []
    count = 0
    async with database.engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                await connection.execute(table.insert(), batch)
                count += len(batch)
                batch = []
        if batch:
            await connection.execute(table.insert(), batch)
            count += len(batch)
    return count


async def _prepare(service: str, url: str) -> tuple[Database, MetaData]:
    metadata, migrations = service_schema(service)
    database = Database(url)
    await upgrade_to_head(database, migrations, metadata)
    return database, metadata


async def seed_registry(url: str, data: Dataset) -> dict[str, int]:
    database, metadata = await _prepare("registry", url)
    t = metadata.tables
    now = data.now
    try:
        counts = {
            "territories": await _bulk(
                database,
                t["territories"],
                [{"slug": data.slug, "name": "Banc d'essai", "kind": "EPT", "timezone": "Europe/Paris"}],
            ),
            "cities": await _bulk(database, t["cities"], ({"code": c, "name": n} for c, n in data.cities)),
            "themes": await _bulk(
                database, t["themes"], ({"slug": s, "name": s, "position": i} for i, s in enumerate(THEMES))
            ),
        }
        counts["neighbourhoods"] = await _bulk(
            database,
            t["neighbourhoods"],
            ({"code": c.neighbourhood, "city_code": c.city_code, "name": c.name} for c in data.councils),
        )
        counts["councils"] = await _bulk(
            database,
            t["councils"],
            (
                {
                    "id": c.id,
                    "slug": c.slug,
                    "name": c.name,
                    "city_code": c.city_code,
                    "neighbourhood_code": c.neighbourhood,
                    "status": "active",
                    "created_on": data.year_from,
                }
                for c in data.councils
            ),
        )
        counts["members"] = await _bulk(
            database,
            t["members"],
            (
                {
                    "id": m.id,
                    "council_id": m.council_id,
                    "college": "habitants",
                    "drawn_by_lot": False,
                    "role": m.role,
                    "joined_on": data.year_from,
                    "themes_followed": m.themes,
                }
                for m in data.members
            ),
        )
        counts["member_contacts"] = await _bulk(
            database,
            t["member_contacts"],
            (
                {
                    "member_id": m.id,
                    "display_name": m.name,
                    "email": m.email,
                    "language": "fr",
                    "consent_given_at": now,
                    "updated_at": now,
                }
                for m in data.members
            ),
        )
        counts["referents"] = await _bulk(
            database,
            t["referents"],
            (
                {
                    "id": uuid.uuid5(council, f"{theme}/{member}"),
                    "council_id": council,
                    "theme": theme,
                    "member_id": member,
                    "since": data.year_from,
                }
                for council, theme, member in data.referents
            ),
        )
    finally:
        await database.dispose()
    return counts


async def _seed_registry_view(database: Any, t: Any, data: Dataset) -> dict[str, int]:
    """The shared temporal read model (conseils_runtime.registry_view), as its consumers build it:
    every member and referent since the first day of the year."""
    as_of = datetime.combine(data.year_from, datetime.min.time(), UTC)
    return {
        "councils": await _bulk(
            database,
            t["councils"],
            (
                {
                    "council_id": c.id,
                    "name": c.name,
                    "city": c.city_name,
                    "city_code": c.city_code,
                    "status": "active",
                    "active": True,
                    "dissolved_on": None,
                    "as_of": as_of,
                }
                for c in data.councils
            ),
        ),
        "members": await _bulk(
            database,
            t["members"],
            (
                {
                    "member_id": m.id,
                    "council_id": m.council_id,
                    "role": m.role,
                    "themes_followed": m.themes,
                    "active": True,
                    "erased": False,
                    "as_of": as_of,
                }
                for m in data.members
            ),
        ),
        "member_periods": await _bulk(
            database,
            t["member_periods"],
            (
                {"member_id": m.id, "since": data.year_from, "council_id": m.council_id, "until": None}
                for m in data.members
            ),
        ),
        "referents": await _bulk(
            database,
            t["referent_terms"],
            (
                {"council_id": c, "theme": th, "member_id": m, "since": data.year_from, "until": None}
                for c, th, m in data.referents
            ),
        ),
    }


async def seed_meetings(url: str, data: Dataset) -> dict[str, int]:
    database, metadata = await _prepare("meetings", url)
    t = metadata.tables
    now = data.now
    try:
        counts = {
            **await _seed_registry_view(database, t, data),
            "instances": await _bulk(
                database, t["instances"], (_meetings_instance(i, now) for i in data.instances)
            ),
        }
        counts["instance_councils"] = await _bulk(
            database,
            t["instance_councils"],
            ({"instance_id": i.id, "council_id": c} for i in data.instances for c in i.council_ids),
        )
        counts["registrations"] = await _bulk(
            database,
            t["registrations"],
            (
                {
                    "id": r.id,
                    "instance_id": r.instance_id,
                    "member_id": r.member_id,
                    "council_id": r.council_id,
                    "mode": r.mode,
                    "status": r.status,
                    "waitlist_seq": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in data.registrations
            ),
        )
        counts["attendance"] = await _bulk(
            database,
            t["attendance"],
            (
                {
                    "instance_id": r.instance_id,
                    "member_id": r.member_id,
                    "council_id": r.council_id,
                    "registered": True,
                }
                for r in data.registrations
                if r.present
            ),
        )
    finally:
        await database.dispose()
    return counts


def _meetings_instance(instance: Instance, now: datetime) -> dict[str, Any]:
    held = instance.status == "held"
    return {
        "id": instance.id,
        "instance_type": instance.instance_type,
        "title": instance.title,
        "theme": instance.theme,
        "city_code": instance.city_code,
        "council_id": instance.council_ids[0] if instance.scope == "council" else None,
        "scope": instance.scope,
        "starts_at": instance.starts_at,
        "ends_at": instance.starts_at + timedelta(hours=2),
        "location": "Maison de quartier",
        "status": instance.status,
        "is_political": instance.instance_type == "copil",
        "is_evening": True,
        "observers_allowed": instance.instance_type != "formation",
        "sequence": 0,
        "policy_warnings": [],
        "created_at": instance.starts_at - timedelta(days=30),
        "scheduled_at": instance.starts_at - timedelta(days=30),
        "cancelled_at": instance.starts_at - timedelta(days=2) if instance.status == "cancelled" else None,
        "held_at": instance.starts_at + timedelta(hours=2) if held else None,
        "dossier_version": 0,
        "waitlist_counter": 0,
    }


async def seed_notifications(
    url: str, data: Dataset, *, digest_members: Sequence[Member] = (), digest_items: int = 2
) -> dict[str, int]:
    """Read models, contacts, and ``digest_items`` deferred deliveries for each of ``digest_members``."""
    database, metadata = await _prepare("notifications", url)
    t = metadata.tables
    now = data.now
    try:
        counts = {
            **await _seed_registry_view(database, t, data),
            "contacts": await _bulk(
                database,
                t["contacts"],
                (
                    {
                        "member_id": m.id,
                        "display_name": m.name,
                        "email": m.email,
                        "language": "fr",
                        "consent_given_at": now,
                        "updated_at": now,
                    }
                    for m in data.members
                ),
            ),
            "instances": await _bulk(
                database,
                t["instances"],
                (
                    {
                        "instance_id": i.id,
                        "instance_type": i.instance_type,
                        "title": i.title,
                        "theme": i.theme,
                        "city_code": i.city_code,
                        "scope": i.scope,
                        "council_ids": [str(c) for c in i.council_ids],
                        "starts_at": i.starts_at,
                        "ends_at": i.starts_at + timedelta(hours=2),
                        "location": "Maison de quartier",
                        "sequence": 0,
                        "status": i.status,
                    }
                    for i in data.instances
                ),
            ),
            "registrations": await _bulk(
                database,
                t["registrations"],
                (
                    {
                        "registration_id": r.id,
                        "instance_id": r.instance_id,
                        "member_id": r.member_id,
                        "council_id": r.council_id,
                        "mode": r.mode,
                        "status": r.status,
                    }
                    for r in data.registrations
                ),
            ),
        }
        if digest_members:
            counts["digest_deliveries"] = await _bulk(
                database, t["deliveries"], _digest_rows(data, digest_members, digest_items, now)
            )
    finally:
        await database.dispose()
    return counts


def _digest_rows(
    data: Dataset, members: Sequence[Member], items: int, now: datetime
) -> Iterable[dict[str, Any]]:
    upcoming = [i for i in data.instances if i.status == "scheduled"] or data.instances
    for position, member in enumerate(members):
        for item in range(items):
            instance = upcoming[(position * items + item) % len(upcoming)]
            yield {
                "delivery_id": uuid.uuid5(member.id, f"digest-item-{item}"),
                "source_event_id": f"bench-{instance.id}-{item}",
                "member_id": member.id,
                "channel": "email",
                "category": "dossier" if item % 2 else "scheduling",
                "kind": "dossier" if item % 2 else "scheduled",
                "instance_id": instance.id,
                "reason": "follows_theme",
                "context": {
                    "instance": {
                        "instance_id": str(instance.id),
                        "title": instance.title,
                        "instance_type": instance.instance_type,
                        "type_name": instance.instance_type,
                        "theme": instance.theme,
                        "theme_name": instance.theme,
                        "starts_at": instance.starts_at.isoformat(),
                        "ends_at": (instance.starts_at + timedelta(hours=2)).isoformat(),
                        "location": "Maison de quartier",
                        "sequence": 0,
                        "status": instance.status,
                    }
                },
                "status": "digest",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now - timedelta(minutes=len(members) - position),
            }
