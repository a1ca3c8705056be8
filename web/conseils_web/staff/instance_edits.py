"""Staff edits of an instance (/equipe/instances/{id}/...): its title, theme and description
(a draft's place too: a scheduled instance's place changes by « Déplacer », which tells the
people), a draft scheduled, a document removed or replaced before publication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from conseils_web.clients.meetings import Instance
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms
from conseils_web.staff.instance_list import meetings_staff
from conseils_web.staff.instances import instance_page

router = APIRouter(prefix="/equipe/instances")


def _form(request: Request, row: Instance, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(
        request,
        "equipe/modifier.html",
        status_code,
        title="Modifier l'instance",
        active="equipe-instances",
        instance=row,
        themes=site(request).territory.themes,
        **context,
    )


async def _instance(request: Request, instance_id: str) -> Instance | None:
    if parse_uuid(instance_id) is None:
        return None
    try:
        return await site(request).meetings.instance(user_token(request), instance_id)
    except ApiError as error:
        if error.status_code == 404:
            return None
        raise


def _missing(request: Request) -> HTMLResponse:
    return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")


@router.get("/{instance_id}/modifier", response_class=HTMLResponse)
async def edit_form(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    row = await _instance(request, instance_id)
    if row is None:
        return _missing(request)
    values = {
        "title": row.title,
        "theme": row.theme or "",
        "description": getattr(row, "description", None) or "",
        "location": getattr(row, "location", "") or "",
    }
    return _form(request, row, values=values)


@router.post("/{instance_id}/modifier")
async def edit(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    row = await _instance(request, instance_id)
    if row is None:
        return _missing(request)
    values = forms.values(form, forms.EDIT_FIELDS)
    draft = row.status == "draft"
    body, errors = forms.edit_body(values, draft=draft)
    if body is None:
        return _form(request, row, 400, values=values, errors=errors)
    try:
        await meetings_staff(request).edit(user_token(request), instance_id, body)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return _form(
            request, row, 400, values=values, errors=[(forms.field_of(error.detail, "title"), error.detail)]
        )
    told = "" if draft else " Les personnes inscrites voient la nouvelle version."
    return redirect(request, f"/equipe/instances/{instance_id}", "Instance modifiée." + told)


@router.post("/{instance_id}/programmer")
async def schedule_draft(request: Request, instance_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    try:
        await meetings_staff(request).schedule_draft(user_token(request), instance_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await instance_page(request, instance_id, 400, errors=[("programmer", error.detail)])
    return redirect(
        request,
        f"/equipe/instances/{instance_id}",
        "Instance programmée : les conseils concernés sont prévenus.",
    )


@router.post("/{instance_id}/documents/{document_id}/supprimer")
async def remove_document(request: Request, instance_id: str, document_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    if parse_uuid(document_id) is None:
        return _missing(request)
    try:
        await meetings_staff(request).remove_document(user_token(request), instance_id, document_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await instance_page(request, instance_id, 400, errors=[(f"doc-{document_id}", error.detail)])
    return redirect(request, f"/equipe/instances/{instance_id}", "Document retiré du dossier.")


@router.post("/{instance_id}/documents/{document_id}/remplacer")
async def replace_document(request: Request, instance_id: str, document_id: str) -> Response:
    """The new file is deposited first, then the old one removed: a refused file loses nothing."""
    require_staff(request)
    form = await checked_form(request)
    field = f"remplacer-{document_id}"
    file = form.get("file")
    if parse_uuid(document_id) is None:
        return _missing(request)
    if not isinstance(file, UploadFile) or not file.filename:
        return await instance_page(
            request, instance_id, 400, errors=[(field, "Choisissez le nouveau fichier.")]
        )
    kind = "minutes" if form.get("kind") == "minutes" else "dossier"
    sent = (file.filename, await file.read(), file.content_type or "application/octet-stream")
    token, meetings = user_token(request), meetings_staff(request)
    try:
        await site(request).meetings.upload(token, instance_id, kind, sent)
        await meetings.remove_document(token, instance_id, document_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await instance_page(request, instance_id, 400, errors=[(field, error.detail)])
    return redirect(
        request,
        f"/equipe/instances/{instance_id}",
        f"Document remplacé par « {file.filename} » (pas encore publié).",
    )
