"""Staff pages of the councils (/equipe/conseils): councils, their members and referents,
the members' CSV import with its line-by-line report."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from conseils_web.clients.registry import ImportReport
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms

router = APIRouter(prefix="/equipe")


def _report(body: object) -> ImportReport | None:
    try:
        return ImportReport.model_validate(body)
    except ValidationError:
        return None


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


@router.get("/membres/import", response_class=HTMLResponse)
async def import_form(request: Request) -> HTMLResponse:
    require_staff(request)
    return render(request, "equipe/import.html", title="Importer des membres", active="equipe-conseils")


@router.post("/membres/import", response_class=HTMLResponse)
async def import_members(request: Request) -> HTMLResponse:
    require_staff(request)
    form = await checked_form(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return render(
            request,
            "equipe/import.html",
            400,
            title="Importer des membres",
            errors=[("file", "Choisissez un fichier CSV.")],
        )
    content = await file.read()
    try:
        report = await site(request).registry.import_members(user_token(request), file.filename, content)
        status = 200
    except ApiError as error:
        # All or nothing: the refusal (422) carries the same line-by-line report.
        refused = _report(error.body) if error.status_code == 422 else None
        if refused is None:
            raise
        report, status = refused, 400
    return render(
        request,
        "equipe/import.html",
        status,
        title="Importer des membres",
        report=report,
        active="equipe-conseils",
    )
