"""Seeded generator of national-scale data, written straight into each service's
database through its own tables (bulk inserts), on SQLite or PostgreSQL.

National scale (``Scale.national()``): 1,200 councils, 25,000 members, 5,000
instances over a year and 100,000 registrations. ``Scale.national().scaled(f)``
shrinks everything by ``f`` for quick runs. The same seed gives the same ids,
names and dates, so two runs (and the three services) agree.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import create_async_engine

from conseils_runtime import Database
from conseils_runtime.database import RuntimeTables
from conseils_runtime.migrations import upgrade_to_head
from conseils_runtime.territory import default_territory_path

THEMES = ("education", "emploi", "habitat", "sante", "tranquillite", "animation")
CHUNK = 2_000


@dataclass(frozen=True)
class Scale:
    councils: int
    members: int
    instances: int
    registrations: int
    cities: int

    @classmethod
    def national(cls) -> Scale:
        return cls(councils=1_200, members=25_000, instances=5_000, registrations=100_000, cities=120)

    def scaled(self, factor: float) -> Scale:
        def shrink(value: int) -> int:
            return max(1, round(value * factor))

        return replace(
            self,
            councils=shrink(self.councils),
            members=shrink(self.members),
            instances=shrink(self.instances),
            registrations=shrink(self.registrations),
            cities=shrink(self.cities),
        )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class Council:
    id: uuid.UUID
    slug: str
    name: str
    city_code: str
    city_name: str
    neighbourhood: str


@dataclass
class Member:
    id: uuid.UUID
    council_id: uuid.UUID
    role: str
    themes: list[str]
    name: str
    email: str


@dataclass
class Instance:
    id: uuid.UUID
    instance_type: str
    scope: str
    title: str
    theme: str | None
    city_code: str | None
    council_ids: list[uuid.UUID]
    starts_at: datetime
    status: str


@dataclass
class Registration:
    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    present: bool


@dataclass
class Dataset:
    """Everything generated; ``year_from``/``year_to`` bound the year of instances."""

    slug: str
    scale: Scale
    cities: list[tuple[str, str]]
    councils: list[Council]
    members: list[Member]
    referents: list[tuple[uuid.UUID, str, uuid.UUID]]
    instances: list[Instance]
    registrations: list[Registration]
    year_from: date
    year_to: date
    now: datetime
    members_by_council: dict[uuid.UUID, list[Member]] = field(default_factory=dict)


def generate(scale: Scale, *, slug: str, seed: int = 2026, now: datetime | None = None) -> Dataset:
    """A whole territory of ``scale``: about 80 % of its instances are past (held), 20 % to come."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    cities = [(f"{10_000 + index:05d}", f"Ville {index + 1}") for index in range(scale.cities)]
    councils: list[Council] = []
    for index in range(scale.councils):
        code, name = cities[index % len(cities)]
        councils.append(
            Council(
                id=_uuid(rng),
                slug=f"conseil-{index + 1}",
                name=f"Conseil citoyen n° {index + 1}",
                city_code=code,
                city_name=name,
                neighbourhood=f"QP{code}{index // len(cities):03d}",
            )
        )
    members: list[Member] = []
    by_council: dict[uuid.UUID, list[Member]] = defaultdict(list)
    for index in range(scale.members):
        council = councils[index % len(councils)]
        member = Member(
            id=_uuid(rng),
            council_id=council.id,
            role="coordinator" if index < len(councils) else "member",
            themes=rng.sample(THEMES, rng.randint(0, 2)),
            name=f"Membre {index + 1}",
            email=f"membre{index + 1}@bench.example",
        )
        members.append(member)
        by_council[council.id].append(member)
    referents = [
        (council.id, theme, rng.choice(by_council[council.id]).id)
        for council in councils
        if by_council[council.id]
        for theme in THEMES[:3]
    ]
    councils_by_city: dict[str, list[uuid.UUID]] = defaultdict(list)
    for council in councils:
        councils_by_city[council.city_code].append(council.id)

    year_to = now.date() + timedelta(days=73)  # a fifth of the year still to come
    year_from = year_to - timedelta(days=365)
    instances: list[Instance] = []
    for index in range(scale.instances):
        day = year_from + timedelta(days=rng.randrange(365))
        starts_at = datetime(day.year, day.month, day.day, 17, 30, tzinfo=UTC)
        draw = rng.random()
        council = rng.choice(councils)
        theme: str | None = None
        city: str | None = None
        if draw < 0.01:  # territory-wide: every council
            kind, scope, concerned = "copil", "territory", [c.id for c in councils]
        elif draw < 0.11:  # a thematic technical committee of one city
            kind, scope, theme = "comite-technique", "theme", rng.choice(THEMES)
            city = council.city_code
            concerned = list(councils_by_city[city])
        elif draw < 0.41:  # a city's CLIP
            kind, scope, city = "clip", "city", council.city_code
            concerned = list(councils_by_city[city])
        else:  # a council's own training
            kind, scope, concerned = "formation", "council", [council.id]
        if starts_at.date() < now.date():
            status = "cancelled" if rng.random() < 0.03 else "held"
        else:
            status = "scheduled"
        instances.append(
            Instance(
                id=_uuid(rng),
                instance_type=kind,
                scope=scope,
                title=f"Instance n° {index + 1}",
                theme=theme,
                city_code=city,
                council_ids=concerned,
                starts_at=starts_at,
                status=status,
            )
        )
    registrations: list[Registration] = []
    per_instance = max(1, scale.registrations // max(1, scale.instances))
    for instance in instances:
        pool = [m for council_id in instance.council_ids[:40] for m in by_council[council_id]]
        for member in rng.sample(pool, min(len(pool), per_instance)):
            registrations.append(
                Registration(
                    id=_uuid(rng),
                    instance_id=instance.id,
                    member_id=member.id,
                    council_id=member.council_id,
                    mode="participant" if rng.random() < 0.8 else "observer",
                    status="confirmed" if rng.random() < 0.95 else "cancelled",
                    present=instance.status == "held" and rng.random() < 0.75,
                )
            )
    return Dataset(
        slug=slug,
        scale=scale,
        cities=cities,
        councils=councils,
        members=members,
        referents=referents,
        instances=instances,
        registrations=registrations,
        year_from=year_from,
        year_to=year_to,
        now=now,
        members_by_council=dict(by_council),
    )


def write_territory_file(dataset: Dataset, path: Path) -> Path:
    """A territory YAML with the dataset's cities and councils (instance types of the demo territory)."""
    demo = yaml.safe_load(default_territory_path().read_text(encoding="utf-8"))
    by_city: dict[str, list[Council]] = defaultdict(list)
    for council in dataset.councils:
        by_city[council.city_code].append(council)
    document = {
        "territory": {"slug": dataset.slug, "name": "Banc d'essai national", "kind": "EPT"},
        "demo": True,
        "mail": {
            "sender": "Conseils citoyens <conseils@bench.example>",
            "public_base_url": "http://127.0.0.1",
        },
        "notifications": demo.get("notifications", {}),
        "themes": demo["themes"],
        "cities": [
            {
                "code": code,
                "name": name,
                "neighbourhoods": [{"code": c.neighbourhood, "name": c.name} for c in by_city[code]],
            }
            for code, name in dataset.cities
        ],
        "councils": [
            {"slug": c.slug, "name": c.name, "city": c.city_code, "neighbourhood": c.neighbourhood}
            for c in dataset.councils
        ],
        "instance_types": demo["instance_types"],
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- databases


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
