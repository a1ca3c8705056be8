"""A year of a territory on the real broker, then its bilan rebuilt from the log alone.

Members join and leave, a referent is replaced mid-year, a council is
dissolved; instances are scheduled, rescheduled, cancelled and held; a waiting
list moves; dossiers, attendance, minutes; forum proposals and commitments
change status. The live bilan and the bilan of a database rebuilt from the
topics alone (`replay.read_log` + `replay.rebuild`, what `conseils bilan
--replay` runs) are the same JSON, byte for byte. The figures of the year are
checked too, so that "identical" never means "both empty".
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from conseils_meetings import tables
from conseils_meetings.app import create_app
from conseils_meetings.replay import read_log, rebuild
from conseils_meetings.reports import load_bilan
from conseils_meetings.service import MeetingsService
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_runtime.territory import default_territory_path
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    Event,
    MemberJoined,
    MemberLeft,
    ReferentDesignated,
    ReferentWithdrawn,
)

from .conftest import STAFF, Clock, auth, meetings_settings
from .test_flow_kafka import publish_as_registry

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PERIOD = (date(2026, 9, 1), date(2027, 8, 31))
COUNCILS = {
    "A": ("93066", "Saint-Denis", "Franc-Moisin"),
    "B": ("93066", "Saint-Denis", "Floréal"),
    "C": ("93001", "Aubervilliers", "Villette"),
    "D": ("93072", "Stains", "Clos Saint-Lazare"),
}
MEMBERS = {"A": 4, "B": 3, "C": 2, "D": 1}


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local Paris time given as UTC (winter: UTC+1, summer: UTC+2)."""
    offset = 2 if 4 <= month <= 10 else 1
    return datetime(year, month, day, hour - offset, minute, tzinfo=UTC)


