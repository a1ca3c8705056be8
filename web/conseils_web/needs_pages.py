"""What she needs to come to an instance she registered for (childcare for N children and their
ages, LSF or other interpreting, a hearing loop, step-free access, help with transport, something
else), and what the instance page shows of the barriers lifted: her needs, the easy-to-read
version of the dossier (offered first), her claims and her attestation once she attended."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from conseils_web.clients.attending import Need, NeedIn
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_councillor
from conseils_web.services import ApiError

router = APIRouter()

NEED_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("childcare", "Une garde d'enfants", "pendant l'instance"),
    ("sign_language", "Un·e interprète en langue des signes (LSF)", ""),
    ("interpreting", "Un·e interprète dans une autre langue", "précisez la langue"),
    ("hearing_loop", "Une boucle magnétique", "pour les appareils auditifs"),
    ("step_free", "Un accès de plain-pied", "sans marche, fauteuil roulant, poussette"),
    ("transport", "Une aide pour le transport", ""),
    ("other", "Autre chose", "décrivez en quelques mots"),
)
KINDS = {kind for kind, _label, _hint in NEED_CHOICES}


async def easy_read_of(request: Request, instance_id: str) -> list[Any] | None:
    """The easy-to-read documents of an instance, or None when the service does not answer (the
    instance page then leaves its extras out). Fetched with the page's first calls."""
    try:
        return list(await site(request).attending.easy_read(user_token(request), instance_id))
    except ApiError:
        return None


async def instance_extras(
    request: Request, instance_id: str, registered: bool, past: bool, easy_read: list[Any] | None
) -> dict[str, Any]:
    """What the instance page adds: her needs (when registered), the easy-to-read documents
    (`easy_read_of`, already fetched), and after the instance her claims for it. A service that
    does not answer leaves them out."""
    ctx, token = site(request), user_token(request)
    attending = ctx.attending
    nothing: dict[str, Any] = {"my_needs": [], "easy_read": [], "my_claims": []}
    if easy_read is None:
        return nothing

    async def needs() -> list[Need]:
        return await attending.my_needs(token, instance_id) if registered and not past else []

    async def claims() -> list[Any]:
        if not past:
            return []
        return [line for line in await attending.my_claims(token) if str(line.instance_id) == instance_id]

    try:
        my_needs, my_claims = await asyncio.gather(needs(), claims())
    except ApiError:
        return nothing
    return {"my_needs": my_needs, "easy_read": easy_read, "my_claims": my_claims}


def parse_needs(form: FormData) -> tuple[list[NeedIn], list[tuple[str, str]]]:
    """The needs she ticked, with their details; the errors by field."""
    chosen = [value for value in form.getlist("besoin") if isinstance(value, str) and value in KINDS]
    needs: list[NeedIn] = []
    errors: list[tuple[str, str]] = []
    for kind in chosen:
        detail = str(form.get(f"precision-{kind}", "")).strip() or None
        if kind == "childcare":
            count_text = str(form.get("enfants", "")).strip()
            ages = [int(part) for part in re.findall(r"\d+", str(form.get("ages", "")))]
            if not count_text.isdigit() or not 1 <= int(count_text) <= 10:
                errors.append(("enfants", "Indiquez le nombre d'enfants à garder (1 à 10)."))
                continue
            if len(ages) != int(count_text) or any(age > 17 for age in ages):
                errors.append(
                    ("ages", "Indiquez l'âge de chaque enfant (de 0 à 17 ans), séparés par des virgules.")
                )
                continue
            needs.append(NeedIn(kind=kind, children=int(count_text), ages=ages, detail=detail))
        elif kind == "other" and not detail:
            errors.append(("precision-other", "Décrivez votre besoin en quelques mots."))
        else:
            if detail is not None and len(detail) > 300:
                errors.append((f"precision-{kind}", "Précisez en 300 caractères au plus."))
                continue
            needs.append(NeedIn(kind=kind, detail=detail))
    return needs, errors


async def _page(request: Request, instance_id: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    instance, mine = await asyncio.gather(
        ctx.meetings.instance(token, instance_id), ctx.attending.my_needs(token, instance_id)
    )
    lead = ctx.territory.needs.lead_days
    values = context.pop("values", None) or needs_values(mine)
    return render(
        request,
        "besoins.html",
        status_code,
        title=f"Mes besoins pour venir — {instance.title}",
        active="agenda",
        instance=instance,
        choices=[(kind, label, hint, lead.of(kind)) for kind, label, hint in NEED_CHOICES],
        values=values,
        **context,
    )


def needs_values(needs: list[Need]) -> dict[str, Any]:
    values: dict[str, Any] = {"besoin": [need.kind for need in needs]}
    for need in needs:
        if need.kind == "childcare":
            values["enfants"] = str(need.children or "")
            values["ages"] = ", ".join(str(age) for age in need.ages)
        if need.detail:
            values[f"precision-{need.kind}"] = need.detail
    return values


@router.get("/instances/{instance_id}/besoins", response_class=HTMLResponse)
async def needs_form(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    return await _page(request, instance_id)


@router.post("/instances/{instance_id}/besoins")
async def declare(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    form = await checked_form(request)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    needs, errors = parse_needs(form)
    values = {key: form.getlist(key) if key == "besoin" else str(form.get(key, "")) for key in form}
    if errors:
        return await _page(request, instance_id, 422, errors=errors, values=values)
    try:
        saved = await site(request).attending.declare_needs(user_token(request), instance_id, needs)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _page(request, instance_id, 422, errors=[("besoins", error.detail)], values=values)
    message = (
        "Vos besoins sont enregistrés : l'équipe organise votre venue ; vous verrez ici ce qui est réservé."
        if saved
        else "Vous n'avez plus de besoin déclaré pour cette instance."
    )
    return redirect(request, f"/instances/{instance_id}", message)
