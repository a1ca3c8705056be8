"""The territory's agenda, filtered (who, type, when), each instance saying who may register
how and why; what a registration state lets a page offer (`registration_state`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conseils_web import agendas, frenchdates
from conseils_web.clients.meetings import (
    AgendaQuery,
    InstanceSummary,
    MyRegistration,
)
from conseils_web.context import render, site, user_token
from conseils_web.labels import (
    OPEN_STATUSES,
)
from conseils_web.security import (
    current_user,
    require_councillor,
)

router = APIRouter()


def active_registrations(rows: list[MyRegistration]) -> dict[str, MyRegistration]:
    return {str(row.instance_id): row for row in rows if row.status != "cancelled"}


# The agenda's filters, in the page's address (a GET form: it works without JavaScript):
# French words in the URL, the meetings API's values behind them.
AGENDA_SCOPES = {
    "toutes": ("all", "Tout le territoire"),
    "mes": ("mine", "Mon conseil et mes thématiques"),
    "conseil": ("council", "Mon conseil"),
    "thematiques": ("themes", "Mes thématiques"),
    "ville": ("city", "Ma ville"),
}
AGENDA_PERIODS = {"a-venir": ("upcoming", "À venir"), "passees": ("past", "Passées")}
AGENDA_DEFAULTS = {"voir": "toutes", "type": "", "quand": "a-venir"}
AGENDA_PAGE = 30
"""Instances per page of the agenda: the territory's whole year would be hundreds of cards (and
as many access computations in the meetings service); the page asks for one more to know
whether another page follows."""


def agenda_page_number(request: Request) -> int:
    """The agenda's page in the address (`page`, from 1); anything else is the first page."""
    raw = str(request.query_params.get("page") or "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1


def agenda_filters(request: Request, params: Mapping[str, object] | None = None) -> dict[str, str]:
    """The agenda's filters from the address (or a form): known values only, else the defaults."""
    values = params if params is not None else request.query_params
    known_types = {kind.slug for kind in site(request).territory.instance_types}
    voir, kind, quand = (str(values.get(key) or "") for key in ("voir", "type", "quand"))
    return {
        "voir": voir if voir in AGENDA_SCOPES else AGENDA_DEFAULTS["voir"],
        "type": kind if kind in known_types else "",
        "quand": quand if quand in AGENDA_PERIODS else AGENDA_DEFAULTS["quand"],
    }


def agenda_url(filters: Mapping[str, str]) -> str:
    """/agenda with the filters that differ from the defaults."""
    query = {key: value for key, value in filters.items() if value and value != AGENDA_DEFAULTS[key]}
    return "/agenda" + (f"?{urlencode(query)}" if query else "")


@router.get("/agenda", response_class=HTMLResponse)
async def agenda(request: Request) -> HTMLResponse:
    """The territory's agenda, filtered (who, type, when), each instance saying who may
    register how and why (the meetings service's `access`)."""
    require_councillor(request)
    ctx, token = site(request), user_token(request)
    filters = agenda_filters(request)
    page = agenda_page_number(request)
    query = AgendaQuery(
        scope=AGENDA_SCOPES[filters["voir"]][0],
        type=filters["type"] or None,
        when=AGENDA_PERIODS[filters["quand"]][0],
        limit=AGENDA_PAGE + 1,
        offset=(page - 1) * AGENDA_PAGE or None,
    )
    instances, mine = await asyncio.gather(
        ctx.meetings.agenda(token, query), ctx.meetings.my_registrations(token)
    )
    has_next = len(instances) > AGENDA_PAGE
    instances = instances[:AGENDA_PAGE]
    now = ctx.clock()
    return render(
        request,
        "agenda.html",
        title="Agenda",
        active="agenda",
        instances=instances,
        states={str(row.id): registration_state(row, now) for row in instances},
        mine=active_registrations(mine),
        filters=filters,
        scopes=[(key, label) for key, (_value, label) in AGENDA_SCOPES.items()],
        periods=[(key, label) for key, (_value, label) in AGENDA_PERIODS.items()],
        kinds=[(kind.slug, kind.name) for kind in ctx.territory.instance_types],
        back_to=agenda_url(filters),
        pages=_pages(filters, page, has_next, len(instances)),
        public_feed=agendas.territory_feed(ctx.public_base_url, ctx.territory.territory.name),
        feeds=agenda_feeds(request)[1:],
    )


def _pages(filters: Mapping[str, str], page: int, has_next: bool, shown: int) -> dict[str, Any]:
    """The agenda's page links (none when everything fits on one page)."""

    def url(number: int) -> str:
        base = agenda_url(filters)
        return base if number == 1 else f"{base}{'&' if '?' in base else '?'}page={number}"

    first = (page - 1) * AGENDA_PAGE + 1
    return {
        "paged": page > 1 or has_next,
        "first": first,
        "last": first + shown - 1,
        "previous": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if has_next else None,
    }


def agenda_feeds(request: Request) -> list[agendas.FeedLink]:
    """The feeds the agenda page offers: the territory's, her council's, each theme's."""
    ctx, principal = site(request), current_user(request)
    feeds = [agendas.territory_feed(ctx.public_base_url, ctx.territory.territory.name)]
    if principal is not None and principal.council_id is not None:
        feeds.append(agendas.council_feed(ctx.public_base_url, principal.council_id))
    feeds.extend(
        agendas.theme_feed(ctx.public_base_url, theme.slug, theme.name) for theme in ctx.territory.themes
    )
    return feeds


def registration_state(instance: InstanceSummary, now: datetime) -> dict[str, Any]:
    """What the instance page may offer and must say, from the instance's state and the time:
    `open` (the register buttons), `cancellable` (her own registration can still be
    cancelled: the meetings service accepts it until the instance is held or cancelled),
    `phase` (open, closed, cancelled, past). The agenda's summaries carry no deadline
    (InstanceSummary): there the status alone decides, and the instance page tells."""
    status = instance.status
    if status == "cancelled":
        return {"phase": "cancelled", "open": False, "cancellable": False}
    if status in ("held", "minutes_published"):
        return {"phase": "past", "open": False, "cancellable": False}
    if status not in OPEN_STATUSES:
        return {"phase": "not_open", "open": False, "cancellable": False}
    closes_at = instance.registration_closes_at
    if closes_at is not None and now >= frenchdates.parse_iso(closes_at):
        return {"phase": "closed", "open": False, "cancellable": True}
    return {"phase": "open", "open": True, "cancellable": True}
