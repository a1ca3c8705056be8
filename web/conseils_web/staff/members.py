"""Staff pages of one member (/equipe/membres/...): add her, change her contact card, college,
role and themes, record her departure, move her to another council (one transaction in the
registry), erase her data with a confirmation page and a receipt."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.registry import Member
from conseils_web.clients.staff_registry import Contact, RegistryStaffClient
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.page_access import require_page
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import people_forms
from conseils_web.staff.forms import Errors, text

router = APIRouter(prefix="/equipe/membres")


def registry(request: Request) -> RegistryStaffClient:
    return RegistryStaffClient(site(request).registry._transport)  # the site's one transport


def _refusal(error: ApiError, field: str) -> Errors:
    if error.status_code >= 500:
        raise error
    lowered = error.detail.lower()
    if "adresse" in lowered or "@" in lowered:
        field = "email"
    elif "collège" in lowered or "tirés au sort" in lowered:
        field = "college"
    return [(field, error.detail)]


async def _form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    councils = await registry(request).councils(user_token(request))
    member: Member | None = context.get("member")
    title = member.display_name or "Membre" if member else "Ajouter un membre"
    return render(
        request,
        "equipe/membre.html",
        status_code,
        title=title,
        active="equipe-conseils",
        councils=[c for c in councils if c.dissolved_on is None],
        council_names={str(c.id): c.name for c in councils},
        themes=site(request).territory.themes,
        **context,
    )


def _values_of(member: Member) -> dict[str, object]:
    return {
        "council_id": str(member.council_id),
        "display_name": member.display_name or "",
        "email": member.email or "",
        "phone": getattr(member, "phone", None) or "",
        "college": member.college or "habitants",
        "role": member.role or "member",
        "drawn_by_lot": bool(getattr(member, "drawn_by_lot", False)),
        "consent": getattr(member, "consent_given_at", None) is not None,
        "themes_followed": list(getattr(member, "themes_followed", None) or []),
    }


@router.get("/nouveau", response_class=HTMLResponse)
async def new_form(request: Request, conseil: str = "") -> HTMLResponse:
    require_page(request, "fichiers-membres")
    values = {"council_id": conseil, "college": "habitants", "role": "member", "themes_followed": []}
    return await _form(request, values=values)


@router.post("")
async def add(request: Request) -> Response:
    require_page(request, "fichiers-membres")
    form = await checked_form(request)
    values = people_forms.member_values(form)
    body, errors = people_forms.new_member(site(request), values)
    if body is None:
        return await _form(request, 400, values=values, errors=errors)
    try:
        created = await registry(request).join(user_token(request), body)
    except ApiError as error:
        return await _form(request, 400, values=values, errors=_refusal(error, "council_id"))
    return redirect(request, f"/equipe/membres/{created.id}", f"{created.display_name} ajouté·e au conseil.")


async def _member(request: Request, member_id: str) -> Member | None:
    if parse_uuid(member_id) is None:
        return None
    try:
        return await site(request).registry.member(user_token(request), member_id)
    except ApiError as error:
        if error.status_code == 404:
            return None
        raise


def _missing(request: Request) -> HTMLResponse:
    return render(request, "erreur.html", 404, title="Introuvable", message="Membre introuvable.")


@router.get("/{member_id}", response_class=HTMLResponse)
async def member_page(request: Request, member_id: str) -> HTMLResponse:
    require_staff(request)
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    return await _form(request, member=member, values=_values_of(member))


async def _again(request: Request, member: Member, errors: Errors, **context: Any) -> HTMLResponse:
    context.setdefault("values", _values_of(member))
    return await _form(request, 400, member=member, errors=errors, **context)


@router.post("/{member_id}")
async def change(request: Request, member_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    values = people_forms.member_values(form)
    values["council_id"] = str(member.council_id)
    body, errors = people_forms.member_change(site(request), values)
    if body is None:
        return await _again(request, member, errors, values=values)
    client, token = registry(request), user_token(request)
    contact = Contact(
        display_name=str(values["display_name"]),
        email=str(values["email"]),
        phone=str(values["phone"]) or None,
        consent=bool(values["consent"]),
    )
    try:
        await client.contact(token, member_id, contact)
        await client.change(token, member_id, body)
    except ApiError as error:
        return await _again(request, member, _refusal(error, "display_name"), values=values)
    return redirect(request, f"/equipe/membres/{member_id}", "Fiche du membre enregistrée.")


@router.post("/{member_id}/depart")
async def depart(request: Request, member_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    on, errors = people_forms.day(form, "left_on")
    if errors:
        return await _again(request, member, errors, left_on=text(form, "left_on"))
    try:
        await registry(request).leave(user_token(request), member_id, on)
    except ApiError as error:
        return await _again(request, member, _refusal(error, "left_on"))
    return redirect(
        request, f"/equipe/membres/{member_id}", "Départ enregistré : ses rôles de référent·e prennent fin."
    )


@router.post("/{member_id}/changer-de-conseil")
async def move(request: Request, member_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    target = text(form, "to_council_id")
    on, errors = people_forms.day(form, "moved_on")
    if parse_uuid(target) is None:
        errors = [("to_council_id", "Choisissez le conseil qu'elle ou il rejoint."), *errors]
    if errors:
        return await _again(request, member, errors, to_council_id=target)
    try:
        moved = await registry(request).move(user_token(request), member_id, target, on)
    except ApiError as error:
        return await _again(request, member, _refusal(error, "to_council_id"), to_council_id=target)
    return redirect(request, f"/equipe/membres/{moved.id}", "Changement de conseil enregistré.")


@router.get("/{member_id}/effacer", response_class=HTMLResponse)
async def erase_form(request: Request, member_id: str) -> HTMLResponse:
    require_page(request, "effacements")
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    return render(
        request, "equipe/effacer.html", title="Effacer les données", active="equipe-conseils", member=member
    )


@router.post("/{member_id}/effacer", response_class=HTMLResponse)
async def erase(request: Request, member_id: str) -> HTMLResponse:
    require_page(request, "effacements")
    form = await checked_form(request)
    member = await _member(request, member_id)
    if member is None:
        return _missing(request)
    if form.get("confirmer") != "oui":
        return render(
            request,
            "equipe/effacer.html",
            400,
            title="Effacer les données",
            active="equipe-conseils",
            member=member,
            errors=[("confirmer", "Cochez la case pour confirmer l'effacement.")],
        )
    await registry(request).erase(user_token(request), member_id)
    ctx = site(request)
    return render(
        request,
        "equipe/effacement-recu.html",
        title="Données effacées",
        active="equipe-conseils",
        member_id=member_id,
        at=ctx.when(ctx.clock()),
    )
