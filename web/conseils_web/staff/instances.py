"""Staff page of one instance (/equipe/instances/{id}): reschedule, cancel; dossier,
registrations and their CSV, attendance sheet (councillors and other participants), minutes.
The list and the scheduling form are in `instance_list`, the edits in `instance_edits`."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from conseils_runtime.spreadsheets import SafeWriter
from conseils_web.clients import Caller
from conseils_web.clients.confirmations import ConfirmationsClient
from conseils_web.clients.notifications import Delivery
from conseils_web.clients.presence import PresenceClient
from conseils_web.clients.registry import Member
from conseils_web.clients.staff_meetings import MeetingsStaffClient
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.page_access import may, require_page
from conseils_web.security import checked_form, current_user, require_staff
from conseils_web.services import ApiError, ServiceUnavailable
from conseils_web.staff import forms, views

router = APIRouter(prefix="/equipe")


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
async def instance(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    return await instance_page(request, instance_id)


async def instance_page(
    request: Request, instance_id: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The staff's page of one instance; after a refused form, with its errors next to their
    fields (`errors`) and what was typed (`typed`)."""
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    ctx, token = site(request), user_token(request)
    names = may(current_user(request), "membres")  # the operator: the flows, not who registered
    row, registrations, attendance, members, councils = await asyncio.gather(
        ctx.meetings.instance(token, instance_id),
        ctx.meetings.registrations(token, instance_id),
        ctx.meetings.attendance(token, instance_id),
        ctx.registry.members(token) if names else _no_members(),
        ctx.registry.councils(token),
    )
    presence = PresenceClient(ctx.meetings._transport)
    code: str | None
    try:  # the attendance code and the presence declared with it (issue 19)
        code, declared = await asyncio.gather(
            presence.code(token, instance_id), presence.declared(token, instance_id)
        )
    except (ApiError, ServiceUnavailable):
        code, declared = None, []  # an older meetings service: the sheet alone
    try:  # who said « Je viens » (issue 19): the confirmed head-count
        coming = {
            str(c.member_id)
            for c in await ConfirmationsClient(ctx.meetings._transport).of_instance(token, instance_id)
        }
    except (ApiError, ServiceUnavailable):
        coming = set()
    deliveries: list[Delivery] | None
    try:
        deliveries = await ctx.notifications.deliveries(token, instance_id, limit=500)
    except (ApiError, ServiceUnavailable):
        deliveries = None  # the page still works while notifications are away
    view = views.instance_view(
        row, registrations, attendance, views.members_by_id(members), views.council_names(councils)
    )
    others = [dict(o) for o in getattr(row, "other_attendees", None) or []]
    context.setdefault("typed", {})
    context.setdefault("other_rows", _other_rows(others))
    return render(
        request,
        "equipe/instance.html",
        status_code,
        title=row.title,
        active="equipe-instances",
        instance=row,
        deliveries=deliveries,
        presence_code=code,
        declared={str(d.member_id) for d in declared},
        coming=coming,
        other_categories=forms.OTHER_CATEGORIES,
        **view,
        **context,
    )


async def _no_members() -> list[Member]:
    return []


def _other_rows(others: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The lines of other participants shown in the form: those recorded, then blank ones."""
    rows = [
        {
            "categorie": str(o.get("category", "")),
            "organisation": str(o.get("organisation", "")),
            "fonction": str(o.get("role", "")),
            "nombre": str(o.get("count", 1)),
        }
        for o in others
    ]
    blank = {"categorie": "", "organisation": "", "fonction": "", "nombre": ""}
    return rows + [dict(blank) for _ in range(forms.OTHER_ROWS)]


async def _act(
    request: Request,
    instance_id: str,
    action: Callable[[Caller], Awaitable[Any]],
    success: str,
    *,
    field: str = "actions",
    typed: dict[str, str] | None = None,
) -> Response:
    """One action on the instance with the staff's token, then back to its page with `success`;
    a refusal answers 400 with the service's French reason next to `field`."""
    try:
        await action(user_token(request))
    except ApiError as error:
        if error.status_code >= 500:
            raise
        errors = [(field, error.detail)]
        return await instance_page(request, instance_id, 400, errors=errors, typed=typed or {})
    return redirect(request, f"/equipe/instances/{instance_id}", success)


@router.get("/instances/{instance_id}/deplacer", response_class=HTMLResponse)
async def reschedule_form(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    ctx = site(request)
    row = await ctx.meetings.instance(user_token(request), instance_id)
    tz = ZoneInfo(ctx.timezone)
    start, end = row.starts_at.astimezone(tz), row.ends_at.astimezone(tz)
    values = {  # prefilled: to change the place only, staff change the place only
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "location": getattr(row, "location", "") or "",
    }
    return render(
        request,
        "equipe/deplacer.html",
        title="Déplacer l'instance ou changer de lieu",
        instance=row,
        values=values,
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
        errors = [("reason", "Indiquez le motif de l'annulation (il est envoyé aux personnes prévenues).")]
        return await instance_page(request, instance_id, 400, errors=errors, typed={"reason": reason})
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.cancel(token, instance_id, reason),
        "Instance annulée : les personnes concernées sont prévenues.",
        field="reason",
        typed={"reason": reason},
    )


@router.post("/instances/{instance_id}/documents")
async def upload(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    file = form.get("file")
    kind = "minutes" if form.get("kind") == "minutes" else "dossier"
    if not isinstance(file, UploadFile) or not file.filename:
        errors = [("file", "Choisissez le fichier à déposer.")]
        return await instance_page(request, instance_id, 400, errors=errors, typed={"kind": kind})
    content = await file.read()
    sent = (file.filename, content, file.content_type or "application/octet-stream")
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.upload(token, instance_id, kind, sent),
        f"Document « {file.filename} » déposé (pas encore publié).",
        field="file",
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
        field="publier",
    )


@router.post("/instances/{instance_id}/presence")
async def attendance(request: Request, instance_id: str) -> Response:
    """Councillors by name (ticked), other participants by organisation, role and count."""
    require_staff(request)
    form = await checked_form(request)
    present = [value for value in form.getlist("present") if isinstance(value, str) and parse_uuid(value)]
    others, rows, errors = forms.others_body(form)
    if errors:
        return await instance_page(request, instance_id, 400, errors=errors, other_rows=rows)
    meetings = MeetingsStaffClient(site(request).meetings._transport)
    counted = f" et {sum(o.count for o in others)} autre(s) participant·e(s)" if others else ""
    return await _act(
        request,
        instance_id,
        lambda token: meetings.record_attendance(token, instance_id, present, others),
        f"Présence enregistrée : {forms.present_label(len(present))}{counted}.",
        field="presence",
    )


@router.post("/instances/{instance_id}/compte-rendu")
async def minutes(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    summary = forms.text(form, "summary")
    if len(summary) < 2:
        errors = [("summary", "Écrivez le résumé du compte rendu avant de le publier.")]
        return await instance_page(request, instance_id, 400, errors=errors, typed={"summary": summary})
    meetings = site(request).meetings
    return await _act(
        request,
        instance_id,
        lambda token: meetings.publish_minutes(token, instance_id, summary),
        "Compte rendu publié.",
        field="summary",
        typed={"summary": summary},
    )


@router.get("/instances/{instance_id}/inscriptions.csv")
async def registrations_csv(request: Request, instance_id: str) -> Response:
    require_page(request, "membres")
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
