"""Councillors' pages: my preferences and calendar feed, my council, my data; and the router
of every councillor page (the agenda, an instance, mine, the emails' action links)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web import (
    action_pages,
    agenda_pages,
    agendas,
    claim_pages,
    instance_pages,
    my_pages,
    needs_pages,
    presence_pages,
)
from conseils_web.agenda_pages import agenda_feeds
from conseils_web.clients.notifications import NewPreferences
from conseils_web.context import redirect, render, site, user_token
from conseils_web.labels import (
    CATEGORY_LABELS,
)
from conseils_web.security import (
    checked_form,
    require_councillor,
)

router = APIRouter()
# The routes themselves, not `include_router` (FastAPI now nests an included router, and the
# site and its role walk, tests/web/test_roles.py, read `router.routes` as the routes).
for _pages in (
    agenda_pages,
    instance_pages,
    needs_pages,
    claim_pages,
    my_pages,
    action_pages,
    presence_pages,
):
    router.routes.extend(_pages.router.routes)


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
        feeds=agenda_feeds(request),
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
