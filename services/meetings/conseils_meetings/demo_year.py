"""The demo's past year itself: what happens, when (a plausible school year from 1 September
to early July, and a few upcoming instances), played by a `Player` through the real use cases
with the service's clock set to each past instant. `demo.py` seeds it on a first run."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conseils_meetings.service import InstanceDraft, MeetingsService
from conseils_runtime.french import of_place

SEED = 2014  # loi Lamy: the fixed seed of the demo's choices
_PDF = b"%PDF-1.4\n% ordre du jour de demonstration\n"


def demo_period(today: date) -> tuple[date, date]:
    """From the 1 September that leaves at least a full year before today, to yesterday."""
    start_year = today.year - 1 if today.month >= 9 else today.year - 2
    return date(start_year, 9, 1), today - timedelta(days=1)


@dataclass
class Player:
    service: MeetingsService
    zone: ZoneInfo
    members: Mapping[uuid.UUID, Sequence[uuid.UUID]]
    rng: random.Random

    def at(self, day: date, hour: int = 9, minute: int = 0) -> None:
        """Set the service's clock to a local time of that day."""
        instant = datetime.combine(day, time(hour, minute), self.zone).astimezone(UTC)
        self.service.clock = lambda: instant

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), self.zone)

    async def schedule(
        self, kind: str, title: str, starts: datetime, location: str, **scope: str
    ) -> uuid.UUID:
        draft = InstanceDraft(
            instance_type=kind,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location=location,
            theme=scope.get("theme"),
            city_code=scope.get("city_code"),
        )
        created = await self.service.create_instance(draft)
        return created.id

    async def concerned(self, instance_id: uuid.UUID) -> list[uuid.UUID]:
        return sorted((await self.service.get_instance(instance_id)).concerned_council_ids)

    async def register(self, instance_id: uuid.UUID, member_ids: Sequence[uuid.UUID]) -> None:
        for member_id in member_ids:
            await self.service.register(instance_id, member_id, "participant")

    async def dossier(self, instance_id: uuid.UUID) -> None:
        await self.service.add_document(instance_id, "dossier", "ordre-du-jour.pdf", _PDF)
        await self.service.publish_dossier(instance_id)

    async def hold(self, instance_id: uuid.UUID, summary: str) -> None:
        """Attendance the morning after: most of the registered (not all), plus someone unregistered."""
        registered = sorted(
            row.member_id
            for row in await self.service.instance_registrations(instance_id)
            if row.status == "confirmed"
        )
        present = [m for m in registered if self.rng.random() < 0.8]
        if len(registered) > 1 and len(present) == len(registered):
            present.remove(self.rng.choice(registered))  # someone registered did not come
        others = [
            m
            for council_id in await self.concerned(instance_id)
            for m in self.members.get(council_id, [])
            if m not in registered
        ]
        if others:
            present.append(self.rng.choice(others))  # someone came without registering
        await self.service.record_attendance(instance_id, present)
        await self.service.publish_minutes(instance_id, summary)


Step = Callable[[], Awaitable[object]]


