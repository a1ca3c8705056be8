"""Staff pages of the councils (/equipe/conseils): councils, their members and referents
(created, changed and dissolved in `council_admin`; the members' CSV in `members_import`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms

router = APIRouter(prefix="/equipe")


@router.get("/conseils", response_class=HTMLResponse)
async def councils(request: Request) -> HTMLResponse:
    require_staff(request)
    rows = await site(request).registry.councils(user_token(request))
    return render(
        request, "equipe/conseils.html", title="Conseils citoyens", active="equipe-conseils", councils=rows
    )


@router.get("/conseils/{council_id}", response_class=HTMLResponse)
async def council(request: Request, council_id: str) -> HTMLResponse:
    require_staff(request)
    if parse_uuid(council_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Conseil introuvable.")
    ctx, token = site(request), user_token(request)
    row, members, referents = await asyncio.gather(
        ctx.registry.council(token, council_id),
        ctx.registry.council_members(token, council_id),
        ctx.registry.council_referents(token, council_id),
    )
    current = {referent.theme: str(referent.member_id) for referent in referents}
    return render(
        request,
        "equipe/conseil.html",
        title=row.name,
        active="equipe-conseils",
        council=row,
        members=members,
        referents=[(theme, current.get(theme.slug)) for theme in ctx.territory.themes],
        names={str(m.id): m.display_name or "—" for m in members},
    )


@router.post("/conseils/{council_id}/referents")
async def designate(request: Request, council_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    ctx, token = site(request), user_token(request)
    theme, member_id = forms.text(form, "theme"), forms.text(form, "member_id")
    back = f"/equipe/conseils/{council_id}"
    if theme not in {t.slug for t in ctx.territory.themes} or parse_uuid(council_id) is None:
        return redirect(request, back, "Thématique inconnue.")
    try:
        if member_id:
            await ctx.registry.designate_referent(token, council_id, theme, member_id)
        else:
            await ctx.registry.end_designation(token, council_id, theme)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, f"Référent·e « {ctx.theme_name(theme)} » enregistré·e.")
