"""The members CSV on the staff's pages (/equipe/membres/import, modele.csv, export.csv): the
template in the words people know, a preview of the file (nothing written), then the import
itself, all or nothing, with the line-by-line report; and the members' export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from conseils_web.clients.base import Download
from conseils_web.clients.registry import ImportReport
from conseils_web.context import render, site, user_token
from conseils_web.page_access import require_page
from conseils_web.security import checked_form
from conseils_web.services import ApiError
from conseils_web.staff.members import registry

router = APIRouter(prefix="/equipe/membres")
MAX_BYTES = 2_000_000


def _report(body: object) -> ImportReport | None:
    try:
        return ImportReport.model_validate(body)
    except ValidationError:
        return None


async def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx = site(request)
    councils = await ctx.registry.councils(user_token(request))
    by_city: dict[str, tuple[str, list[str]]] = {city.code: (city.name, []) for city in ctx.territory.cities}
    for council in councils:
        code = getattr(council, "city_code", "")
        if code in by_city and getattr(council, "dissolved_on", None) is None:
            by_city[code][1].append(council.name)
    return render(
        request,
        "equipe/import.html",
        status_code,
        title="Importer des membres",
        active="equipe-conseils",
        councils_by_city=[entry for entry in by_city.values() if entry[1]],
        themes=ctx.territory.themes,
        **context,
    )


def _file(download: Download, filename: str) -> Response:
    return Response(
        download.content,
        media_type=download.media_type or "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/modele.csv")
async def template(request: Request) -> Response:
    require_page(request, "fichiers-membres")
    return _file(await registry(request).template(user_token(request)), "modele-import-membres.csv")


@router.get("/export.csv")
async def export(request: Request, anciens: str = "") -> Response:
    require_page(request, "fichiers-membres")
    download = await registry(request).export(user_token(request), include_left=anciens == "oui")
    return _file(download, "membres.csv")


@router.get("/import", response_class=HTMLResponse)
async def import_form(request: Request) -> HTMLResponse:
    require_page(request, "fichiers-membres")
    return await _page(request)


@router.post("/import", response_class=HTMLResponse)
async def import_members(request: Request) -> HTMLResponse:
    """A file is first previewed (dry_run: nothing written); its confirmation sends the same
    content back (kept in the page, not on the server) and applies it."""
    require_page(request, "fichiers-membres")
    form = await checked_form(request)
    file, kept = form.get("file"), form.get("contenu")
    confirmed = form.get("confirmer") == "oui" and isinstance(kept, str) and bool(kept)
    if confirmed:
        content, filename = str(kept).encode("utf-8"), "membres.csv"
    elif isinstance(file, UploadFile) and file.filename:
        content, filename = await file.read(MAX_BYTES + 1), file.filename
    else:
        return await _page(request, 400, errors=[("file", "Choisissez un fichier CSV.")])
    if len(content) > MAX_BYTES:
        return await _page(request, 400, errors=[("file", "Fichier trop volumineux (2 Mo au plus).")])
    try:
        report = await registry(request).import_members(
            user_token(request), filename, content, dry_run=not confirmed
        )
        status = 200
    except ApiError as error:
        # All or nothing: the refusal (422) carries the same line-by-line report.
        refused = _report(error.body) if error.status_code == 422 else None
        if refused is None:
            if error.status_code >= 500:
                raise
            return await _page(request, 400, errors=[("file", error.detail)])
        report, status = refused, 400
    text = "" if confirmed or status != 200 else _decoded(content)
    return await _page(request, status, report=report, contenu=text)


def _decoded(content: bytes) -> str:
    """The previewed file as text for its confirmation (UTF-8, else Windows-1252 as the registry reads it)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")
