"""Staff pages of the councils' voice: the projects of an instance submitted for the councils'
opinions, every council's opinion, and the decision taken on each project for the minutes
(`/equipe/instances/{id}/projets`); the councils' participation choices (`/equipe/participation`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.voice import DecisionRequest, NewProject
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.opinion_pages import CHOICES, DECISIONS, LABELS, _view, euros, voice
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError

router = APIRouter(prefix="/equipe")


def _amount(value: object) -> int | None:
    text = str(value or "").replace("\u202f", "").replace(" ", "").replace("€", "").strip()
    return int(text) if text.isdigit() else None


@router.get("/instances/{instance_id}/projets", response_class=HTMLResponse)
async def projects_page(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    ctx, token = site(request), user_token(request)
    instance, projects, councils = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        voice(request).projects(token, instance_id),
        ctx.registry.councils(token),
    )
    names = {str(council.id): council.name for council in councils}
    kind = next((k for k in ctx.territory.instance_types if k.slug == instance.instance_type), None)
    return render(
        request,
        "equipe/projets.html",
        title=f"Projets — {instance.title}",
        active="equipe-instances",
        instance=instance,
        allowed=bool(kind and kind.opinions),
        projects=[_view(p.model_dump(mode="json"), names, None) for p in projects],
        concerned_count=len(instance.concerned_council_ids),
        documents=getattr(instance, "dossier_documents", None) or [],
        themes=ctx.territory.themes,
        decisions=DECISIONS,
        euros=euros,
        **LABELS,
    )


@router.post("/instances/{instance_id}/projets")
async def submit(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    back = f"/equipe/instances/{instance_id}/projets"
    amount = _amount(form.get("montant"))
    title, promoter = str(form.get("titre", "")).strip(), str(form.get("porteur", "")).strip()
    if len(title) < 2 or len(promoter) < 2 or amount is None:
        return redirect(request, back, "Indiquez le titre, le porteur et le montant demandé (en euros).")
    document = str(form.get("document", "")) or None
    project = NewProject(
        title=title[:300],
        promoter=promoter[:300],
        theme=str(form.get("thematique", "")) or None,
        place=(str(form.get("lieu", "")).strip() or None),
        amount_requested_euros=amount,
        document_id=parse_uuid(document) if document else None,
    )
    try:
        await voice(request).submit(user_token(request), instance_id, project)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, f"Projet « {title} » soumis à l'avis des conseils.")


@router.post("/instances/{instance_id}/projets/{project_id}/decision")
async def decide(request: Request, instance_id: str, project_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    back = f"/equipe/instances/{instance_id}/projets"
    decision = str(form.get("decision", ""))
    if decision not in dict(DECISIONS) or parse_uuid(project_id) is None:
        return redirect(request, back, "Choisissez la décision : retenu, ajourné ou refusé.")
    body = DecisionRequest(
        decision=decision,
        amount_granted_euros=_amount(form.get("montant")) if decision == "retenu" else None,
        note=str(form.get("note", "")).strip()[:2000],
    )
    try:
        await voice(request).decide(user_token(request), instance_id, project_id, body)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, f"{back}#projet-{project_id}", error.detail)
    return redirect(request, f"{back}#projet-{project_id}", "Décision enregistrée pour le compte rendu.")


@router.get("/participation", response_class=HTMLResponse)
async def participation(request: Request) -> HTMLResponse:
    require_staff(request)
    ctx, token = site(request), user_token(request)
    choices, councils = await asyncio.gather(voice(request).all_choices(token), ctx.registry.councils(token))
    by_council: dict[str, dict[str, str]] = {}
    for choice in choices:
        by_council.setdefault(str(choice.council_id), {})[choice.instance_type] = choice.choice
    rows = [(council.name, by_council.get(str(council.id), {})) for council in councils]
    return render(
        request,
        "equipe/participation.html",
        title="Participation des conseils",
        active="equipe-conseils",
        kinds=ctx.territory.instance_types,
        rows=sorted(rows, key=lambda row: row[0]),
        choice_label=dict(CHOICES),
    )
