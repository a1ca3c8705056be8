"""The bilan is kept while nothing it reads has changed (`bilan_cache`), on SQLite and PostgreSQL.

A second request with no new fact is served without computing; any fact recorded in between (by
this service, by its read model's consumer, or by another process on the same database) gives
the new figures; the figures served are those of an uncached computation, byte for byte."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from conseils_meetings import reports, tables
from conseils_meetings.app import create_app
from conseils_meetings.bilan_cache import BilanCache, SharedReads
from conseils_meetings.service import MeetingsService
from conseils_runtime import ServiceRuntime
from conseils_schemas import ReferentDesignated, ReferentWithdrawn

from .conftest import NOW, STAFF, Harness, apply_fact, meetings_settings
from .test_api import register, schedule

pytestmark = pytest.mark.postgres

YEAR = (date(2027, 1, 1), date(2027, 12, 31))
URL = "/bilan?from=2027-01-01&to=2027-12-31"
APRIL = datetime(2027, 4, 6, 16, 30, tzinfo=UTC)  # Tuesday 18:30 in Paris
MAY = APRIL + timedelta(days=35)
LOAD_BILAN = reports.load_bilan  # the computation itself, not counted by `computations`


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[date, date]]:
    """The periods `reports.load_bilan` computed, in order."""
    done: list[tuple[date, date]] = []
    load_bilan = LOAD_BILAN

    async def counted(session: Any, territory: Any, period_from: date, period_to: date) -> Any:
        done.append((period_from, period_to))
        return await load_bilan(session, territory, period_from, period_to)

    monkeypatch.setattr(reports, "load_bilan", counted)
    return done


async def uncached(service: MeetingsService, period: tuple[date, date] = YEAR) -> bytes:
    """The route's JSON computed afresh, from a session of its own."""
    async with service.database.sessionmaker() as session, session.begin():
        bilan = await LOAD_BILAN(session, service.territory, *period)
    return bytes(JSONResponse(bilan.as_dict()).body)


async def staff_get(harness: Harness, url: str = URL) -> bytes:
    response = await harness.client.get(url, headers=STAFF)
    assert response.status_code == 200, response.text
    return response.content


async def hold(harness: Harness, iid: str, starts_at: datetime, present: list[str]) -> None:
    """Attendance recorded three hours after the start (the clock moved, then put back)."""
    harness.clock.now = starts_at + timedelta(hours=3)
    response = await harness.client.post(
        f"/instances/{iid}/attendance",
        json={"present_member_ids": [str(harness.world.members[name]) for name in present]},
        headers=STAFF,
    )
    assert response.status_code == 200, response.text
    harness.clock.now = NOW


async def held_instance(harness: Harness, registered: list[str]) -> str:
    """An April COPIL held, its first registered member present; and a May one still to come."""
    iid = str((await schedule(harness, "copil", APRIL))["id"])
    for name in registered:
        await register(harness, iid, name)
    await hold(harness, iid, APRIL, registered[:1])
    await schedule(harness, "copil", MAY)
    return iid


async def spare(harness: Harness) -> str:
    """The May COPIL still to come."""
    async with harness.service.database.sessionmaker() as session:
        row = (
            await session.execute(select(tables.instances.c.id).where(tables.instances.c.starts_at == MAY))
        ).one()
    return str(row[0])


async def test_a_second_request_with_no_new_fact_is_not_computed_again(
    harness: Harness, computations: list[tuple[date, date]]
) -> None:
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    first = await staff_get(harness)
    again = await staff_get(harness)
    csv = await staff_get(harness, URL + "&format=csv")
    html = await staff_get(harness, URL + "&format=html")
    assert again == first
    assert csv.startswith("\ufeffniveau;".encode())
    assert b"<svg" in html
    assert computations == [YEAR]  # the JSON twice, the CSV and the HTML: one computation
    assert first == await uncached(harness.service)


async def _scheduled(harness: Harness) -> None:
    await schedule(harness, "copil", MAY + timedelta(days=7))


async def _registration(harness: Harness) -> None:
    await register(harness, await spare(harness), "floreal-2")


async def _attendance(harness: Harness) -> None:
    iid = await spare(harness)
    await register(harness, iid, "villette-0")
    await hold(harness, iid, MAY, ["villette-0"])


async def _cancelled(harness: Harness) -> None:
    response = await harness.client.post(
        f"/instances/{await spare(harness)}/cancel", json={"reason": "Salle indisponible"}, headers=STAFF
    )
    assert response.status_code == 200, response.text


