"""Staff page of the year's results (/equipe/bilan)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.context import render, site, user_token
from conseils_web.security import require_staff

router = APIRouter(prefix="/equipe")


def school_year(today: date) -> tuple[date, date]:
    """The year the councils and the contrat de ville count in: 1 September to 31 August
    (the Plaine Commune bilan covered 2016-17)."""
    first = today.year if today.month >= 9 else today.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def _period(request: Request) -> tuple[str, str]:
    default_start, default_end = school_year(datetime.now(ZoneInfo(site(request).timezone)).date())
    start = request.query_params.get("from") or default_start.isoformat()
    end = request.query_params.get("to") or default_end.isoformat()
    try:
        return date.fromisoformat(start).isoformat(), date.fromisoformat(end).isoformat()
    except ValueError:
        return default_start.isoformat(), default_end.isoformat()


@router.get("/bilan", response_class=HTMLResponse)
async def bilan(request: Request) -> HTMLResponse:
    require_staff(request)
    start, end = _period(request)
    return render(request, "equipe/bilan.html", title="Bilan", active="equipe-bilan", start=start, end=end)


@router.get("/bilan/rapport")
async def bilan_report(request: Request) -> Response:
    require_staff(request)
    start, end = _period(request)
    fmt = "csv" if request.query_params.get("format") == "csv" else "html"
    upstream = await site(request).meetings.bilan(user_token(request), start, end, fmt)
    headers = {}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="bilan-{start}-{end}.csv"'
    return Response(upstream.content, media_type=upstream.media_type, headers=headers)