class Year:
    def __init__(
        self, client: httpx.AsyncClient, service: MeetingsService, kafka: str, territory: str
    ) -> None:
        self.client, self.service, self.kafka, self.territory = client, service, kafka, territory
        self.clock = Clock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        service.clock = self.clock
        self.councils = {name: uuid.uuid4() for name in COUNCILS}
        self.members = {f"{c}{i}": uuid.uuid4() for c, n in MEMBERS.items() for i in range(n)}

    def at(self, when: datetime) -> None:
        self.clock.now = when

    async def registry(self, events: list[Event], ready: Any) -> None:
        """Publish as the registry does, then wait until the meetings consumer has applied them."""
        await publish_as_registry(self.kafka, self.territory, events)
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            async with self.service.database.sessionmaker() as session:
                if await ready(session):
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"the read model never applied {[type(e).__name__ for e in events]}")

    async def call(self, method: str, url: str, headers: dict[str, str] = STAFF, **kwargs: Any) -> Any:
        response = await self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text}"
        return response.json()

    async def schedule(self, kind: str, starts_at: datetime, **extra: Any) -> str:
        body = {
            "instance_type": kind,
            "title": f"{kind} du {starts_at:%d/%m/%Y}",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "location": "Hôtel de ville de Saint-Denis",
            **extra,
        }
        return str((await self.call("POST", "/instances", json=body))["id"])

    async def register(self, iid: str, member: str, mode: str = "participant") -> str:
        body = await self.call(
            "POST",
            f"/instances/{iid}/registrations",
            headers=auth("councillor", self.members[member]),
            json={"mode": mode},
        )
        return str(body["status"])

    async def dossier(self, iid: str) -> None:
        files = {"file": ("dossier.pdf", b"%PDF-1.4 ordre du jour", "application/pdf")}
        await self.call("POST", f"/instances/{iid}/documents", files=files)
        await self.call("POST", f"/instances/{iid}/dossier/publish")

    async def attendance(self, iid: str, present: list[str]) -> None:
        ids = [str(self.members[name]) for name in present]
        await self.call("POST", f"/instances/{iid}/attendance", json={"present_member_ids": ids})

    async def play(self) -> None:
        c, m = self.councils, self.members
        joined = [
            MemberJoined(
                member_id=m[name], council_id=c[name[0]], college="habitants", joined_on=date(2026, 9, 1)
            )
            for name in m
        ]
        await self.registry(
            [
                *(
                    CouncilRegistered(
                        council_id=c[name],
                        territory=self.territory,
                        city=city,
                        city_code=code,
                        neighbourhood=quarter,
                        name=f"Conseil citoyen {quarter}",
                    )
                    for name, (code, city, quarter) in COUNCILS.items()
                ),
                *joined,
                ReferentDesignated(
                    council_id=c["A"], theme="emploi", member_id=m["A0"], since=date(2026, 9, 1)
                ),
                ReferentDesignated(
                    council_id=c["B"], theme="emploi", member_id=m["B0"], since=date(2026, 9, 1)
                ),
            ],
            lambda s: _count(s, tables.referent_terms, 2, tables.members, len(m)),
        )

        # September: the first COPIL; a waiting list that moves; the dossier on time.
        self.at(datetime(2026, 9, 5, 8, tzinfo=UTC))
        copil1 = await self.schedule("copil", paris(2026, 10, 6, 18, 30))
        assert [await self.register(copil1, x) for x in ("A0", "A1", "A2")] == [
            "confirmed",
            "confirmed",
            "waitlisted",
        ]
        assert await self.register(copil1, "B0", "observer") == "confirmed"
        await self.call(
            "DELETE", f"/instances/{copil1}/registrations/me", headers=auth("councillor", m["A1"])
        )
        technique1 = await self.schedule("comite-technique", paris(2026, 11, 10, 18), theme="emploi")
        await self.register(technique1, "A0")
        clip = await self.schedule("clip", paris(2026, 12, 1, 18), city_code="93066")
        await self.register(clip, "B1")
        self.at(datetime(2026, 9, 20, 8, tzinfo=UTC))
        await self.dossier(copil1)

        self.at(datetime(2026, 10, 7, 8, tzinfo=UTC))
        await self.attendance(copil1, ["A0", "A2", "B0", "C0"])  # C0 came without registering
        await self.call("POST", f"/instances/{copil1}/minutes", json={"summary": "Relevé de décisions."})

        self.at(datetime(2026, 11, 11, 8, tzinfo=UTC))
        await self.attendance(technique1, ["A0"])
        self.at(datetime(2026, 11, 20, 8, tzinfo=UTC))
        await self.call("POST", f"/instances/{clip}/cancel", json={"reason": "Salle indisponible"})

        # December: a second COPIL, moved by a week; a forum on a Saturday morning.
        self.at(datetime(2026, 12, 1, 8, tzinfo=UTC))
        copil2 = await self.schedule("copil", paris(2027, 1, 12, 18, 30))
        await self.call(
            "POST",
            f"/instances/{copil2}/reschedule",
            json={
                "starts_at": paris(2027, 1, 19, 18, 30).isoformat(),
                "ends_at": paris(2027, 1, 19, 20, 30).isoformat(),
            },
        )
        await self.register(copil2, "B1")
        forum = await self.schedule("forum", paris(2027, 2, 6, 10))
        await self.register(forum, "C1")
        self.at(datetime(2027, 1, 20, 8, tzinfo=UTC))
        await self.attendance(copil2, ["A0", "B0", "B1"])
        self.at(datetime(2027, 2, 7, 8, tzinfo=UTC))
        await self.attendance(forum, ["A0", "C0", "C1", "D0"])
        proposal = await self.call(
            "POST",
            "/outcomes",
            json={
                "kind": "proposal",
                "text": "Tenir les comités techniques après 18 h.",
                "made_by": "Conseil citoyen Franc-Moisin",
                "made_on": "2027-02-06",
                "council_id": str(c["A"]),
                "instance_id": forum,
                "theme": "emploi",
            },
        )
        commitment = await self.call(
            "POST",
            "/outcomes",
            json={
                "kind": "commitment",
                "text": "Envoyer les dossiers dix jours avant.",
                "made_by": "Vice-président à la politique de la ville",
                "made_on": "2027-02-06",
                "instance_id": forum,
            },
        )

        # March: council D is dissolved; its member leaves.
        self.at(datetime(2027, 3, 2, 8, tzinfo=UTC))
        await self.registry(
            [
                CouncilDissolved(council_id=c["D"], dissolved_on=date(2027, 3, 1)),
                MemberLeft(member_id=m["D0"], council_id=c["D"], left_on=date(2027, 3, 1)),
            ],
            lambda s: _dissolved(s, c["D"]),
        )
        await self.call(
            "POST",
            f"/outcomes/{proposal['id']}/updates",
            json={"status": "in_progress", "note": "À l'étude."},
        )

        # June: the Franc-Moisin Emploi referent is replaced, then two members leave.
        self.at(datetime(2027, 6, 2, 8, tzinfo=UTC))
        await self.registry(
            [
                ReferentWithdrawn(
                    council_id=c["A"],
                    theme="emploi",
                    member_id=m["A0"],
                    until=date(2027, 6, 1),
                    reason="replaced",
                ),
                ReferentDesignated(
                    council_id=c["A"], theme="emploi", member_id=m["A3"], since=date(2027, 6, 1)
                ),
                MemberLeft(member_id=m["A1"], council_id=c["A"], left_on=date(2027, 6, 15)),
                MemberLeft(member_id=m["A2"], council_id=c["A"], left_on=date(2027, 6, 15)),
            ],
            lambda s: _count(s, tables.referent_terms, 3, tables.members, len(m), inactive=3),
        )
        technique2 = await self.schedule("comite-technique", paris(2027, 7, 6, 18), theme="emploi")
        await self.register(technique2, "A3")
        self.at(datetime(2027, 7, 7, 8, tzinfo=UTC))
        await self.attendance(technique2, ["A3"])
        await self.call(
            "POST", f"/outcomes/{proposal['id']}/updates", json={"status": "done", "note": "Adopté."}
        )
        await self.call(
            "POST",
            f"/outcomes/{commitment['id']}/updates",
            json={"status": "in_progress", "note": "En partie."},
        )
        # After the period: a change that the period's bilan must not see.
        self.at(datetime(2027, 9, 15, 8, tzinfo=UTC))
        await self.call(
            "POST", f"/outcomes/{commitment['id']}/updates", json={"status": "done", "note": "Tenu."}
        )


