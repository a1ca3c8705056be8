"""Concurrent requests for one bilan share one computation; few periods are computed at once; a
requester that goes away does not cancel what the others wait for (issue 17, item 6: 50 staff
pages computed the national bilan 50 times side by side, 1,557 MiB of peak RSS)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conseils_meetings.bilan_flights import SharedComputations

from .conftest import Harness


async def test_concurrent_requests_for_one_period_share_one_computation() -> None:
    flights: SharedComputations[str] = SharedComputations()
    calls = 0
    release = asyncio.Event()

    async def compute() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "bilan"

    waiters = [asyncio.create_task(flights.get(("2027-01-01", "2027-12-31"), compute)) for _ in range(50)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiters) == ["bilan"] * 50
    assert calls == 1
    assert (
        await flights.get(("2027-01-01", "2027-12-31"), compute) == "bilan"
    )  # a later request: computed anew
    assert calls == 2


async def test_at_most_two_periods_are_computed_at_once() -> None:
    flights: SharedComputations[int] = SharedComputations(at_once=2)
    running = peak = 0

    def compute_for(value: int):  # type: ignore[no-untyped-def]
        async def compute() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.02)
            running -= 1
            return value

        return compute

    results = await asyncio.gather(*(flights.get(period, compute_for(period)) for period in range(6)))
    assert results == list(range(6))
    assert peak == 2


async def test_a_requester_that_goes_away_does_not_cancel_the_others_computation() -> None:
    flights: SharedComputations[str] = SharedComputations()
    release = asyncio.Event()

    async def compute() -> str:
        await release.wait()
        return "bilan"

    first = asyncio.create_task(flights.get("year", compute))
    second = asyncio.create_task(flights.get("year", compute))
    await asyncio.sleep(0.01)
    first.cancel()
    release.set()
    assert await second == "bilan"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert flights.started == 1


async def test_a_failed_computation_reaches_every_waiter_and_is_not_kept() -> None:
    flights: SharedComputations[str] = SharedComputations()

    async def broken() -> str:
        await asyncio.sleep(0.01)
        raise RuntimeError("base indisponible")

    outcomes = await asyncio.gather(*(flights.get("year", broken) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert flights.started == 1

    async def fine() -> str:
        return "bilan"

    assert await flights.get("year", fine) == "bilan"


@pytest.mark.postgres
async def test_the_service_bilan_goes_through_the_shared_computations(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Attendance.bilan` (GET /bilan, the staff bilan pages) computes a period once for the
    requests that arrive while it is being computed."""
    from datetime import date

    from conseils_meetings import reports

    loads: list[tuple[date, date]] = []
    load_bilan = reports.load_bilan

    async def load(session: Any, territory: Any, period_from: date, period_to: date) -> Any:
        loads.append((period_from, period_to))
        await asyncio.sleep(0.02)
        return await load_bilan(session, territory, period_from, period_to)

    monkeypatch.setattr(reports, "load_bilan", load)
    year = (date(2027, 1, 1), date(2027, 12, 31))
    answers = await asyncio.gather(*(harness.service.bilan(*year) for _ in range(10)))
    assert [(a.period_from, a.period_to) for a in answers] == [year] * 10
    assert loads == [year]


async def test_a_request_joins_a_computation_of_its_group_only_if_it_has_not_started() -> None:
    """A computation waiting for its slot reads its snapshot later, so any request of its group
    may join it; one already started is joined only under its own key (the same fingerprint)."""
    flights: SharedComputations[str] = SharedComputations(at_once=1)
    release = asyncio.Event()
    started: list[str] = []

    def compute_for(name: str):  # type: ignore[no-untyped-def]
        async def compute() -> str:
            started.append(name)
            await release.wait()
            return name

        return compute

    first = asyncio.create_task(flights.get(("year", 1), compute_for("first"), group="year"))
    await asyncio.sleep(0.01)  # started: it holds the only slot
    second = asyncio.create_task(flights.get(("year", 2), compute_for("second"), group="year"))
    await asyncio.sleep(0.01)  # another key: a computation of its own, waiting for the slot
    third = asyncio.create_task(flights.get(("year", 3), compute_for("third"), group="year"))
    same = asyncio.create_task(flights.get(("year", 1), compute_for("again"), group="year"))
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(first, second, third, same) == ["first", "second", "second", "first"]
    assert started == ["first", "second"]
    assert flights.started == 2
