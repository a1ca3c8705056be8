"""Operator pages (/exploitation): the event flows of the territory, read-only.

The same views as `conseils ops status | trace | dlq list`, from the same
code (`conseils_runtime.flows`): topics with their volume and recent rate,
consumer groups with their lag in messages and in time, dead letters (origin
and error, never the body: it may hold personal data), and the timeline of
one instance or correlation id.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conseils_runtime import flows
from conseils_web.context import render, site
from conseils_web.security import require

router = APIRouter(prefix="/exploitation")


def _bootstrap(request: Request) -> str:
    bootstrap: str = request.app.state.kafka_bootstrap
    return bootstrap


@dataclass(frozen=True)
class _Sample:
    """The topics' message counts at one view of the page: the next view's rates are measured
    against it, instead of the page waiting a second to measure them (``conseils ops status``)."""

    at: float
    messages: dict[str, int]


_MAX_RATE_AGE_SECONDS = 3600.0
"""A previous view older than this says nothing of the recent rate: no rate shown."""


def _rates(request: Request, topics: list[flows.TopicStats]) -> tuple[dict[str, float], float | None]:
    """Messages per second of each topic since the previous view (and that view's age), or no
    rate on a first view. Retention may lower a count: a rate is never below zero."""
    now = time.monotonic()
    previous: _Sample | None = getattr(request.app.state, "exploitation_sample", None)
    request.app.state.exploitation_sample = _Sample(now, {t.topic: t.messages for t in topics})
    if previous is None or not 0 < now - previous.at <= _MAX_RATE_AGE_SECONDS:
        return {}, None
    elapsed = now - previous.at
    return {
        t.topic: round(max(t.messages - previous.messages[t.topic], 0) / elapsed, 2)
        for t in topics
        if t.topic in previous.messages
    }, elapsed


def _bars(rows: list[tuple[str, float]], unit: str) -> dict[str, Any]:
    """Horizontal bars drawn as inline SVG (no JavaScript)."""
    peak = max((value for _label, value in rows), default=0) or 1
    return {
        "unit": unit,
        "height": 22 * len(rows) + 4,
        "rows": [
            {"label": label, "value": value, "width": round(300 * value / peak, 1), "y": 22 * index + 2}
            for index, (label, value) in enumerate(rows)
        ],
    }


@router.get("", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    require(request, "operator")
    territory = site(request).territory.territory.slug
    try:
        # Both at once, and no measuring window: the rates are those since the previous view.
        status, dead_letters = await asyncio.gather(
            flows.collect_status(_bootstrap(request), territory, window=0),
            flows.list_dead_letters(_bootstrap(request), territory, last=3),
        )
    except flows.OpsError as error:
        return render(
            request, "exploitation.html", title="Exploitation", active="exploitation", error=str(error)
        )
    topics = [t for t in status.topics if t.exists and not t.dead_letter]
    rates, rate_seconds = _rates(request, topics)
    lags: dict[str, int] = {}
    for lag in status.groups:
        lags[lag.group] = lags.get(lag.group, 0) + lag.lag_messages
    return render(
        request,
        "exploitation.html",
        title="Exploitation",
        active="exploitation",
        status=status,
        topics=topics,
        rates=rates,
        rate_seconds=rate_seconds,
        groups=status.groups,
        volume_chart=_bars([(t.topic.removeprefix(f"{territory}."), t.messages) for t in topics], "messages"),
        lag_chart=_bars(sorted(lags.items()), "messages en retard"),
        dead_letters=[d for d in dead_letters if d.count],
        not_replayed=status.dead_letters_not_replayed,
    )


@router.get("/trace", response_class=HTMLResponse)
async def trace(request: Request, id: str = "") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    require(request, "operator")
    territory = site(request).territory.territory.slug
    entries: list[flows.TraceEntry] = []
    error = None
    if id.strip():
        try:
            entries = await flows.trace(_bootstrap(request), territory, id)
        except flows.OpsError as failure:
            error = str(failure)
    return render(
        request,
        "exploitation-trace.html",
        title="Suivre une instance",
        active="exploitation",
        ident=id,
        entries=entries,
        error=error,
    )