async def _outcome(harness: Harness) -> None:
    response = await harness.client.post(
        "/outcomes",
        json={
            "kind": "commitment",
            "text": "Tenir les instances politiques en soirée",
            "made_by": "Vice-président politique de la ville",
            "made_on": "2027-05-15",
            "theme": "emploi",
        },
        headers=STAFF,
    )
    assert response.status_code in (200, 201), response.text


def _designated(harness: Harness, council: str) -> ReferentDesignated:
    """A santé referent from February: one council fewer without one (the vacancies)."""
    return ReferentDesignated(
        council_id=harness.world.councils[council],
        theme="sante",
        member_id=harness.world.members[f"{council}-1"],
        since=date(2027, 2, 1),
    )


async def _registry_fact(harness: Harness) -> None:
    """A referent withdrawn in June, applied as the read model's consumer does."""
    async with harness.service.database.sessionmaker() as session, session.begin():
        await apply_fact(
            ReferentWithdrawn(
                council_id=harness.world.councils["villette"],
                theme="emploi",
                member_id=harness.world.members["villette-0"],
                until=date(2027, 6, 15),
                reason="withdrawn",
            ),
            session,
        )


FACTS: dict[str, Callable[[Harness], Awaitable[None]]] = {
    "instance-scheduled": _scheduled,
    "attendance-recorded": _attendance,
    "registration": _registration,
    "instance-cancelled": _cancelled,
    "outcome-added": _outcome,
    "registry-fact-consumed": _registry_fact,
}


@pytest.mark.parametrize("fact", list(FACTS))
async def test_a_fact_recorded_between_two_requests_gives_the_new_figures(
    harness: Harness, computations: list[tuple[date, date]], fact: str
) -> None:
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    before = await staff_get(harness)
    await FACTS[fact](harness)
    after = await staff_get(harness)
    assert computations == [YEAR, YEAR]
    assert after == await uncached(harness.service)
    if fact != "registration":  # a registration to an instance not held yet counts nowhere
        assert after != before
    else:
        assert after == before
    assert await staff_get(harness) == after  # and kept again
    assert len(computations) == 2


async def test_a_write_by_another_process_on_the_same_database_is_seen(
    harness: Harness, computations: list[tuple[date, date]], database_url: str, tmp_path: Path
) -> None:
    """Another engine on the same database (a second worker, the CLI) records facts: the next
    request computes afresh."""
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    before = await staff_get(harness)
    other_app = create_app(meetings_settings(database_url, tmp_path / "other"))
    other: MeetingsService = other_app.state.service
    other_runtime: ServiceRuntime = other_app.state.runtime
    try:
        async with other.database.sessionmaker() as session, session.begin():
            await apply_fact(_designated(harness, "floreal"), session)  # its read model's consumer
        middle = await staff_get(harness)
        assert middle != before
        await other.cancel(uuid.UUID(await spare(harness)), "Salle indisponible")  # one of its use cases
        after = await staff_get(harness)
        assert after != middle
        assert after == await uncached(harness.service)
        assert await staff_get(harness) == after  # and kept
        assert computations == [YEAR, YEAR, YEAR]
    finally:
        await other_runtime.database.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: one writer at a time
async def test_a_fact_committed_out_of_id_order_is_seen(
    harness: Harness, computations: list[tuple[date, date]]
) -> None:
    """PostgreSQL hands out ids in insert order, not commit order: a transaction that wrote first
    and commits after a bilan was computed must still change the next one (why the fingerprint
    there is the fact clock, not the highest ids). SQLite has one writer at a time."""
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    database = harness.service.database
    outbox = harness.runtime.tables.outbox
    async with database.sessionmaker() as slow, slow.begin():
        await apply_fact(_designated(harness, "floreal"), slow)  # written first, committed last,
        await slow.execute(  # with an outbox row: its seq is below the next one's
            outbox.insert().values(
                event_id="written-first", topic="t", key="k", headers=[], created_at=NOW, attempts=0
            )
        )
        await _cancelled(harness)  # a fact written and committed meanwhile, with a higher seq
        meanwhile = await staff_get(harness)
    after = await staff_get(harness)
    assert after != meanwhile
    assert after == await uncached(harness.service)
    assert await staff_get(harness) == after  # and kept
    assert computations == [YEAR, YEAR]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_write_to_another_database_of_the_server_keeps_the_figures(
    harness: Harness, computations: list[tuple[date, date]], postgres_url: str
) -> None:
    """The registry's and notifications' databases usually share the meetings one's server: their
    writes (a delivery, a reminder, every few milliseconds under load) must not make the next
    request compute a national bilan again. The transaction snapshot, the fingerprint before the
    fact clock, moved with any of them."""
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    before = await staff_get(harness)
    other = create_async_engine(postgres_url)
    try:
        async with other.begin() as connection:
            await connection.execute(text("CREATE TABLE deliveries (id integer primary key)"))
        for number in range(3):
            async with other.begin() as connection:
                await connection.execute(text("INSERT INTO deliveries VALUES (:id)"), {"id": number})
    finally:
        await other.dispose()
    assert await staff_get(harness) == before
    assert computations == [YEAR]
    await _cancelled(harness)  # and a fact of its own still counts
    assert await staff_get(harness) == await uncached(harness.service)
    assert computations == [YEAR, YEAR]


