"""How a council is represented (issue 20): the substitutes (suppléant·es) of its theme referents and
its rota (tour de rôle), set by its coordinator (`/mon-conseil/representation`) or by staff
(`/equipe/conseils/{id}/representation`); and who represents each concerned council at an
instance this time (`/instances/{id}/representation`), with the swap of a turn for that instance.
A refusal is shown next to its field (422), in the services' French words."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.auth import Principal
from conseils_web.clients.representation import RotaClient, SubstitutesClient
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import COUNCILLOR_ROLES, STAFF_ROLES, checked_form, require
from conseils_web.services import ApiError

router = APIRouter()

SCENARIO_WORDS = {
    "referent_par_thematique": "le ou la référent·e de la thématique",
    "vivier_ouvert": "tous ses membres (vivier ouvert : les places vont à qui s'inscrit d'abord)",
    "rotation": "le membre dont c'est le tour (tour de rôle)",
}


def substitutes(request: Request) -> SubstitutesClient:
    client: SubstitutesClient = request.app.state.substitutes
    return client


def rotas(request: Request) -> RotaClient:
    client: RotaClient = request.app.state.rotas
    return client


def _council_of(request: Request, council_id: str | None) -> tuple[Principal, str, str] | None:
    """Who asks, for which council, and the page's address: the coordinator for hers, staff for any."""
    if council_id is None:
        principal = require(request, "coordinator")
        return principal, str(principal.council_id), "/mon-conseil/representation"
    principal = require(request, *STAFF_ROLES)
    if parse_uuid(council_id) is None:
        return None
    return principal, council_id, f"/equipe/conseils/{council_id}/representation"


async def _page(
    request: Request, council_id: str, base: str, errors: list[tuple[str, str]] | None = None
) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    council, members, referents, held, rota = await asyncio.gather(
        ctx.registry.council(token, council_id),
        ctx.registry.council_members(token, council_id),
        ctx.registry.council_referents(token, council_id),
        substitutes(request).substitutes(token, council_id),
        rotas(request).rota(token, council_id),
    )
    names = {str(m.id): m.display_name or "(nom masqué)" for m in members}
    current = {s.theme: str(s.member_id) for s in held}
    themes = [
        {
            "slug": theme.slug,
            "name": theme.name,
            "referent": str(referent.member_id),
            "referent_name": names.get(str(referent.member_id), "—"),
            "substitute": current.get(theme.slug),
        }
        for theme in ctx.territory.themes
        for referent in referents
        if referent.theme == theme.slug
    ]
    ranks = {str(member_id): index + 1 for index, member_id in enumerate(rota.member_ids)}
    ordered = sorted(members, key=lambda m: (ranks.get(str(m.id), 10_000), names[str(m.id)]))
    return render(
        request,
        "representation.html",
        422 if errors else 200,
        title=f"Représentation — {council.name}",
        active="equipe-conseils" if base.startswith("/equipe") else "conseil",
        council=council,
        base=base,
        themes=themes,
        members=ordered,
        names=names,
        ranks=ranks,
        next_name=names.get(str(rota.next_member_id)) if rota.next_member_id else None,
        errors=errors or [],
    )


@router.get("/mon-conseil/representation", response_class=HTMLResponse)
@router.get("/equipe/conseils/{council_id}/representation", response_class=HTMLResponse)
async def representation_page(request: Request, council_id: str | None = None) -> Response:
    found = _council_of(request, council_id)
    if found is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Conseil introuvable.")
    _, council, base = found
    return await _page(request, council, base)


@router.post("/mon-conseil/representation/suppleants")
@router.post("/equipe/conseils/{council_id}/representation/suppleants")
async def designate_substitute(request: Request, council_id: str | None = None) -> Response:
    found = _council_of(request, council_id)
    if found is None:
        return redirect(request, "/equipe/conseils", "Conseil introuvable.")
    _, council, base = found
    form = await checked_form(request)
    theme, member_id = str(form.get("theme", "")), str(form.get("member_id", ""))
    field = f"suppleant-{theme}"
    if theme not in {t.slug for t in site(request).territory.themes}:
        return await _page(request, council, base, [("suppleants", "Thématique inconnue.")])
    try:
        if member_id:
            await substitutes(request).designate(user_token(request), council, theme, member_id)
        else:
            await substitutes(request).withdraw(user_token(request), council, theme)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        if not member_id and error.status_code == 404:
            return redirect(request, base, "Cette thématique n'avait pas de suppléant·e.")
        return await _page(request, council, base, [(field, error.detail)])
    return redirect(request, base, f"Suppléant·e « {site(request).theme_name(theme)} » enregistré·e.")


