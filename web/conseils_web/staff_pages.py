"""Staff pages (/equipe/...): instances (schedule with the policy warnings
shown before confirming, reschedule, cancel), dossier, registrations and
their CSV, attendance sheet, minutes; councils, members (CSV import report),
referents; the bilan."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from conseils_runtime.spreadsheets import SafeWriter
from conseils_web.context import SiteContext, parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError, ServiceUnavailable

router = APIRouter(prefix="/equipe")

INSTANCE_FIELDS = (
    "instance_type",
    "title",
    "theme",
    "city_code",
    "council_id",
    "day",
    "start",
    "end",
    "location",
)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _moment(ctx: SiteContext, day: str, hour: str) -> datetime | None:
    try:
        moment = datetime.combine(
            date.fromisoformat(day), time.fromisoformat(hour), tzinfo=ZoneInfo(ctx.timezone)
        )
    except ValueError:
        return None
    # In UTC: a SQLite-backed service keeps the wall time and drops the offset.
    return moment.astimezone(UTC)


def _instance_body(ctx: SiteContext, values: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The meetings API body from the form, or the errors to show at the top of the form."""
    errors: list[tuple[str, str]] = []
    kinds = {kind.slug: kind for kind in ctx.territory.instance_types}
    kind = kinds.get(values["instance_type"])
    if kind is None:
        errors.append(("instance_type", "Choisissez le type d'instance."))
    if kind is not None and kind.scope == "theme" and not values["theme"]:
        errors.append(("theme", "Ce type d'instance demande une thématique."))
    if kind is not None and kind.scope == "city" and not values["city_code"]:
        errors.append(("city_code", "Ce type d'instance demande une ville."))
    if kind is not None and kind.scope == "council" and not parse_uuid(values["council_id"]):
        errors.append(("council_id", "Ce type d'instance demande un conseil."))
    starts_at = _moment(ctx, values["day"], values["start"])
    ends_at = _moment(ctx, values["day"], values["end"])
    if starts_at is None:
        errors.append(("day", "Indiquez la date et l'heure de début (JJ/MM/AAAA et HH:MM)."))
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        errors.append(("end", "L'heure de fin doit être après l'heure de début."))
    if len(values["location"]) < 2:
        errors.append(("location", "Indiquez le lieu (adresse ou salle)."))
    title = values["title"] or (
        f"{kind.name}{' — ' + ctx.theme_name(values['theme']) if values['theme'] else ''}" if kind else ""
    )
    body: dict[str, Any] = {
        "instance_type": values["instance_type"],
        "title": title,
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "location": values["location"],
        "theme": values["theme"] or None,
        "city_code": values["city_code"] or None,
        "council_id": values["council_id"] or None,
    }
    return body, errors


async def _councils(request: Request) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await site(request).services.get(
        "registry", "/councils", user_token(request)
    )
    return rows


