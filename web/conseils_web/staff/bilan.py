"""Staff page of the year's results (/equipe/bilan): the period (the school year by default),
then the bilan itself inside the site's layout, drawn from the meetings service's JSON
(`bilan_view`); the CSV download; the old report address sends to this page."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from conseils_web.context import render, site, user_token
from conseils_web.demo_year_file import read_demo_year
from conseils_web.security import require_staff
from conseils_web.services import ApiError
from conseils_web.staff import bilan_compare, bilan_view
from conseils_web.staff.bilan_view import school_year

__all__ = ["router", "school_year"]

router = APIRouter(prefix="/equipe")


def _period(request: Request) -> tuple[dict[str, str], bilan_view.Errors]:
    today = datetime.now(ZoneInfo(site(request).timezone)).date()
    return bilan_view.read_period(request.query_params.get("from"), request.query_params.get("to"), today)


@router.get("/bilan", response_class=HTMLResponse)
async def bilan(request: Request) -> HTMLResponse:
    require_staff(request)
    typed, errors = _period(request)
    page: dict[str, Any] = {"title": "Bilan", "active": "equipe-bilan", "period": typed, "errors": errors}
    page["demo_year"] = read_demo_year(site(request).demo_year_file)
    if errors:
        return render(request, "equipe/bilan.html", status_code=422, **page)
    try:
        figures_html = await _figures_html(request, typed)
    except ApiError as error:
        return render(request, "equipe/bilan.html", service_error=str(error), **page)
    return render(request, "equipe/bilan.html", figures_html=figures_html, **page)


async def _figures_html(request: Request, typed: dict[str, str]) -> Markup:
    """The bilan's figures as HTML (equipe/_bilan_chiffres.html), the same for every staff member:
    rendered once for each ETag of the meetings service's answer and kept (`TaggedCache`); the
    next request asks with If-None-Match and, on 304, takes what was kept. No await between
    looking and keeping: concurrent requests that got the same answer render it once."""
    ctx = site(request)
    period = (typed["from"], typed["to"])
    kept = ctx.bilan_figures.tag(period)
    answer = await ctx.meetings.bilan(user_token(request), *period, "json", if_none_match=kept)
    tag = kept if answer.not_modified else answer.etag
    cached = ctx.bilan_figures.get(period, tag)
    if cached is not None:
        return cached
    if answer.not_modified:  # forgotten meanwhile (another period pushed it out): ask in full
        answer = await ctx.meetings.bilan(user_token(request), *period, "json")
    figures = json.loads(answer.content)
    themes = {theme.slug: theme.name for theme in ctx.territory.themes}
    html = ctx.templates.get_template("equipe/_bilan_chiffres.html").render(
        bilan=figures,
        charts=bilan_view.charts(figures),
        comparisons=bilan_compare.comparisons(figures),
        gaps=bilan_view.gaps(figures, themes),
        outcomes=bilan_view.outcome_rows(figures),
        percent=bilan_view.percent,
        number=bilan_view.number,
        day=ctx.day,
        csv_url="/equipe/bilan/rapport?" + urlencode({"from": period[0], "to": period[1], "format": "csv"}),
    )
    return ctx.bilan_figures.put(period, answer.etag, Markup(html))  # noqa: S704 - rendered by Jinja, autoescaped


@router.get("/bilan/rapport")
async def bilan_report(request: Request) -> Response:
    """The CSV download; without `format=csv`, the page of the same period."""
    require_staff(request)
    typed, errors = _period(request)
    query = urlencode({"from": typed["from"], "to": typed["to"]})
    if request.query_params.get("format") != "csv" or errors:
        return RedirectResponse(f"/equipe/bilan?{query}", status_code=303)
    upstream = await site(request).meetings.bilan(user_token(request), typed["from"], typed["to"], "csv")
    headers = {"Content-Disposition": f'attachment; filename="bilan-{typed["from"]}-{typed["to"]}.csv"'}
    return Response(upstream.content, media_type=upstream.media_type, headers=headers)