async def play_year(
    p: Player,
    today: date,
    cities: Mapping[str, str],
    referents: Mapping[str, Sequence[uuid.UUID]],
    original: Callable[[], datetime],
) -> None:
    """Plan the year as (local instant, step) pairs, then run them in time order: the
    clock only moves forward, and each step finds the ids the earlier ones stored."""
    start, _end = demo_period(today)
    y = start.year
    members = p.members
    # Titles read « Comité technique « Éducation » »: the territory file's name, never the slug.
    theme_names = {theme.slug: theme.name for theme in p.service.territory.themes}
    councils = list(members)
    hq = "Siège de Plaine Commune, 21 avenue Jules-Rimet, Saint-Denis"
    ids: dict[str, uuid.UUID] = {}
    agenda: list[tuple[date, int, int, Step]] = []

    def plan(day: date, hour: int, step: Step) -> None:
        agenda.append((day, hour, len(agenda), step))

    def schedule(key: str, kind: str, title: str, starts: datetime, location: str, **scope: str) -> Step:
        async def step() -> None:
            ids[key] = await p.schedule(kind, title, starts, location, **scope)

        return step

    def register(key: str, member_ids: Sequence[uuid.UUID], mode: str = "participant") -> Step:
        async def step() -> None:
            for member_id in member_ids:
                await p.service.register(
                    ids[key], member_id, "observer" if mode == "observer" else "participant"
                )

        return step

    def held(key: str, day: date, summary: str, dossier_days_before: int) -> None:
        plan(day - timedelta(days=dossier_days_before), 10, lambda: p.dossier(ids[key]))
        plan(day + timedelta(days=1), 9, lambda: p.hold(ids[key], summary))

    # September: the year is planned. The October COPIL, with a waiting list that moves.
    copil1_day = _weekday(y, 10, 1, 2)
    plan(
        start + timedelta(days=1),
        9,
        schedule("copil1", "copil", "Comité de pilotage de rentrée", p.local(copil1_day, 18, 30), hq),
    )
    biggest = max(councils, key=lambda c: len(members[c]))
    plan(start + timedelta(days=2), 9, register("copil1", members[biggest][:3]))  # 2 seats: one waits
    plan(start + timedelta(days=3), 9, register("copil1", [members[c][0] for c in councils if c != biggest]))
    others = [c for c in councils if c != biggest and len(members[c]) > 1]
    if others:
        plan(start + timedelta(days=4), 9, register("copil1", [members[others[-1]][1]], "observer"))
    if len(members[biggest]) >= 3:  # a seat is freed: the first waiting is promoted
        plan(
            start + timedelta(days=9),
            9,
            lambda: p.service.cancel_registration(ids["copil1"], members[biggest][1]),
        )
    held("copil1", copil1_day, "Relevé de décisions du COPIL de rentrée.", 14)

    # A comité technique per theme with referents (November, December), weekdays at 18:00.
    for index, (theme, referent_ids) in enumerate(sorted(referents.items())[:4]):
        month, week = (11, 2 + index) if index < 2 else (12, index - 1)
        day = _weekday(y, month, 3 if index % 2 else 1, week)
        key, label = f"technique-{theme}", theme_names.get(theme, theme)
        plan(
            start + timedelta(days=20),
            9,
            schedule(
                key, "comite-technique", f"Comité technique « {label} »", p.local(day, 18), hq, theme=theme
            ),
        )
        plan(start + timedelta(days=21), 9, register(key, sorted(referent_ids)[:2]))
        held(key, day, f"Avis du comité technique « {label} ».", 3 if index % 2 else 12)  # odd: late

    # A CLIP per city in January, scheduled in November; the first one is cancelled.
    for index, (city_code, city) in enumerate(sorted(cities.items())):
        day = _weekday(y + 1, 1, index % 4, 2 + index // 4)
        key = f"clip-{city_code}"
        plan(
            date(y, 11, 20),
            9,
            schedule(
                key,
                "clip",
                f"CLIP {of_place(city)}",
                p.local(day, 18),
                f"Hôtel de ville {of_place(city)}",
                city_code=city_code,
            ),
        )
        plan(date(y, 11, 21), 9, _register_concerned(p, ids, key, 2))
        if index == 0:
            plan(day - timedelta(days=7), 11, _cancel(p, ids, key))
        else:
            held(key, day, f"Relevé de la CLIP {of_place(city)}.", 10)

    # The winter COPIL, moved by a week.
    planned = p.local(_weekday(y + 1, 2, 1, 1), 18, 30)
    moved = planned + timedelta(days=7)
    plan(date(y + 1, 1, 5), 9, schedule("copil2", "copil", "Comité de pilotage d'hiver", planned, hq))
    plan(
        date(y + 1, 1, 8),
        9,
        lambda: p.service.reschedule(ids["copil2"], moved, moved + timedelta(hours=2), None),
    )
    plan(date(y + 1, 1, 9), 9, register("copil2", [members[c][0] for c in councils]))
    held("copil2", moved.date(), "Relevé de décisions du COPIL d'hiver.", 5)  # late dossier

    # The forum: a Saturday morning in March, and what it produced.
    forum_day = _weekday(y + 1, 3, 5, 2)
    plan(
        date(y + 1, 1, 20),
        9,
        schedule(
            "forum",
            "forum",
            "Forum des conseils citoyens",
            p.local(forum_day, 10),
            "Bourse du travail, Saint-Denis",
        ),
    )
    plan(date(y + 1, 1, 22), 9, register("forum", [m for c in councils for m in members[c][:2]]))
    held("forum", forum_day, "Synthèse des ateliers du forum.", 15)
    outcomes: dict[str, uuid.UUID] = {}

    async def forum_outcomes() -> None:
        proposal = await p.service.add_outcome(
            kind="proposal",
            text="Tenir les comités techniques après 18 h et envoyer les dossiers dix jours avant.",
            made_by="Conseils citoyens de Plaine Commune",
            made_on=forum_day,
            council_id=councils[0],
            instance_id=ids["forum"],
            theme=None,
        )
        commitment = await p.service.add_outcome(
            kind="commitment",
            text="Une réunion de préparation avant chaque COPIL, avec les conseils citoyens.",
            made_by="Vice-présidence à la politique de la ville",
            made_on=forum_day,
            council_id=None,
            instance_id=ids["forum"],
            theme=None,
        )
        outcomes["proposal"], outcomes["commitment"] = proposal.id, commitment.id

    plan(forum_day + timedelta(days=2), 11, forum_outcomes)
    plan(
        date(y + 1, 4, 14),
        9,
        lambda: p.service.update_outcome(outcomes["proposal"], "in_progress", "À l'étude par les services."),
    )
    plan(
        date(y + 1, 4, 14),
        10,
        lambda: p.service.update_outcome(outcomes["commitment"], "in_progress", "Première réunion en avril."),
    )
    plan(
        date(y + 1, 6, 16),
        9,
        lambda: p.service.update_outcome(outcomes["proposal"], "done", "Adopté : les comités sont le soir."),
    )

    # In spring, the open pool (the territory file's scenario from May): two comités techniques
    # in May, where every member of the concerned councils may register, not only the referents.
    for index, theme in enumerate(sorted(referents)[:2]):
        day = _weekday(y + 1, 5, 1 if index % 2 else 3, 2 + index)
        key, label = f"technique-printemps-{theme}", theme_names.get(theme, theme)
        plan(
            date(y + 1, 4, 15),
            9,
            schedule(
                key,
                "comite-technique",
                f"Comité technique « {label} » (vivier ouvert)",
                p.local(day, 18),
                hq,
                theme=theme,
            ),
        )
        plan(date(y + 1, 4, 16), 9, register(key, [members[c][-1] for c in councils[index::2]]))
        held(key, day, f"Avis du comité technique « {label} » ouvert à tous les membres.", 10)

    # The June COPIL closes the year.
    june = _weekday(y + 1, 6, 1, 4)
    plan(
        date(y + 1, 5, 4),
        9,
        schedule("copil3", "copil", "Comité de pilotage de fin d'année", p.local(june, 18, 30), hq),
    )
    plan(date(y + 1, 5, 5), 9, register("copil3", [m for c in councils for m in members[c][1:3]]))
    held("copil3", june, "Bilan de l'année et calendrier de la rentrée.", 11)

    for day, hour, _order, step in sorted(agenda, key=lambda item: item[:3]):
        p.at(day, hour)
        await step()

    # Upcoming, scheduled now: the agenda is not empty.
    p.service.clock = original
    soon = max(today, original().astimezone(p.zone).date())
    await schedule(
        "next-copil",
        "copil",
        "Comité de pilotage",
        p.local(_next_weekday(soon + timedelta(days=35), 1), 18, 30),
        hq,
    )()
    await register("next-copil", [members[c][0] for c in councils])()
    if referents:
        theme = sorted(referents)[0]
        await schedule(
            "next-technique",
            "comite-technique",
            f"Comité technique « {theme_names.get(theme, theme)} »",
            p.local(_next_weekday(soon + timedelta(days=28), 3), 18),
            hq,
            theme=theme,
        )()
    city_code, city = sorted(cities.items())[0]
    await schedule(
        "next-clip",
        "clip",
        f"CLIP {of_place(city)}",
        p.local(_next_weekday(soon + timedelta(days=42), 0), 18),
        f"Hôtel de ville {of_place(city)}",
        city_code=city_code,
    )()


def _cancel(p: Player, ids: Mapping[str, uuid.UUID], key: str) -> Step:
    async def step() -> None:
        await p.service.cancel(ids[key], "Salle indisponible : la CLIP est reportée.")

    return step


def _register_concerned(p: Player, ids: Mapping[str, uuid.UUID], key: str, per_council: int) -> Step:
    """Register the first members of each council the instance concerns."""

    async def step() -> None:
        for council_id in await p.concerned(ids[key]):
            await p.register(ids[key], list(p.members.get(council_id, []))[:per_council])

    return step


def _weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based) given weekday (0 = Monday) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)
