"""Staff pages that create, change and dissolve a council (/equipe/conseils/nouveau,
/equipe/conseils/{id}/modifier, /equipe/conseils/{id}/dissoudre)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.staff_registry import CouncilRow
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import people_forms
from conseils_web.staff.forms import Errors
from conseils_web.staff.members import registry

router = APIRouter(prefix="/equipe/conseils")


def _form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    council: CouncilRow | None = context.get("council")
    return render(
        request,
        "equipe/conseil-fiche.html",
        status_code,
        title=f"Modifier : {council.name}" if council else "Créer un conseil",
        active="equipe-conseils",
        cities=site(request).territory.cities,
        **context,
    )


def _refused(error: ApiError, field: str) -> Errors:
    if error.status_code >= 500:
        raise error
    return [("slug" if "identifiant" in error.detail.lower() else field, error.detail)]


@router.get("/nouveau", response_class=HTMLResponse)
async def new_form(request: Request) -> HTMLResponse:
    require_staff(request)
    return _form(request, values=dict.fromkeys(people_forms.COUNCIL_FIELDS, ""))


@router.post("/nouveau")
async def create(request: Request) -> Response:
    require_staff(request)
    values = people_forms.council_values(await checked_form(request))
    body, errors = people_forms.new_council(site(request), values)
    if body is None:
        return _form(request, 400, values=values, errors=errors)
    try:
        created = await registry(request).create_council(user_token(request), body)
    except ApiError as error:
        return _form(request, 400, values=values, errors=_refused(error, "name"))
    return redirect(request, f"/equipe/conseils/{created.id}", f"Conseil « {created.name} » créé.")


async def _council(request: Request, council_id: str) -> CouncilRow | None:
    if parse_uuid(council_id) is None:
        return None
    try:
        return await registry(request).council(user_token(request), council_id)
    except ApiError as error:
        if error.status_code == 404:
            return None
        raise


def _missing(request: Request) -> HTMLResponse:
    return render(request, "erreur.html", 404, title="Introuvable", message="Conseil introuvable.")


@router.get("/{council_id}/modifier", response_class=HTMLResponse)
async def edit_form(request: Request, council_id: str) -> HTMLResponse:
    require_staff(request)
    council = await _council(request, council_id)
    if council is None:
        return _missing(request)
    values = {"name": council.name, "slug": council.slug, "neighbourhood_code": council.neighbourhood_code}
    return _form(request, council=council, values=values)


@router.post("/{council_id}/modifier")
async def edit(request: Request, council_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    council = await _council(request, council_id)
    if council is None:
        return _missing(request)
    values = people_forms.council_values(form)
    values["slug"] = council.slug  # the short code never changes (imports and links use it)
    body, errors = people_forms.council_change(site(request), values)
    if body is None:
        return _form(request, 400, council=council, values=values, errors=errors)
    try:
        await registry(request).update_council(user_token(request), council_id, body)
    except ApiError as error:
        return _form(request, 400, council=council, values=values, errors=_refused(error, "name"))
    return redirect(request, f"/equipe/conseils/{council_id}", "Conseil modifié.")


@router.post("/{council_id}/dissoudre")
async def dissolve(request: Request, council_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    council = await _council(request, council_id)
    if council is None:
        return _missing(request)
    values = {"name": council.name, "slug": council.slug, "neighbourhood_code": council.neighbourhood_code}
    on, errors = people_forms.day(form, "dissolved_on")
    if form.get("confirmer") != "oui":
        errors.append(("confirmer", "Cochez la case pour confirmer la dissolution."))
    if errors:
        return _form(request, 400, council=council, values=values, errors=errors)
    try:
        await registry(request).dissolve(user_token(request), council_id, on)
    except ApiError as error:
        return _form(request, 400, council=council, values=values, errors=_refused(error, "dissolved_on"))
    return redirect(
        request, f"/equipe/conseils/{council_id}", "Conseil dissous : ses membres l'ont quitté ce jour-là."
    )
