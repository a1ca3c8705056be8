"""Councillors' pages: agenda, instance, registering in one tap, my
registrations, my history, my notifications, my preferences and calendar feed, my council."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web import agendas, frenchdates
from conseils_web.clients.meetings import (
    AgendaQuery,
    CouncilRegistration,
    HistoryInstance,
    InstanceSummary,
    MyRegistration,
)
from conseils_web.clients.notifications import NewPreferences
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.labels import (
    CATEGORY_LABELS,
    HISTORY_INSTANCE_LABELS,
    HISTORY_INSTANCE_PENDING,
    MODE_LABELS,
    OPEN_STATUSES,
)
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


def _active_registrations(rows: list[MyRegistration]) -> dict[str, MyRegistration]:
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
    query = AgendaQuery(
        scope=AGENDA_SCOPES[filters["voir"]][0],
        type=filters["type"] or None,
        when=AGENDA_PERIODS[filters["quand"]][0],
    )
    instances, mine = await asyncio.gather(
        ctx.meetings.agenda(token, query), ctx.meetings.my_registrations(token)
    )
    now = ctx.clock()
    return render(
        request,
        "agenda.html",
        title="Agenda",
        active="agenda",
        instances=instances,
        states={str(row.id): registration_state(row, now) for row in instances},
        mine=_active_registrations(mine),
        filters=filters,
        scopes=[(key, label) for key, (_value, label) in AGENDA_SCOPES.items()],
        periods=[(key, label) for key, (_value, label) in AGENDA_PERIODS.items()],
        kinds=[(kind.slug, kind.name) for kind in ctx.territory.instance_types],
        back_to=agenda_url(filters),
        public_feed=agendas.territory_feed(ctx.public_base_url, ctx.territory.territory.name),
        feeds=_agenda_feeds(request)[1:],
    )


def _agenda_feeds(request: Request) -> list[agendas.FeedLink]:
    """The feeds the agenda page offers: the territory's, her council's, each theme's."""
    ctx, principal = site(request), current_user(request)
    feeds = [agendas.territory_feed(ctx.public_base_url, ctx.territory.territory.name)]
    if principal is not None and principal.council_id is not None:
        feeds.append(agendas.council_feed(ctx.public_base_url, principal.council_id))
    feeds.extend(
        agendas.theme_feed(ctx.public_base_url, theme.slug, theme.name) for theme in ctx.territory.themes
    )
    return feeds


