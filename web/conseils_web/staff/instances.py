"""Staff pages of the instances (/equipe/instances): schedule with the policy warnings shown
before confirming, reschedule, cancel; dossier, registrations and their CSV, attendance
sheet, minutes."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from conseils_runtime.spreadsheets import SafeWriter
from conseils_web.clients import Caller
from conseils_web.clients.meetings import NewInstance
from conseils_web.clients.notifications import Delivery
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError, ServiceUnavailable
from conseils_web.staff import forms, views

router = APIRouter(prefix="/equipe")


async def _instances_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    since = (datetime.now(ZoneInfo(ctx.timezone)) - timedelta(days=90)).isoformat()
    instances, councils = await asyncio.gather(
        ctx.meetings.instances(token, since=since), ctx.registry.councils(token)
    )
    context.setdefault("values", dict.fromkeys(forms.INSTANCE_FIELDS, ""))
    return render(
        request,
        "equipe/instances.html",
        status_code=status_code,
        title="Instances",
        active="equipe-instances",
        instances=sorted(instances, key=lambda row: row.starts_at.isoformat()),
        councils=councils,
        kinds=ctx.territory.instance_types,
        themes=ctx.territory.themes,
        cities=ctx.territory.cities,
        **context,
    )


@router.get("/instances", response_class=HTMLResponse)
async def instances(request: Request) -> HTMLResponse:
    require_staff(request)
    return await _instances_page(request)


@router.post("/instances")
async def schedule(request: Request) -> Response:
    require_staff(request)
    form = await checked_form(request)
    ctx = site(request)
    values = forms.values(form, forms.INSTANCE_FIELDS)
    body, errors = forms.instance_body(ctx, values)
    if errors:
        return await _instances_page(request, 400, values=values, errors=errors)
    draft = NewInstance.model_validate(body)
    token = user_token(request)
    try:
        if form.get("confirmer") != "oui":
            preview = await ctx.meetings.preview(token, draft)
            if preview.refused:
                return await _instances_page(
                    request, 400, values=values, errors=[("instance_type", preview.reason or "Refusé.")]
                )
            return await _instances_page(request, values=values, preview=preview)
        created = await ctx.meetings.schedule(token, draft)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _instances_page(request, 400, values=values, errors=[("instance_type", error.detail)])
    return redirect(
        request,
        f"/equipe/instances/{created.id}",
        "Instance programmée : les conseils concernés sont prévenus.",
    )


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
async def instance(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    ctx, token = site(request), user_token(request)
    row, registrations, attendance, members, councils = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        ctx.meetings.registrations(token, instance_id),
        ctx.meetings.attendance(token, instance_id),
        ctx.registry.members(token),
        ctx.registry.councils(token),
    )
    deliveries: list[Delivery] | None
    try:
        deliveries = await ctx.notifications.deliveries(token, instance_id, limit=500)
    except (ApiError, ServiceUnavailable):
        deliveries = None  # the page still works while notifications are away
    view = views.instance_view(
        row, registrations, attendance, views.members_by_id(members), views.council_names(councils)
    )
    return render(
        request,
        "equipe/instance.html",
        title=row.title,
        active="equipe-instances",
        instance=row,
        deliveries=deliveries,
        **view,
    )


async def _act(
    request: Request, instance_id: str, action: Callable[[Caller], Awaitable[Any]], success: str
) -> Response:
    """One action on the instance with the staff's token, then back to its page with the
    service's refusal or `success`."""
    back = f"/equipe/instances/{instance_id}"
    try:
        await action(user_token(request))
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, success)


@router.get("/instances/{instance_id}/deplacer", response_class=HTMLResponse)
async def reschedule_form(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    row = await site(request).meetings.instance(user_token(request), instance_id)
    return render(
        request,
        "equipe/deplacer.html",
        title="Déplacer l'instance",
        instance=row,
        values={},
        active="equipe-instances",
    )


@router.post("/instances/{instance_id}/deplacer")
async def reschedule(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    ctx, token = site(request), user_token(request)
    values = forms.values(form, forms.MOVE_FIELDS)
    row = await ctx.meetings.instance(token, instance_id)
    move, errors = forms.move_body(ctx, values)
    if move is None:
        return render(
            request,
            "equipe/deplacer.html",
            400,
            title="Déplacer l'instance",
            instance=row,
            values=values,
            errors=errors,
        )
    try:
        if form.get("confirmer") != "oui":
            preview = await ctx.meetings.preview_move(token, instance_id, move)
            return render(
                request,
                "equipe/deplacer.html",
                title="Déplacer l'instance",
                instance=row,
                values=values,
                preview=preview,
            )
        await ctx.meetings.reschedule(token, instance_id, move)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return render(
            request,
            "equipe/deplacer.html",
            400,
            title="Déplacer l'instance",
            instance=row,
            values=values,
            errors=[("day", error.detail)],
        )
    return redirect(
        request,
        f"/equipe/instances/{instance_id}",
        "Instance déplacée : les personnes concernées sont prévenues.",
    )


@router.post("/instances/{instance_id}/annuler")
async def cancel(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    reason = forms.text(form, "reason")
    if len(reason) < 2:
        return redirect(request, f"/equipe/instances/{instance_id}", "Indiquez le motif de l'annulation.")
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.cancel(token, instance_id, reason),
        "Instance annulée : les personnes concernées sont prévenues.",
    )


@router.post("/instances/{instance_id}/documents")
async def upload(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    file = form.get("file")
    kind = "minutes" if form.get("kind") == "minutes" else "dossier"
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, f"/equipe/instances/{instance_id}", "Choisissez un fichier à déposer.")
    content = await file.read()
    sent = (file.filename, content, file.content_type or "application/octet-stream")
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.upload(token, instance_id, kind, sent),
        f"Document « {file.filename} » déposé (pas encore publié).",
    )


@router.post("/instances/{instance_id}/dossier/publier")
async def publish_dossier(request: Request, instance_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.publish_dossier(token, instance_id),
        "Dossier publié : les personnes concernées le reçoivent.",
    )


@router.post("/instances/{instance_id}/presence")
async def attendance(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    present = [value for value in form.getlist("present") if isinstance(value, str) and parse_uuid(value)]
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.record_attendance(token, instance_id, present),
        f"Présence enregistrée ({len(present)} présent·es).",
    )


@router.post("/instances/{instance_id}/compte-rendu")
async def minutes(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    summary = forms.text(form, "summary")
    if len(summary) < 2:
        return redirect(request, f"/equipe/instances/{instance_id}", "Écrivez le résumé du compte rendu.")
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.publish_minutes(token, instance_id, summary),
        "Compte rendu publié.",
    )


@router.get("/instances/{instance_id}/inscriptions.csv")
async def registrations_csv(request: Request, instance_id: str) -> Response:
    require_staff(request)
    ctx, token = site(request), user_token(request)
    registrations, members, councils = await asyncio.gather(
        ctx.meetings.registrations(token, instance_id),
        ctx.registry.members(token),
        ctx.registry.councils(token),
    )
    out = io.StringIO()
    writer = SafeWriter(out, delimiter=";")  # names are typed by people: no formula runs
    writer.writerow(["nom", "conseil", "mode", "statut", "rang_attente", "inscrit_le"])
    for row in views.registration_rows(
        registrations, views.members_by_id(members), views.council_names(councils)
    ):
        writer.writerow(row)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="inscriptions-{instance_id}.csv"'},
    )
