"""The public page of a council (issue 20, item 4), readable signed out: `/conseils/{slug}` (or
its id). It presents the council and its neighbourhood (the territory file), the opinions it gave
on the projects submitted to it (the meetings service's voice) and the commitments made to it,
with their status. Referents are not named: the registry's « shown to councillors » preference
is a consent to the other councils, not to the public, and no public consent exists yet — the
page says so. The site reads as itself and shows public fields only."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from conseils_runtime.territory import Council, TerritoryConfig
from conseils_schemas.labels import OUTCOME_STATUS_LABELS
from conseils_web.clients.meetings import Outcome
from conseils_web.clients.voice import CouncilOpinion
from conseils_web.context import render, site
from conseils_web.opinion_pages import LABELS, voice
from conseils_web.services import ApiError

router = APIRouter()


def _council(territory: TerritoryConfig, key: str) -> Council | None:
    return next((council for council in territory.councils if council.slug == key), None)


def _place(territory: TerritoryConfig, council: Council) -> tuple[str, str]:
    city = next(city for city in territory.cities if city.code == council.city)
    quarter = next(n for n in city.neighbourhoods if n.code == council.neighbourhood)
    return city.name, quarter.name


@router.get("/conseils/{key}", response_class=HTMLResponse)
async def council_page(request: Request, key: str) -> HTMLResponse:
    ctx = site(request)
    token = ctx.site_token()
    try:
        registered = await ctx.registry.councils(token)
    except ApiError as error:
        return render(
            request, "conseil-public.html", title="Conseil", service_error=str(error), status_code=503
        )
    by_id = {str(c.id): c for c in registered}
    council = _council(ctx.territory, key)
    if council is None and key in by_id:  # the id works too (the name links the file's entry)
        council = next((c for c in ctx.territory.councils if c.name == by_id[key].name), None)
    if council is None:
        raise StarletteHTTPException(404)
    council_id = next((c.id for c in registered if c.name == council.name), None)
    opinions: list[CouncilOpinion] = []
    commitments: list[Outcome] = []
    service_error: str | None = None
    if council_id is not None:
        try:
            opinions, outcomes = await asyncio.gather(
                voice(request).council_opinions(token, council_id), ctx.meetings.outcomes(token)
            )
            commitments = [o for o in outcomes if o.kind == "commitment" and o.council_id == council_id]
        except ApiError as error:
            service_error = str(error)
    city, quarter = _place(ctx.territory, council)
    return render(
        request,
        "conseil-public.html",
        title=council.name,
        council=council,
        city=city,
        quarter=quarter,
        opinions=opinions,
        commitments=commitments,
        status_label=OUTCOME_STATUS_LABELS,
        service_error=service_error,
        **LABELS,
    )
