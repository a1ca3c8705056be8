"""Staff page of the alerts (/equipe/alertes): each alert with a link to what it concerns
(the instance or the council), who took it in hand and who resolved it, when; the buttons to
do so (facts the notifications service publishes); and her choice of alert emails."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.notifications import Alert, NewAlertEmails
from conseils_web.clients.registry import StaffAccount
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError

router = APIRouter(prefix="/equipe")
PAGE = "/equipe/alertes"
SUBJECT_PAGES = {
    "instance": ("/equipe/instances/", "Voir l'instance"),
    "council": ("/equipe/conseils/", "Voir le conseil"),
}
EMAIL_MODES = (
    ("immediate", "Les alertes urgentes tout de suite, les autres dans un récapitulatif quotidien"),
    ("digest", "Toutes les alertes dans un récapitulatif quotidien (à 8 h)"),
    ("none", "Aucun courriel : je consulte cette page"),
)
STATUS_WORDS = {"open": "À traiter", "acknowledged": "Prise en charge", "resolved": "Résolue"}


def _row(alert: Alert, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    page = SUBJECT_PAGES.get(alert.subject_type or "")

    def who(staff_id: uuid.UUID | None) -> str:
        return names.get(staff_id, "un·e agent du territoire") if staff_id else ""

    return {
        "alert": alert,
        "status_word": STATUS_WORDS.get(alert.status, alert.status),
        "link": (f"{page[0]}{alert.subject_id}", page[1]) if page else None,
        "acknowledged_by": who(alert.acknowledged_by),
        "resolved_by": who(alert.resolved_by),
    }


async def _staff_accounts(request: Request) -> list[StaffAccount]:
    """Names of who acted (staff read them; an operator sees "un·e agent")."""
    try:
        return await site(request).registry.staff_accounts(user_token(request))
    except ApiError:
        return []


@router.get("/alertes", response_class=HTMLResponse)
async def alerts_page(request: Request) -> HTMLResponse:
    principal = require_staff(request)
    everything = request.query_params.get("etat") == "toutes"
    ctx, token = site(request), user_token(request)
    error, rows, mode = None, [], None
    try:
        accounts = await _staff_accounts(request)
        # A city or State agent sees her cities' alerts (and the territory's), never another city's.
        mine = [a for a in accounts if str(a.id) == principal.subject]
        cities = ctx.territory.staff_cities(mine[0].email) if mine else None
        alerts = await ctx.notifications.alerts(token, unresolved=not everything, cities=cities)
        names = {account.id: account.name for account in accounts}
        rows = [_row(alert, names) for alert in alerts]
        if principal.role == "staff":
            mode = (await ctx.notifications.alert_emails(token)).mode
    except ApiError as failure:
        error = str(failure)
    return render(
        request,
        "equipe/alertes.html",
        title="Alertes",
        active="equipe-alertes",
        rows=rows,
        everything=everything,
        error=error,
        can_act=principal.role == "staff",
        mode=mode,
        email_modes=EMAIL_MODES,
    )


async def _act(request: Request, alert_id: str, action: str) -> Response:
    require_staff(request)
    await checked_form(request)
    wanted = parse_uuid(alert_id)
    back = f"{PAGE}#alerte-{alert_id}"
    if wanted is None:
        return redirect(request, PAGE, "Alerte introuvable.")
    client, token = site(request).notifications, user_token(request)
    try:
        if action == "acknowledge":
            await client.acknowledge_alert(token, wanted)
            message = "Vous avez pris l'alerte en charge : les autres agents le voient."
        else:
            await client.resolve_alert(token, wanted)
            message = "Alerte résolue."
    except ApiError as failure:
        return redirect(request, back, str(failure))
    return redirect(request, back, message)


@router.post("/alertes/{alert_id}/prise-en-charge")
async def acknowledge(request: Request, alert_id: str) -> Response:
    return await _act(request, alert_id, "acknowledge")


@router.post("/alertes/{alert_id}/resolution")
async def resolve(request: Request, alert_id: str) -> Response:
    return await _act(request, alert_id, "resolve")


@router.post("/alertes/courriels")
async def alert_emails(request: Request) -> Response:
    """Her choice, for the address of her own account (found by her account id)."""
    principal = require_staff(request)
    form = await checked_form(request)
    mode = form.get("mode")
    if mode not in {value for value, _label in EMAIL_MODES}:
        return redirect(request, f"{PAGE}#preferences", "Choisissez comment recevoir les alertes.")
    mine = [a for a in await _staff_accounts(request) if str(a.id) == principal.subject]
    if principal.role != "staff" or not mine:
        return redirect(request, f"{PAGE}#preferences", "Votre compte ne reçoit pas d'alertes par courriel.")
    try:
        await site(request).notifications.save_alert_emails(
            user_token(request), NewAlertEmails(email=mine[0].email, mode=str(mode))
        )
    except ApiError as failure:
        return redirect(request, f"{PAGE}#preferences", str(failure))
    return redirect(request, f"{PAGE}#preferences", "Votre choix de courriels d'alerte est enregistré.")