@router.post("/mon-conseil/representation/tour-de-role")
@router.post("/equipe/conseils/{council_id}/representation/tour-de-role")
async def set_rota(request: Request, council_id: str | None = None) -> Response:
    found = _council_of(request, council_id)
    if found is None:
        return redirect(request, "/equipe/conseils", "Conseil introuvable.")
    _, council, base = found
    form = await checked_form(request)
    ranked: list[tuple[int, str]] = []
    for key, value in form.multi_items():
        if not key.startswith("rang-") or not str(value).strip():
            continue
        member_id = key.removeprefix("rang-")
        text = str(value).strip()
        if parse_uuid(member_id) is None or not text.isdigit() or not 1 <= int(text) <= 200:
            return await _page(
                request, council, base, [(f"rang-{member_id}", "Le rang est un nombre entier (1, 2, 3…).")]
            )
        ranked.append((int(text), member_id))
    order = [member_id for _, member_id in sorted(ranked)]
    try:
        await rotas(request).set_rota(user_token(request), council, order)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _page(request, council, base, [("tour-de-role", error.detail)])
    return redirect(
        request, base, f"Tour de rôle enregistré ({len(order)} membre{'s' if len(order) > 1 else ''})."
    )


async def _instance_page(
    request: Request, instance_id: str, errors: list[tuple[str, str]] | None = None
) -> HTMLResponse:
    principal = require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    ctx, token = site(request), user_token(request)
    instance, shown, councils = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        rotas(request).representation(token, instance_id),
        ctx.registry.councils(token),
    )
    council_names = {str(c.id): c.name for c in councils}
    mine = str(principal.council_id) if principal.council_id else None
    names: dict[str, str] = {}
    readable = [
        str(c.council_id)
        for c in shown.councils
        if principal.role in STAFF_ROLES or str(c.council_id) == mine
    ]
    for members in await asyncio.gather(*(ctx.registry.council_members(token, c) for c in readable)):
        names.update({str(m.id): m.display_name or "(nom masqué)" for m in members})
    rows: list[dict[str, Any]] = []
    for council in shown.councils:
        key = str(council.council_id)
        if council.vacant:
            who = "personne : aucun membre disponible dans son tour de rôle (l'équipe est prévenue)"
        elif shown.scenario == "vivier_ouvert":
            who = "tous ses membres"
        elif not council.member_ids:
            who = "personne de désigné·e"
        else:
            who = ", ".join(names.get(str(m), "un membre désigné·e") for m in council.member_ids)
        rows.append(
            {
                "id": key,
                "name": council_names.get(key, "—"),
                "who": who,
                "swapped": names.get(str(council.swapped_with)) if council.swapped_with else None,
                "can_swap": shown.scenario == "rotation"
                and not council.vacant
                and (principal.role in STAFF_ROLES or (principal.role == "coordinator" and key == mine)),
            }
        )
    rows.sort(key=lambda row: (row["id"] != mine, row["name"]))
    swappable: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row["can_swap"]:
            rota = await rotas(request).rota(token, row["id"])
            swappable[row["id"]] = [(str(m), names.get(str(m), "—")) for m in rota.member_ids]
    return render(
        request,
        "representation-instance.html",
        422 if errors else 200,
        title=f"Représentation des conseils — {instance.title}",
        active="agenda",
        instance=instance,
        back=f"/equipe/instances/{instance_id}"
        if principal.role in STAFF_ROLES
        else f"/instances/{instance_id}",
        scenario=SCENARIO_WORDS.get(shown.scenario, shown.scenario),
        rows=rows,
        swappable=swappable,
        errors=errors or [],
    )


@router.get("/instances/{instance_id}/representation", response_class=HTMLResponse)
async def instance_representation(request: Request, instance_id: str) -> Response:
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    return await _instance_page(request, instance_id)


@router.post("/instances/{instance_id}/representation/echange")
async def swap(request: Request, instance_id: str) -> Response:
    require(request, "coordinator", *STAFF_ROLES)
    form = await checked_form(request)
    council_id, member_id = str(form.get("council_id", "")), str(form.get("member_id", ""))
    back = f"/instances/{instance_id}/representation"
    if parse_uuid(instance_id) is None or parse_uuid(council_id) is None:
        return redirect(request, "/agenda")
    field = f"echange-{council_id}"
    if parse_uuid(member_id) is None:
        return await _instance_page(
            request, instance_id, [(field, "Choisissez le membre qui prend ce tour.")]
        )
    try:
        await rotas(request).swap(user_token(request), instance_id, council_id, member_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _instance_page(request, instance_id, [(field, error.detail)])
    return redirect(request, back, "Tour échangé pour cette instance ; le membre qui le prend est invité.")
