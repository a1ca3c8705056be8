"""Seeded national-scale dataset for the benchmarks: plain Python, no database, no broker.

National scale (``Scale.national()``): 1,200 councils, 25,000 members, 5,000
instances over a year and 100,000 registrations. ``Scale.national().scaled(f)``
shrinks everything by ``f`` for quick runs. The same seed gives the same ids,
names and dates, so two runs (and the three services) agree. The seeders
(:mod:`conseils_cli.bench.seeders`) write it into each service's database.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from conseils_runtime.territory import default_territory_path

THEMES = ("education", "emploi", "habitat", "sante", "tranquillite", "animation")


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
