"""The councils' voice for councillors: the projects of an instance with every concerned
council's opinion and, once the minutes are out, the decision taken on each (`/instances/{id}/avis`);
the council's opinion given by its coordinator or delegate; and the coordinator's page
« Notre participation » (`/mon-conseil/participation`): how the council wants to attend each
instance type."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.territory import TerritoryConfig
from conseils_web import frenchdates
from conseils_web.clients.voice import VoiceClient
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import COUNCILLOR_ROLES, STAFF_ROLES, checked_form, require, require_councillor
from conseils_web.services import ApiError

router = APIRouter()

STANCES = (("favourable", "Favorable"), ("reserve", "Réservé"), ("defavorable", "Défavorable"))
DECISIONS = (("retenu", "Retenu"), ("ajourne", "Ajourné"), ("refuse", "Refusé"))
CHOICES = (("participant", "Participer"), ("observer", "Observer"), ("none", "Ne pas y aller"))
LABELS: dict[str, Any] = {
    "stance_label": dict(STANCES),
    "decision_label": dict(DECISIONS),
    "choice_label": dict(CHOICES),
}


REPRESENTATION = {
    "referent_par_thematique": "Référent·e par thématique : chaque conseil concerné est représenté "
    "par son ou sa référent·e de la thématique.",
    "vivier_ouvert": "Vivier ouvert : tous les membres des conseils concernés sont invités ; "
    "les places vont à qui s'inscrit d'abord.",
    "rotation": "Tour de rôle : chaque conseil concerné est représenté par le membre dont c'est le tour.",
}


def representation_for(territory: TerritoryConfig) -> Callable[[str, str | datetime], str | None]:
    """How a council is represented at an instance this time (a Jinja global of the instance
    pages): the scenario of its type on its date, for the types whose file dates scenarios."""

    def representation(instance_type: str, starts_at: str | datetime) -> str | None:
        if instance_type not in territory.participation:
            return None
        day = frenchdates.local(frenchdates.parse_iso(starts_at), territory.territory.timezone).date()
        return REPRESENTATION[territory.scenario_on(instance_type, day)]

    return representation


def voice(request: Request) -> VoiceClient:
    client: VoiceClient = request.app.state.voice
    return client


def euros(amount: int | None) -> str:
    """« 12 000 € » (a narrow no-break space between thousands, as French typography)."""
    return "—" if amount is None else f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


@router.get("/instances/{instance_id}/avis", response_class=HTMLResponse)
async def opinions_page(request: Request, instance_id: str) -> Response:
    principal = require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    if principal.role in STAFF_ROLES:
        return redirect(request, f"/equipe/instances/{instance_id}/projets")
    ctx, token = site(request), user_token(request)
    instance, projects, councils = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        voice(request).projects(token, instance_id),
        ctx.registry.councils(token),
    )
    names = {str(council.id): council.name for council in councils}
    mine = str(principal.council_id) if principal.council_id else None
    concerned = mine is not None and mine in {str(c) for c in instance.concerned_council_ids}
    return render(
        request,
        "avis.html",
        title=f"Avis des conseils — {instance.title}",
        active="agenda",
        instance=instance,
        projects=[_view(p.model_dump(mode="json"), names, mine) for p in projects],
        concerned=concerned,
        is_coordinator=principal.role == "coordinator",
        stances=STANCES,
        euros=euros,
        **LABELS,
    )


def _view(project: dict[str, Any], names: dict[str, str], mine: str | None) -> dict[str, Any]:
    opinions = [{**o, "council": names.get(o["council_id"], "—")} for o in project["opinions"]]
    project["opinions"] = sorted(opinions, key=lambda o: o["council"])
    project["mine"] = next((o for o in opinions if o["council_id"] == mine), None)
    return project


@router.post("/instances/{instance_id}/projets/{project_id}/avis")
async def give_opinion(request: Request, instance_id: str, project_id: str) -> Response:
    require_councillor(request)
    form = await checked_form(request)
    back = f"/instances/{instance_id}/avis"
    if parse_uuid(instance_id) is None or parse_uuid(project_id) is None:
        return redirect(request, "/agenda")
    stance, text = str(form.get("stance", "")), str(form.get("texte", "")).strip()
    if stance not in dict(STANCES):
        return redirect(
            request, f"{back}#projet-{project_id}", "Choisissez l'avis : favorable, réservé ou défavorable."
        )
    if not text:
        return redirect(
            request, f"{back}#projet-{project_id}", "Écrivez l'avis du conseil (quelques phrases)."
        )
    try:
        await voice(request).give_opinion(user_token(request), instance_id, project_id, stance, text[:2000])
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, f"{back}#projet-{project_id}", error.detail)
    return redirect(request, f"{back}#projet-{project_id}", "L'avis du conseil est enregistré.")


@router.get("/mon-conseil/participation", response_class=HTMLResponse)
async def participation_page(request: Request) -> Response:
    principal = require(request, "coordinator")
    ctx = site(request)
    held = await voice(request).council_choices(user_token(request), principal.council_id)
    current = {choice.instance_type: choice.choice for choice in held}
    return render(
        request,
        "participation.html",
        title="Notre participation",
        active="conseil",
        kinds=ctx.territory.instance_types,
        current=current,
        choices=CHOICES,
    )


@router.post("/mon-conseil/participation")
async def choose(request: Request) -> Response:
    principal = require(request, "coordinator")
    form = await checked_form(request)
    ctx, token, changed = site(request), user_token(request), 0
    current = {
        c.instance_type: c.choice for c in await voice(request).council_choices(token, principal.council_id)
    }
    for kind in ctx.territory.instance_types:
        choice = str(form.get(f"choix-{kind.slug}", ""))
        if choice not in dict(CHOICES) or current.get(kind.slug) == choice:
            continue
        try:
            await voice(request).choose(token, principal.council_id, kind.slug, choice)
        except ApiError as error:
            if error.status_code >= 500:
                raise
            return redirect(request, "/mon-conseil/participation", error.detail)
        changed += 1
    message = f"{changed} choix enregistré{'s' if changed > 1 else ''} ; l'équipe du territoire est prévenue."
    return redirect(request, "/mon-conseil/participation", message if changed else "Rien n'a changé.")