async def _count(
    session: Any, terms: Any, n_terms: int, members: Any, n_members: int, *, inactive: int = 0
) -> bool:
    got_terms = await session.scalar(select(func.count()).select_from(terms))
    got_members = await session.scalar(select(func.count()).select_from(members))
    got_inactive = await session.scalar(
        select(func.count()).select_from(members).where(members.c.active.is_(False))
    )
    return bool(got_terms == n_terms and got_members == n_members and got_inactive == inactive)


async def _dissolved(session: Any, council_id: uuid.UUID) -> bool:
    row = (
        await session.execute(select(tables.councils).where(tables.councils.c.council_id == council_id))
    ).first()
    inactive = await session.scalar(
        select(func.count()).select_from(tables.members).where(tables.members.c.active.is_(False))
    )
    return row is not None and row.dissolved_on is not None and inactive == 1


async def _relayed(service: MeetingsService, runtime: Any) -> None:
    table = runtime.tables.outbox
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        async with service.database.sessionmaker() as session:
            if not await session.scalar(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            ):
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the outbox was never fully relayed")


def as_json(bilan: Any) -> str:
    return json.dumps(bilan.as_dict(), sort_keys=True, indent=2, ensure_ascii=False)


async def test_a_year_replayed_from_the_log_gives_the_same_bilan(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    # The year runs under referent per theme (the demo's comités techniques are an open pool from May 2026).
    referent_only = tmp_path / "territoire.yaml"
    demo = default_territory_path().read_text(encoding="utf-8")
    pool = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
    assert pool in demo
    referent_only.write_text(demo.replace(pool, ""), encoding="utf-8")
    settings = meetings_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}",
        tmp_path,
        territory=territory,
        territory_file=referent_only,
        kafka_bootstrap_servers=kafka_bootstrap,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings)
    service: MeetingsService = app.state.service
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            year = Year(client, service, kafka_bootstrap, territory)
            await year.play()
        await _relayed(service, app.state.runtime)
        async with service.database.sessionmaker() as session:
            live = await load_bilan(session, settings.territory_config, *PERIOD)

    rebuilt = Database(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await rebuilt.create_all(metadata)
        started = time.perf_counter()
        log = await read_log(kafka_bootstrap, territory)
        applied = await rebuild(rebuilt, settings.territory_config, log)
        async with rebuilt.sessionmaker() as session:
            replayed = await load_bilan(session, settings.territory_config, *PERIOD)
        seconds = time.perf_counter() - started
    finally:
        await rebuilt.dispose()
    print(f"\nyear scenario: {applied} events replayed, bilan rebuilt in {seconds:.2f} s")
    (tmp_path / "live.json").write_text(as_json(live), encoding="utf-8")
    assert as_json(replayed) == as_json(live)

    # The figures of the year, as they were on each date.
    total = live.total
    assert (total.instances_concerned, total.instances_held, live.instances_cancelled) == (6, 5, 1)
    assert (total.registered, total.registered_participants, total.registered_observers) == (7, 6, 1)
    assert (total.present, total.present_unregistered, total.registered_absent) == (13, 6, 0)
    by_council = {row.label: row for row in live.by_council}
    franc_moisin = by_council["Conseil citoyen Franc-Moisin"]
    # Invited to the October COPIL and the January one, the forum: its 4 members (2 left in June).
    assert franc_moisin.invited == 4 + 4 + 4 + 1 + 1  # + the Emploi referent to each comité technique
    emploi = next(row for row in live.by_theme if row.key == "emploi")
    assert (emploi.referents_expected, emploi.referents_present) == (4, 2)  # A0 in Nov., A3 in July; B0 never
    stains = by_council["Conseil citoyen Clos Saint-Lazare"]
    assert stains.invited == 1 + 1 + 1  # both COPILs and the forum, before its dissolution
    copil = next(row for row in live.by_type if row.key == "copil")
    assert (copil.political_held, copil.political_evening) == (2, 2)
    forum = next(row for row in live.by_type if row.key == "forum")
    assert (forum.political_evening, forum.political_saturday, forum.evening_share) == (0, 1, 0.0)
    assert live.outcomes["proposal"]["done"] == 1
    assert live.outcomes["commitment"]["in_progress"] == 1  # "done" came after the period
    cities = {row.label: row for row in live.by_city}
    assert cities["Saint-Denis"].present == 3 + 1 + 3 + 1 + 1  # A and B together
    vacancies = {(v.theme, v.day): v.without_referent for v in live.vacancies}
    assert vacancies[("emploi", date(2026, 9, 1))] == 2  # C and D never had one
    assert vacancies[("emploi", date(2027, 8, 31))] == 1  # D dissolved: only C is left without