async def test_concurrent_requests_share_one_computation_and_a_later_one_is_kept(
    harness: Harness, computations: list[tuple[date, date]]
) -> None:
    await held_instance(harness, ["franc-moisin-0"])
    answers = await asyncio.gather(*(harness.service.bilan(*YEAR) for _ in range(10)))
    assert {id(answer) for answer in answers} == {id(answers[0])}
    assert computations == [YEAR]
    assert await harness.service.bilan(*YEAR) is answers[0]
    assert computations == [YEAR]


async def test_a_few_periods_are_kept_the_least_recently_asked_goes_first(
    harness: Harness, computations: list[tuple[date, date]]
) -> None:
    periods = [(date(2027, month, 1), date(2027, month, 28)) for month in range(1, 7)]
    for period in periods[:4]:
        await harness.service.bilan(*period)
    await harness.service.bilan(*periods[0])  # kept, and now the most recent
    await harness.service.bilan(*periods[4])  # a fifth: the least recently asked (February) goes
    assert computations == periods[:5]
    await harness.service.bilan(*periods[0])
    await harness.service.bilan(*periods[1])
    assert computations == [*periods[:5], periods[1]]


def test_the_cache_keeps_the_figures_of_one_territory_configuration() -> None:
    cache = BilanCache(size=2)
    territory, other = object(), object()
    entry = cache.put(YEAR, ("sqlite", 1, 1), territory, bilan=object())  # type: ignore[arg-type]
    assert cache.get(YEAR, ("sqlite", 1, 1), territory) is entry
    assert cache.get(YEAR, ("sqlite", 1, 1), other) is None
    assert cache.get(YEAR, ("sqlite", 2, 1), territory) is None
    assert cache.put(YEAR, None, territory, bilan=object()) is not None  # type: ignore[arg-type]
    assert cache.get(YEAR, None, territory) is None  # a database we cannot fingerprint: nothing kept


async def test_the_html_is_rendered_again_when_its_minute_changes(
    harness: Harness, computations: list[tuple[date, date]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML says when it was produced ("Produit le … à 10 h 00"): kept within the minute only."""
    from conseils_meetings import api, bilan_outputs

    renders: list[str] = []
    bilan_html = bilan_outputs.bilan_html

    def counted(*args: Any) -> str:
        renders.append("html")
        return bilan_html(*args)

    minute = ["2027-03-01 10:00"]
    monkeypatch.setattr(bilan_outputs, "bilan_html", counted)
    monkeypatch.setattr(api, "_minute", lambda _timezone: minute[0])
    await held_instance(harness, ["franc-moisin-0"])
    first = await staff_get(harness, URL + "&format=html")
    assert await staff_get(harness, URL + "&format=html") == first
    assert renders == ["html"]
    minute[0] = "2027-03-01 10:01"
    assert b"Produit le" in await staff_get(harness, URL + "&format=html")
    assert renders == ["html", "html"]
    assert computations == [YEAR]


async def test_concurrent_requests_share_a_fingerprint_read_started_after_they_arrived() -> None:
    """Requests arriving while a read is under way wait for the next one: the one under way may
    predate a fact committed before they arrived."""
    reads = SharedReads()
    database = {"version": 1}
    reading = asyncio.Event()
    release = asyncio.Event()

    async def fetch() -> Any:
        seen = database["version"]
        reading.set()
        await release.wait()
        return ("test", seen)

    first = [asyncio.create_task(reads.read(fetch)) for _ in range(10)]  # all before it starts
    await reading.wait()
    database["version"] = 2  # committed while the first read is under way
    later = [asyncio.create_task(reads.read(fetch)) for _ in range(10)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*first) == [("test", 1)] * 10
    assert await asyncio.gather(*later) == [("test", 2)] * 10
    assert reads.reads == 2