async def _instances_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    since = (datetime.now(ZoneInfo(ctx.timezone)) - timedelta(days=90)).isoformat()
    instances, councils = await asyncio.gather(
        ctx.services.get("meetings", "/instances", token, params={"from": since}),
        _councils(request),
    )
    context.setdefault("values", dict.fromkeys(INSTANCE_FIELDS, ""))
    return render(
        request,
        "equipe/instances.html",
        status_code=status_code,
        title="Instances",
        active="equipe-instances",
        instances=sorted(instances, key=lambda row: str(row["starts_at"])),
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
    values = {name: _text(form, name) for name in INSTANCE_FIELDS}
    body, errors = _instance_body(ctx, values)
    if errors:
        return await _instances_page(request, 400, values=values, errors=errors)
    token = user_token(request)
    try:
        if form.get("confirmer") != "oui":
            preview = await ctx.services.post("meetings", "/instances", token, json={**body, "dry_run": True})
            if preview["refused"]:
                return await _instances_page(
                    request, 400, values=values, errors=[("instance_type", preview["reason"] or "Refusé.")]
                )
            return await _instances_page(request, values=values, preview=preview)
        created = await ctx.services.post("meetings", "/instances", token, json=body)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _instances_page(request, 400, values=values, errors=[("instance_type", error.detail)])
    return redirect(
        request,
        f"/equipe/instances/{created['id']}",
        "Instance programmée : les conseils concernés sont prévenus.",
    )


async def _members_by_id(request: Request) -> dict[str, dict[str, Any]]:
    rows = await site(request).services.get("registry", "/members", user_token(request))
    return {str(row["id"]): row for row in rows}


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
async def instance(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    if parse_uuid(instance_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")
    ctx, token = site(request), user_token(request)
    row, registrations, attendance, members, councils = await asyncio.gather(
        ctx.services.get("meetings", f"/instances/{instance_id}", token),
        ctx.services.get("meetings", f"/instances/{instance_id}/registrations", token),
        ctx.services.get("meetings", f"/instances/{instance_id}/attendance", token),
        _members_by_id(request),
        _councils(request),
    )
    try:
        deliveries: list[dict[str, Any]] | None = await ctx.services.get(
            "notifications",
            "/notifications/deliveries",
            token,
            params={"instance_id": instance_id, "limit": 500},
        )
    except (ApiError, ServiceUnavailable):
        deliveries = None  # the page still works while notifications are away
    council_names = {str(council["id"]): council["name"] for council in councils}
    concerned = {str(c) for c in row["concerned_council_ids"]}
    present = {str(a["member_id"]) for a in attendance}
    registered = [r for r in registrations if r["status"] != "cancelled"]
    confirmed = {str(r["member_id"]) for r in registered if r["status"] == "confirmed"}
    sheet = [
        {"id": member_id, "name": members.get(member_id, {}).get("display_name") or "—", "registered": True}
        for member_id in sorted(confirmed, key=lambda m: str(members.get(m, {}).get("display_name") or ""))
    ] + [
        {"id": str(m["id"]), "name": m.get("display_name") or "—", "registered": False}
        for m in sorted(members.values(), key=lambda m: str(m.get("display_name") or ""))
        if str(m["council_id"]) in concerned and str(m["id"]) not in confirmed
    ]
    return render(
        request,
        "equipe/instance.html",
        title=row["title"],
        active="equipe-instances",
        instance=row,
        registrations=[
            {
                **r,
                "name": members.get(str(r["member_id"]), {}).get("display_name") or "—",
                "council": council_names.get(str(r["council_id"]), "—"),
            }
            for r in registered
        ],
        concerned=[council_names.get(c, c) for c in concerned],
        sheet=sheet,
        present=present,
        deliveries=deliveries,
    )


async def _act(request: Request, instance_id: str, path: str, success: str, **kwargs: Any) -> Response:
    back = f"/equipe/instances/{instance_id}"
    try:
        await site(request).services.post(
            "meetings", f"/instances/{instance_id}{path}", user_token(request), **kwargs
        )
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, success)


@router.get("/instances/{instance_id}/deplacer", response_class=HTMLResponse)
async def reschedule_form(request: Request, instance_id: str) -> HTMLResponse:
    require_staff(request)
    row = await site(request).services.get("meetings", f"/instances/{instance_id}", user_token(request))
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
    values = {name: _text(form, name) for name in ("day", "start", "end", "location")}
    row = await ctx.services.get("meetings", f"/instances/{instance_id}", token)
    starts_at, ends_at = (
        _moment(ctx, values["day"], values["start"]),
        _moment(ctx, values["day"], values["end"]),
    )
    errors = []
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors.append(("day", "Indiquez une date, une heure de début et une heure de fin après le début."))
    if errors or starts_at is None or ends_at is None:
        return render(
            request,
            "equipe/deplacer.html",
            400,
            title="Déplacer l'instance",
            instance=row,
            values=values,
            errors=errors,
        )
    body: dict[str, Any] = {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    if len(values["location"]) >= 2:
        body["location"] = values["location"]
    try:
        if form.get("confirmer") != "oui":
            preview = await ctx.services.post(
                "meetings", f"/instances/{instance_id}/reschedule", token, json={**body, "dry_run": True}
            )
            return render(
                request,
                "equipe/deplacer.html",
                title="Déplacer l'instance",
                instance=row,
                values=values,
                preview=preview,
            )
        await ctx.services.post("meetings", f"/instances/{instance_id}/reschedule", token, json=body)
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
    reason = _text(form, "reason")
    if len(reason) < 2:
        return redirect(request, f"/equipe/instances/{instance_id}", "Indiquez le motif de l'annulation.")
    return await _act(
        request,
        instance_id,
        "/cancel",
        "Instance annulée : les personnes concernées sont prévenues.",
        json={"reason": reason},
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
    return await _act(
        request,
        instance_id,
        "/documents",
        f"Document « {file.filename} » déposé (pas encore publié).",
        files={"file": (file.filename, content, file.content_type or "application/octet-stream")},
        data={"kind": kind},
    )


@router.post("/instances/{instance_id}/dossier/publier")
async def publish_dossier(request: Request, instance_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    return await _act(
        request, instance_id, "/dossier/publish", "Dossier publié : les personnes concernées le reçoivent."
    )


@router.post("/instances/{instance_id}/presence")
async def attendance(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    present = [value for value in form.getlist("present") if isinstance(value, str) and parse_uuid(value)]
    return await _act(
        request,
        instance_id,
        "/attendance",
        f"Présence enregistrée ({len(present)} présent·es).",
        json={"present_member_ids": present},
    )


@router.post("/instances/{instance_id}/compte-rendu")
async def minutes(request: Request, instance_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    summary = _text(form, "summary")
    if len(summary) < 2:
        return redirect(request, f"/equipe/instances/{instance_id}", "Écrivez le résumé du compte rendu.")
    return await _act(request, instance_id, "/minutes", "Compte rendu publié.", json={"summary": summary})


@router.get("/instances/{instance_id}/inscriptions.csv")
async def registrations_csv(request: Request, instance_id: str) -> Response:
    require_staff(request)
    ctx, token = site(request), user_token(request)
    registrations, members, councils = await asyncio.gather(
        ctx.services.get("meetings", f"/instances/{instance_id}/registrations", token),
        _members_by_id(request),
        _councils(request),
    )
    names = {str(council["id"]): council["name"] for council in councils}
    out = io.StringIO()
    writer = SafeWriter(out, delimiter=";")  # names are typed by people: no formula runs
    writer.writerow(["nom", "conseil", "mode", "statut", "rang_attente", "inscrit_le"])
    for row in registrations:
        member = members.get(str(row["member_id"]), {})
        writer.writerow(
            [
                member.get("display_name") or "",
                names.get(str(row["council_id"]), ""),
                row["mode"],
                row["status"],
                row.get("position") or "",
                row["created_at"],
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="inscriptions-{instance_id}.csv"'},
    )


# --------------------------------------------------------------------------- councils, members, referents


@router.get("/conseils", response_class=HTMLResponse)
async def councils(request: Request) -> HTMLResponse:
    require_staff(request)
    rows = await _councils(request)
    return render(
        request, "equipe/conseils.html", title="Conseils citoyens", active="equipe-conseils", councils=rows
    )


@router.get("/conseils/{council_id}", response_class=HTMLResponse)
async def council(request: Request, council_id: str) -> HTMLResponse:
    require_staff(request)
    if parse_uuid(council_id) is None:
        return render(request, "erreur.html", 404, title="Introuvable", message="Conseil introuvable.")
    ctx, token = site(request), user_token(request)
    row, members, referents = await asyncio.gather(
        ctx.services.get("registry", f"/councils/{council_id}", token),
        ctx.services.get("registry", f"/councils/{council_id}/members", token),
        ctx.services.get("registry", f"/councils/{council_id}/referents", token),
    )
    current = {referent["theme"]: str(referent["member_id"]) for referent in referents}
    return render(
        request,
        "equipe/conseil.html",
        title=row["name"],
        active="equipe-conseils",
        council=row,
        members=members,
        referents=[(theme, current.get(theme.slug)) for theme in ctx.territory.themes],
        names={str(m["id"]): m.get("display_name") or "—" for m in members},
    )


@router.post("/conseils/{council_id}/referents")
async def designate(request: Request, council_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    ctx = site(request)
    theme, member_id = _text(form, "theme"), _text(form, "member_id")
    back = f"/equipe/conseils/{council_id}"
    if theme not in {t.slug for t in ctx.territory.themes} or parse_uuid(council_id) is None:
        return redirect(request, back, "Thématique inconnue.")
    try:
        if member_id:
            await ctx.services.request(
                "registry",
                "PUT",
                f"/councils/{council_id}/referents/{theme}",
                user_token(request),
                json={"member_id": member_id},
            )
        else:
            await ctx.services.request(
                "registry", "DELETE", f"/councils/{council_id}/referents/{theme}", user_token(request)
            )
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, f"Référent·e « {ctx.theme_name(theme)} » enregistré·e.")


@router.get("/membres/import", response_class=HTMLResponse)
async def import_form(request: Request) -> HTMLResponse:
    require_staff(request)
    return render(request, "equipe/import.html", title="Importer des membres", active="equipe-conseils")


@router.post("/membres/import", response_class=HTMLResponse)
async def import_members(request: Request) -> HTMLResponse:
    require_staff(request)
    form = await checked_form(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return render(
            request,
            "equipe/import.html",
            400,
            title="Importer des membres",
            errors=[("file", "Choisissez un fichier CSV.")],
        )
    content = await file.read()
    try:
        report = await site(request).services.post(
            "registry",
            "/members/import",
            user_token(request),
            files={"file": (file.filename, content, "text/csv")},
        )
        status = 200
    except ApiError as error:
        if error.status_code != 422 or not isinstance(error.body, dict):
            raise
        report, status = error.body, 400
    return render(
        request,
        "equipe/import.html",
        status,
        title="Importer des membres",
        report=report,
        active="equipe-conseils",
    )


# --------------------------------------------------------------------------- bilan


def school_year(today: date) -> tuple[date, date]:
    """The year the councils and the contrat de ville count in: 1 September to 31 August
    (the Plaine Commune bilan covered 2016-17)."""
    first = today.year if today.month >= 9 else today.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def _period(request: Request) -> tuple[str, str]:
    default_start, default_end = school_year(datetime.now(ZoneInfo(site(request).timezone)).date())
    start = request.query_params.get("from") or default_start.isoformat()
    end = request.query_params.get("to") or default_end.isoformat()
    try:
        return date.fromisoformat(start).isoformat(), date.fromisoformat(end).isoformat()
    except ValueError:
        return default_start.isoformat(), default_end.isoformat()


ALERT_KINDS = {
    "dossier_late": "Dossier en retard",
    "daytime_political_instance": "Instance politique en journée",
    "short_notice": "Convocation tardive",
    "theme_without_referent": "Thématique sans référent·e",
    "council_over_quota": "Conseil au-delà de ses places",
    "nobody_registered": "Aucun inscrit",
}


@router.get("/alertes", response_class=HTMLResponse)
async def alerts(request: Request) -> HTMLResponse:
    require_staff(request)
    try:
        rows = await site(request).services.get("notifications", "/notifications/alerts", user_token(request))
    except ApiError as error:
        return render(
            request,
            "equipe/alertes.html",
            title="Alertes",
            active="equipe-alertes",
            alerts=[],
            error=str(error),
        )
    for row in rows:
        row["kind_label"] = ALERT_KINDS.get(row["kind"], row["kind"])
    return render(request, "equipe/alertes.html", title="Alertes", active="equipe-alertes", alerts=rows)


@router.get("/bilan", response_class=HTMLResponse)
async def bilan(request: Request) -> HTMLResponse:
    require_staff(request)
    start, end = _period(request)
    return render(request, "equipe/bilan.html", title="Bilan", active="equipe-bilan", start=start, end=end)


@router.get("/bilan/rapport")
async def bilan_report(request: Request) -> Response:
    require_staff(request)
    start, end = _period(request)
    fmt = "csv" if request.query_params.get("format") == "csv" else "html"
    upstream = await site(request).services.request(
        "meetings", "GET", "/bilan", user_token(request), params={"from": start, "to": end, "format": fmt}
    )
    headers = {}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="bilan-{start}-{end}.csv"'
    return Response(upstream.content, media_type=upstream.headers.get("content-type"), headers=headers)


# --------------------------------------------------------------------------- commitments

OUTCOME_STATUSES = {
    "proposed": "proposé",
    "in_progress": "en cours",
    "done": "réalisé",
    "abandoned": "abandonné",
}
OUTCOME_FIELDS = ("kind", "text", "made_by", "made_on", "council_id", "theme")


async def _outcomes_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    outcomes, councils = await asyncio.gather(
        ctx.services.get("meetings", "/outcomes", token), _councils(request)
    )
    context.setdefault("values", {**dict.fromkeys(OUTCOME_FIELDS, ""), "made_on": date.today().isoformat()})
    return render(
        request,
        "equipe/engagements.html",
        status_code=status_code,
        title="Propositions et engagements",
        active="equipe-engagements",
        outcomes=outcomes,
        councils=councils,
        council_names={str(c["id"]): c["name"] for c in councils},
        themes=ctx.territory.themes,
        outcome_statuses=OUTCOME_STATUSES,
        **context,
    )


@router.get("/engagements", response_class=HTMLResponse)
async def outcomes(request: Request) -> HTMLResponse:
    require_staff(request)
    return await _outcomes_page(request)


@router.post("/engagements")
async def add_outcome(request: Request) -> Response:
    require_staff(request)
    form = await checked_form(request)
    values = {name: _text(form, name) for name in OUTCOME_FIELDS}
    errors: list[tuple[str, str]] = []
    if values["kind"] not in {"proposal", "commitment"}:
        errors.append(("kind", "Choisissez : proposition d'un conseil ou engagement d'un·e élu·e."))
    if len(values["text"]) < 2:
        errors.append(("text", "Décrivez la proposition ou l'engagement."))
    if len(values["made_by"]) < 2:
        errors.append(("made_by", "Indiquez qui propose ou qui s'engage."))
    try:
        date.fromisoformat(values["made_on"])
    except ValueError:
        errors.append(("made_on", "Indiquez la date (JJ/MM/AAAA)."))
    if errors:
        return await _outcomes_page(request, 400, values=values, errors=errors)
    body = {
        "kind": values["kind"],
        "text": values["text"],
        "made_by": values["made_by"],
        "made_on": values["made_on"],
        "council_id": values["council_id"] or None,
        "theme": values["theme"] or None,
    }
    try:
        await site(request).services.post("meetings", "/outcomes", user_token(request), json=body)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _outcomes_page(request, 400, values=values, errors=[("kind", error.detail)])
    return redirect(request, "/equipe/engagements", "Enregistré.")


@router.post("/engagements/{outcome_id}")
async def update_outcome(request: Request, outcome_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    status, note = _text(form, "status"), _text(form, "note")
    if status not in OUTCOME_STATUSES or len(note) < 2 or parse_uuid(outcome_id) is None:
        return redirect(request, "/equipe/engagements", "Choisissez le nouveau statut et écrivez une note.")
    try:
        await site(request).services.post(
            "meetings",
            f"/outcomes/{outcome_id}/updates",
            user_token(request),
            json={"status": status, "note": note},
        )
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, "/equipe/engagements", error.detail)
    return redirect(request, "/equipe/engagements", f"Statut mis à jour : {OUTCOME_STATUSES[status]}.")