async def _council_registrations(request: Request, instance_id: str) -> list[dict[str, Any]]:
    """Who of my council is registered (names only: what any member of the council may see),
    each with its member id and, on the waiting list, the rank the meetings service computed."""
    ctx, principal = site(request), current_user(request)
    if principal is None or principal.council_id is None:
        return []
    token = user_token(request)
    rows, members = await asyncio.gather(
        ctx.meetings.council_registrations(token, instance_id),
        ctx.registry.council_members(token, principal.council_id),
    )
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
    instance, mine, councils, my_council = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        ctx.meetings.my_registrations(token),
        ctx.registry.councils(token),
        _council_registrations(request, instance_id),
    )
    council_names = {str(council.id): council.name for council in councils}
    return render(
        request,
        "instance.html",
        title=instance.title,
        active="agenda",
        instance=instance,
        state=registration_state(instance, ctx.clock()),
        registration=_with_rank(
            _active_registrations(mine).get(instance_id), my_council, str(principal.member_id)
        ),
        concerned=[council_names.get(str(c), "—") for c in instance.concerned_council_ids],
        my_council=my_council,
        theme_feed=_theme_feed(request, instance.theme),
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


@router.get("/mes-inscriptions", response_class=HTMLResponse)
async def my_registrations(request: Request) -> HTMLResponse:
    """Her registrations: those to come (soonest first), then the past ones (newest first)
    with her presence and the minutes; a cancelled instance says so and why."""
    require_councillor(request)
    ctx = site(request)
    rows = await ctx.meetings.my_registrations(user_token(request))
    now = ctx.clock()
    past = [row for row in rows if row.instance_status in PAST_STATUSES or row.starts_at <= now]
    upcoming = [row for row in rows if row not in past]
    upcoming.sort(key=lambda row: row.starts_at)
    past.sort(key=lambda row: row.starts_at, reverse=True)
    return render(
        request,
        "mes-inscriptions.html",
        title="Mes inscriptions",
        active="inscriptions",
        rows=rows,
        upcoming=upcoming,
        past=[(row, presence_label(row)) for row in past],
    )


PAST_STATUSES = frozenset({"held", "minutes_published"})


def presence_label(row: MyRegistration) -> str | None:
    """Her presence at a past instance, in words (None: nothing to say, e.g. cancelled)."""
    if row.instance_status == "cancelled" or row.status == "cancelled":
        return None
    if row.present is True:
        return "Présent·e"
    if row.present is False:
        return "Absent·e" + (" (inscrit·e)" if row.status == "confirmed" else "")
    return "Présence pas encore enregistrée"


def history_labels(row: HistoryInstance) -> dict[str, str | None]:
    """How one past instance went for her, in words: the instance, her registration,
    her presence (None when there is nothing to say, e.g. a cancelled instance)."""
    registration = row.registration
    mode = MODE_LABELS.get(registration.mode, "participant·e") if registration else "participant·e"
    status = registration.status if registration else None
    if status == "confirmed":
        registered = f"Inscrit·e comme {mode}"
    elif status == "waitlisted":
        registered = f"Resté·e sur liste d'attente ({mode})"
    elif status == "cancelled":
        registered = "Non inscrit·e (inscription annulée)"
    else:
        registered = "Non inscrit·e"
    present = row.present
    if row.status == "cancelled":
        presence = None
    elif present is True:
        presence = "Présent·e"
    elif present is False:
        presence = "Absent·e (inscrit·e)" if status == "confirmed" else "Absent·e"
    else:
        presence = "Présence pas encore enregistrée"
    instance = HISTORY_INSTANCE_LABELS.get(row.status, HISTORY_INSTANCE_PENDING)
    if row.status == "cancelled" and row.cancel_reason:
        instance += f" : {row.cancel_reason}"
    return {"instance": instance, "registration": registered, "presence": presence}


@router.get("/mon-historique", response_class=HTMLResponse)
async def my_history(request: Request) -> HTMLResponse:
    require_councillor(request)
    history = await site(request).meetings.my_history(user_token(request))
    instances = [{**row.model_dump(), "labels": history_labels(row)} for row in history.instances]
    recorded = [row for row in instances if row.get("present") is not None]
    return render(
        request,
        "mon-historique.html",
        title="Mon historique",
        active="historique",
        instances=instances,
        held=len(recorded),
        attended=sum(1 for row in recorded if row["present"]),
        registrations=history.registrations,
    )


@router.get("/mes-notifications", response_class=HTMLResponse)
async def my_notifications(request: Request) -> HTMLResponse:
    principal = require_councillor(request)
    rows = await site(request).notifications.inbox(user_token(request), principal.subject)
    return render(
        request, "mes-notifications.html", title="Mes notifications", active="notifications", rows=rows
    )


@router.get("/preferences", response_class=HTMLResponse)
async def preferences(request: Request) -> HTMLResponse:
    principal = require_councillor(request)
    prefs = await site(request).notifications.preferences(user_token(request), principal.subject)
    return render(
        request,
        "preferences.html",
        title="Mes préférences",
        active="preferences",
        prefs=prefs,
        themes=site(request).territory.themes,
    )


@router.post("/preferences")
async def save_preferences(request: Request) -> Response:
    principal = require_councillor(request)
    form = await checked_form(request)
    ctx = site(request)
    known = {theme.slug for theme in ctx.territory.themes}
    themes = [value for value in form.getlist("themes") if isinstance(value, str) and value in known]
    chosen = NewPreferences(
        channels=["email"],
        categories=[c for c in form.getlist("categories") if isinstance(c, str) and c in CATEGORY_LABELS],
        digest=form.get("digest") == "oui",
        themes=themes if form.get("themes_choisis") == "oui" else None,
        language="fr",
    )
    await ctx.notifications.save_preferences(user_token(request), principal.subject, chosen)
    return redirect(request, "/preferences", "Vos préférences sont enregistrées.")


# The personal feed's secret address, just created, for the page that shows it (POST,
# redirect, GET): only her browser keeps it, for a few minutes, on that page's path.
FEED_COOKIE = "conseils_agenda"
FEED_PAGE = "/preferences/agenda"


@router.get(FEED_PAGE, response_class=HTMLResponse)
async def feed_page(request: Request) -> HTMLResponse:
    """My personal calendar: its address just created (webcal, https, copy), or how to create one."""
    require_councillor(request)
    url = request.cookies.get(FEED_COOKIE)
    response = render(
        request,
        "agenda-personnel.html",
        title="Mon agenda personnel",
        active="preferences",
        personal=agendas.personal_feed_link(unquote(url)) if url else None,
        feeds=_agenda_feeds(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(FEED_PAGE)
async def new_feed(request: Request) -> Response:
    principal = require_councillor(request)
    await checked_form(request)
    link = await site(request).notifications.new_feed(user_token(request), principal.subject)
    response = redirect(
        request,
        FEED_PAGE,
        f"Votre adresse d'agenda personnelle (à copier dans votre application d'agenda) : {link.url}",
    )
    response.set_cookie(
        FEED_COOKIE,
        quote(link.url, safe=""),
        max_age=15 * 60,
        httponly=True,
        samesite="lax",
        secure=site(request).secure_cookies,
        path=FEED_PAGE,
    )
    return response


@router.get("/mon-conseil", response_class=HTMLResponse)
async def my_council(request: Request) -> HTMLResponse:
    principal = require_councillor(request)
    ctx, token = site(request), user_token(request)
    if principal.council_id is None:
        return render(
            request, "erreur.html", 404, title="Aucun conseil", message="Vous n'êtes membre d'aucun conseil."
        )
    council, referents, members = await asyncio.gather(
        ctx.registry.council(token, principal.council_id),
        ctx.registry.council_referents(token, principal.council_id),
        ctx.registry.council_members(token, principal.council_id),
    )
    names = {str(member.id): member.display_name or "(nom masqué)" for member in members}
    by_theme = {referent.theme: names.get(str(referent.member_id), "—") for referent in referents}
    return render(
        request,
        "mon-conseil.html",
        title="Mon conseil",
        active="conseil",
        council=council,
        referents=[(theme.name, by_theme.get(theme.slug)) for theme in ctx.territory.themes],
        members=members,
        council_feed=agendas.council_feed(
            ctx.public_base_url, principal.council_id, f"Instances — {council.name}"
        ),
    )


@router.get("/mes-donnees")
async def my_data(request: Request) -> Response:
    """Right of access: everything the registry holds about me, as a JSON file."""
    principal = require_councillor(request)
    upstream = await site(request).registry.member_data(user_token(request), principal.subject)
    return Response(
        upstream.content,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mes-donnees.json"',
            "Cache-Control": "no-store",
        },
    )
