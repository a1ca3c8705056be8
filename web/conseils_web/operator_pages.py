"""Operator pages (/exploitation): the event flows of the territory, read-only.

The same views as `conseils ops status | trace | dlq list`, from the same
code (`conseils_runtime.flows`): topics with their volume and recent rate,
consumer groups with their lag in messages and in time, dead letters (origin
and error, never the body: it may hold personal data), and the timeline of
one instance or correlation id.
"""

from __future__ import annotations

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
        status = await flows.collect_status(_bootstrap(request), territory, window=1.0)
        dead_letters = await flows.list_dead_letters(_bootstrap(request), territory, last=3)
    except flows.OpsError as error:
        return render(
            request, "exploitation.html", title="Exploitation", active="exploitation", error=str(error)
        )
    topics = [t for t in status.topics if t.exists and not t.dead_letter]
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
