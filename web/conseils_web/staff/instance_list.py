"""Staff page of the instances (/equipe/instances): the list filtered by type, city, theme,
state and period (a GET form, no script), the drafts apart, and the form that schedules an
instance (policy warnings shown before confirming), saves a draft, or copies an instance."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.meetings import NewInstance
from conseils_web.clients.staff_meetings import MeetingsStaffClient, StaffInstanceList
from conseils_web.context import SiteContext, parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms

router = APIRouter(prefix="/equipe")
FILTERS = ("type", "ville", "theme", "etat", "du", "au")
LIST_PAGE = 50
"""Instances shown per page of the list: at national size the 90 past days and what is
scheduled are thousands of cards; the count says how many match the filters."""
MAX_PAGE = 1_000_000
"""A page number past any list (50 million instances): a larger one asks for the last page."""


def _page_links(filters: dict[str, str], page: int, total: int) -> dict[str, Any]:
    """The list's page (from 1) and the links to its neighbours, the filters kept."""
    pages = max(1, -(-total // LIST_PAGE))
    page = min(page, pages)
    kept = {name: value for name, value in filters.items() if value}

    def url(number: int) -> str:
        query = urlencode({**kept, **({"page": number} if number > 1 else {})})
        return f"/equipe/instances{'?' + query if query else ''}#liste"

    return {
        "page": page,
        "pages": pages,
        "previous": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < pages else None,
    }


def meetings_staff(request: Request) -> MeetingsStaffClient:
    return MeetingsStaffClient(site(request).meetings._transport)  # the site's one transport


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


SERVICE_FILTERS = (("type", "type"), ("theme", "theme"), ("etat", "status"), ("ville", "city"))
"""The page's filters and the names the meetings service takes them by (GET /staff/instances):
the city is the instance's own, else its council's, as the list always filtered it."""


def list_query(filters: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, str | int] | None:
    """The service's filters for the page's: the local days `du` (90 days ago when none) and
    `au` (included) as instants of the territory's time zone; None when a value is one no
    instance can have (longer than the service's columns, or with a NUL)."""
    query: dict[str, str | int] = {}
    for name, param in SERVICE_FILTERS:
        value = filters[name]
        if len(value) > MeetingsStaffClient.FILTER_LENGTH or "\x00" in value:
            return None
        if value:
            query[param] = value
    start = _day(filters["du"]) or (now.astimezone(tz) - timedelta(days=90)).date()
    query["from"] = datetime.combine(start, time(0), tzinfo=tz).isoformat()
    end = _day(filters["au"])
    if end is not None and end < date.max:
        query["to"] = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).isoformat()
    return query


async def listed_page(
    request: Request, query: dict[str, str | int] | None, page: int
) -> tuple[StaffInstanceList, int]:
    """The page asked of the list (the last one when it is too far) and its number."""
    if query is None:
        return StaffInstanceList(total=0, instances=[], drafts=[]), 1
    client, token = meetings_staff(request), user_token(request)
    found = await client.instance_list(token, {**query, "limit": LIST_PAGE, "offset": (page - 1) * LIST_PAGE})
    last = max(1, -(-found.total // LIST_PAGE))
    if page > last and found.total:  # a page too far (an old link): the last page, as asked again
        page = last
        found = await client.instance_list(
            token, {**query, "limit": LIST_PAGE, "offset": (page - 1) * LIST_PAGE}
        )
    return found, min(page, last)


def _copy_values(ctx: SiteContext, row: Any) -> dict[str, str]:
    """The form prefilled from an instance to copy: all but its day (to choose)."""
    tz = ZoneInfo(ctx.timezone)
    return {
        "instance_type": row.instance_type or "",
        "title": row.title,
        "theme": row.theme or "",
        "city_code": getattr(row, "city_code", None) or "",
        "council_id": str(getattr(row, "council_id", None) or ""),
        "day": "",
        "start": row.starts_at.astimezone(tz).strftime("%H:%M"),
        "end": row.ends_at.astimezone(tz).strftime("%H:%M"),
        "location": getattr(row, "location", "") or "",
    }


async def instances_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    tz = ZoneInfo(ctx.timezone)
    filters = {name: str(request.query_params.get(name, "")).strip() for name in FILTERS}
    raw_page = str(request.query_params.get("page", ""))
    asked = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
    query = list_query(filters, tz, datetime.now(tz))
    (found, page), councils = await asyncio.gather(
        listed_page(request, query, asked), ctx.registry.council_names(token)
    )
    copy = str(request.query_params.get("copier", ""))
    if "values" not in context and parse_uuid(copy):
        try:
            context["values"] = _copy_values(ctx, await ctx.meetings.instance(token, copy))
            context["copied"] = True
        except ApiError:
            pass
    context.setdefault("values", dict.fromkeys(forms.INSTANCE_FIELDS, ""))
    paging = _page_links(filters, page, found.total)
    return render(
        request,
        "equipe/instances.html",
        status_code=status_code,
        title="Instances",
        active="equipe-instances",
        instances=found.instances,
        listed=found.total,
        paging=paging,
        drafts=found.drafts,
        filters=filters,
        filtered=any(filters.values()),
        council_options=ctx.option_lists.of(
            councils, "councils", lambda: ((str(council.id), council.name) for council in councils.ordered)
        ),
        kinds=ctx.territory.instance_types,
        themes=ctx.territory.themes,
        city_options=ctx.city_options(),
        **context,
    )


@router.get("/instances", response_class=HTMLResponse)
async def instances(request: Request) -> HTMLResponse:
    require_staff(request)
    return await instances_page(request)


@router.post("/instances")
async def schedule(request: Request) -> Response:
    """« Vérifier les règles » previews, « Confirmer et programmer » schedules; « Enregistrer
    comme brouillon » saves without telling anyone (no date in the past either way)."""
    require_staff(request)
    form = await checked_form(request)
    ctx = site(request)
    values = forms.values(form, forms.INSTANCE_FIELDS)
    body, errors = forms.instance_body(ctx, values)
    errors = errors or forms.in_the_past(ctx, body)
    if errors:
        return await instances_page(request, 400, values=values, errors=errors)
    draft = NewInstance.model_validate(body)
    token = user_token(request)
    try:
        if form.get("brouillon") == "oui":
            saved = await meetings_staff(request).save_draft(token, draft)
            return redirect(
                request, f"/equipe/instances/{saved.id}", "Brouillon enregistré : personne n'est prévenu."
            )
        if form.get("confirmer") != "oui":
            preview = await ctx.meetings.preview(token, draft)
            if preview.refused:
                reason = preview.reason or "Refusé."
                return await instances_page(
                    request, 400, values=values, errors=[(forms.field_of(reason), reason)]
                )
            return await instances_page(request, values=values, preview=preview)
        created = await ctx.meetings.schedule(token, draft)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        errors = [(forms.field_of(error.detail), error.detail)]
        return await instances_page(request, 400, values=values, errors=errors)
    return redirect(
        request,
        f"/equipe/instances/{created.id}",
        "Instance programmée : les conseils concernés sont prévenus.",
    )
