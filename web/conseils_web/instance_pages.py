"""One instance for a councillor: its page, its calendar file, its documents, registering
and unregistering in one tap (from the page or the agenda)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web import agendas
from conseils_web.agenda_pages import active_registrations, agenda_filters, agenda_url, registration_state
from conseils_web.clients.meetings import (
    CouncilRegistration,
    MyRegistration,
)
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.needs_pages import easy_read_of, instance_extras
from conseils_web.security import (
    COUNCILLOR_ROLES,
    STAFF_ROLES,
    checked_form,
    current_user,
    require,
    require_councillor,
)
from conseils_web.services import ApiError

router = APIRouter()


async def _council_registrations(request: Request, instance_id: str) -> list[dict[str, Any]]:
    """Who of my council is registered (names only: what any member of the council may see),
    each with its member id and, on the waiting list, the rank the meetings service computed."""
    ctx, principal = site(request), current_user(request)
    if principal is None or principal.council_id is None:
        return []
    token = user_token(request)
    rows = await ctx.meetings.council_registrations(token, instance_id)
    if not rows:  # most instances at national size: her council's members are not asked for
        return []
    members = await ctx.registry.council_members(token, principal.council_id)
    names = {str(member.id): member.display_name or "(nom masqué)" for member in members}
    return [_named(row, names) for row in rows]


def _named(row: CouncilRegistration, names: dict[str, str]) -> dict[str, Any]:
    return {
        "member_id": str(row.member_id),
        "name": names.get(str(row.member_id), "(ancien membre)"),
        "mode": row.mode,
        "status": row.status,
        "position": row.position,
    }


def _with_rank(
    registration: MyRegistration | None, council: list[dict[str, Any]], member_id: str
) -> MyRegistration | None:
    """`/me/registrations` does not carry the waiting-list rank: take it from my council's
    list (where the service computes it), or leave it unknown (None: no rank shown)."""
    if registration is None:
        return None
    ranks = [row.get("position") for row in council if row["member_id"] == member_id]
    return registration.model_copy(update={"position": ranks[0] if ranks else None})


def _theme_feed(request: Request, theme: str | None) -> agendas.FeedLink | None:
    ctx = site(request)
    return agendas.theme_feed(ctx.public_base_url, theme, ctx.theme_name(theme)) if theme else None


@router.get("/instances/{instance_id}.ics")
async def instance_calendar_file(request: Request, instance_id: str) -> Response:
    """ "Ajouter à mon agenda": the instance as a one-event iCalendar file."""
    require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    ctx = site(request)
    instance = await ctx.meetings.instance(user_token(request), instance_id)
    body = agendas.instance_ics(
        instance.model_dump(mode="json"),
        territory=ctx.territory.territory.slug,
        public_base_url=ctx.public_base_url,
        stamp=ctx.clock(),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="instance-{instance_id}.ics"',
            "Cache-Control": "private, no-cache",
        },
    )


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
async def instance_page(request: Request, instance_id: str) -> Response:
    principal = require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    if principal.role in STAFF_ROLES:
        return redirect(request, f"/equipe/instances/{instance_id}")
    ctx, token = site(request), user_token(request)
    # Every call that needs nothing from another at once; her needs and claims depend on her
    # registration and on the instance being past (instance_extras).
    instance, mine, councils, my_council, easy_read = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        ctx.meetings.my_registrations(token),
        ctx.registry.council_names(token),
        _council_registrations(request, instance_id),
        easy_read_of(request, instance_id),
    )
    state = registration_state(instance, ctx.clock())
    registration = active_registrations(mine).get(instance_id)
    extras = await instance_extras(
        request, instance_id, registration is not None, state["phase"] == "past", easy_read
    )
    return render(
        request,
        "instance.html",
        title=instance.title,
        active="agenda",
        instance=instance,
        state=state,
        registration=_with_rank(registration, my_council, str(principal.member_id)),
        concerned=councils.sorted_names(instance.concerned_council_ids),  # in alphabetical order
        my_council=my_council,
        theme_feed=_theme_feed(request, instance.theme),
        **extras,  # her needs, the easy-to-read dossier, her claims (needs_pages)
    )


def _back(request: Request, form: Mapping[str, object], instance_id: str) -> str:
    """Where a registration form returns: the agenda with the filters it was shown with
    (rebuilt from known values only), or the instance page."""
    if form.get("retour") == "agenda":
        return agenda_url(agenda_filters(request, form))
    return f"/instances/{instance_id}"


@router.post("/instances/{instance_id}/inscription")
async def register(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    form = await checked_form(request)
    mode = str(form.get("mode", ""))
    back = _back(request, form, instance_id)
    if mode not in {"participant", "observer"} or parse_uuid(instance_id) is None:
        return redirect(request, back, "Choisissez « participer » ou « observer ».")
    try:
        outcome = await site(request).meetings.register(user_token(request), instance_id, mode)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, outcome.message)


@router.post("/instances/{instance_id}/desinscription")
async def unregister(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    form = await checked_form(request)
    back = _back(request, form, instance_id)
    if parse_uuid(instance_id) is None:
        return redirect(request, back)
    try:
        outcome = await site(request).meetings.unregister(user_token(request), instance_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, outcome.message)


@router.get("/documents/{document_id}")
async def document(request: Request, document_id: str) -> Response:
    require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    if parse_uuid(document_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Document introuvable.")
    upstream = await site(request).meetings.document(user_token(request), document_id)
    headers = {"Content-Disposition": upstream.disposition or "attachment"}
    return Response(upstream.content, media_type=upstream.media_type, headers=headers)
