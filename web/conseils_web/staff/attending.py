"""Staff pages of the barriers to attending: an instance's needs checklist (what was asked, by
when it must be booked, the "réservé" toggle), its easy-to-read documents, the cost claims
(approve, refuse with a reason, mark paid; the receipt; the finance department's CSV) and the
bilan of the barriers lifted."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.page_access import require_page
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import bilan_view
from conseils_web.staff.bilan import _period as _typed_period

router = APIRouter(prefix="/equipe")

CLAIM_FILTERS = {"submitted": "À décider", "approved": "Approuvées", "refused": "Refusées", "paid": "Payées"}


async def _names(request: Request) -> dict[str, str]:
    """Members' names, for staff (the registry's list, staff only)."""
    members = await site(request).registry.members(user_token(request))
    return {str(member.id): member.display_name or "(nom masqué)" for member in members}


def _not_found(request: Request, what: str = "Instance introuvable.") -> HTMLResponse:
    return render(request, "erreur.html", 404, title="Introuvable", message=what)


@router.get("/instances/{instance_id}/besoins", response_class=HTMLResponse)
async def checklist(request: Request, instance_id: str) -> Response:
    require_page(request, "besoins")
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    ctx, token = site(request), user_token(request)
    instance, lines, names = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        ctx.attending.checklist(token, instance_id),
        _names(request),
    )
    return render(
        request,
        "equipe/besoins.html",
        title=f"Besoins à réserver — {instance.title}",
        active="equipe-instances",
        instance=instance,
        lines=lines,
        names=names,
        now=ctx.clock(),
    )


@router.post("/instances/{instance_id}/besoins/{need_id}")
async def toggle(request: Request, instance_id: str, need_id: str) -> Response:
    require_page(request, "besoins")
    form = await checked_form(request)
    back = f"/equipe/instances/{instance_id}/besoins"
    if parse_uuid(instance_id) is None or parse_uuid(need_id) is None:
        return _not_found(request)
    booked = form.get("reserve") == "oui"
    try:
        await site(request).attending.set_booked(user_token(request), instance_id, need_id, booked)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, "Besoin marqué réservé." if booked else "Besoin remis à réserver.")


@router.get("/instances/{instance_id}/facile-a-lire", response_class=HTMLResponse)
async def easy_read(request: Request, instance_id: str) -> Response:
    require_staff(request)
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    ctx, token = site(request), user_token(request)
    instance, documents = await asyncio.gather(
        ctx.meetings.instance(token, instance_id), ctx.attending.easy_read(token, instance_id)
    )
    return render(
        request,
        "equipe/facile-a-lire.html",
        title=f"Version facile à lire — {instance.title}",
        active="equipe-instances",
        instance=instance,
        documents=documents,
    )


@router.post("/instances/{instance_id}/facile-a-lire")
async def upload_easy_read(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    back = f"/equipe/instances/{instance_id}/facile-a-lire"
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    kind = "easy_read_audio" if form.get("kind") == "easy_read_audio" else "easy_read"
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, back, "Choisissez un fichier à déposer.")
    sent = (file.filename, await file.read(), file.content_type or "application/octet-stream")
    try:
        await site(request).meetings.upload(user_token(request), instance_id, kind, sent)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(
        request,
        back,
        f"« {file.filename} » déposé : il sera publié avec le dossier (bouton « Publier le dossier »).",
    )


@router.get("/remboursements", response_class=HTMLResponse)
async def claims(request: Request) -> HTMLResponse:
    require_page(request, "remboursements")
    status = request.query_params.get("statut")
    status = status if status in CLAIM_FILTERS else None
    ctx, token = site(request), user_token(request)
    lines, names = await asyncio.gather(ctx.attending.claims(token, status), _names(request))
    start, end = _period(request)
    return render(
        request,
        "equipe/remboursements.html",
        title="Remboursements de frais",
        active="equipe-remboursements",
        claims=lines,
        names=names,
        status=status,
        filters=CLAIM_FILTERS,
        start=start,
        end=end,
    )


@router.post("/remboursements/{claim_id}")
async def decide(request: Request, claim_id: str) -> Response:
    require_page(request, "remboursements")
    form = await checked_form(request)
    if parse_uuid(claim_id) is None:
        return _not_found(request, "Demande introuvable.")
    decision = str(form.get("decision", ""))
    if decision not in {"approved", "refused", "paid"}:
        return redirect(request, "/equipe/remboursements", "Choisissez une décision.")
    reason = str(form.get("reason", "")).strip() or None
    try:
        await site(request).attending.decide(user_token(request), claim_id, decision, reason)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, "/equipe/remboursements", error.detail)
    said = {"approved": "Demande approuvée.", "refused": "Demande refusée.", "paid": "Demande marquée payée."}
    return redirect(request, "/equipe/remboursements", said[decision])


@router.get("/remboursements/{claim_id}/justificatif")
async def receipt(request: Request, claim_id: str) -> Response:
    require_page(request, "remboursements")
    if parse_uuid(claim_id) is None:
        return _not_found(request, "Justificatif introuvable.")
    upstream = await site(request).attending.receipt(user_token(request), claim_id)
    headers = {"Content-Disposition": upstream.disposition or "attachment"}
    return Response(upstream.content, media_type=upstream.media_type, headers=headers)


def _period(request: Request) -> tuple[str, str]:
    """The period asked (or the school year): the bilan page's reading, without its errors."""
    typed, errors = _typed_period(request)
    if errors:  # a wrong date: the school year, as before
        typed, _ = _typed_period_of(request, None, None)
    return typed["from"], typed["to"]


def _typed_period_of(request: Request, start: str | None, end: str | None) -> tuple[dict[str, str], Any]:
    return bilan_view.read_period(start, end, datetime.now(ZoneInfo(site(request).timezone)).date())


@router.get("/remboursements.csv")
async def claims_csv(request: Request) -> Response:
    require_page(request, "remboursements")
    start, end = _period(request)
    upstream = await site(request).attending.claims_csv(user_token(request), start, end)
    headers = {"Content-Disposition": f'attachment; filename="remboursements-{start}-{end}.csv"'}
    return Response(upstream.content, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/bilan/freins", response_class=HTMLResponse)
async def barriers_bilan(request: Request) -> HTMLResponse:
    require_staff(request)
    start, end = _period(request)
    figures: dict[str, Any] = await site(request).attending.bilan(user_token(request), start, end)
    return render(
        request,
        "equipe/freins.html",
        title="Bilan : les freins levés",
        active="equipe-bilan",
        start=start,
        end=end,
        figures=figures,
    )
