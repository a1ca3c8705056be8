"""What is hers: my registrations (to come, past with presence and minutes), my history,
my notifications."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conseils_web.clients.confirmations import ConfirmationsClient
from conseils_web.clients.meetings import (
    HistoryInstance,
    MyRegistration,
)
from conseils_web.context import render, site, user_token
from conseils_web.labels import (
    HISTORY_INSTANCE_LABELS,
    HISTORY_INSTANCE_PENDING,
    MODE_LABELS,
)
from conseils_web.security import (
    require_councillor,
)
from conseils_web.services import ApiError

router = APIRouter()


@router.get("/mes-inscriptions", response_class=HTMLResponse)
async def my_registrations(request: Request) -> HTMLResponse:
    """Her registrations: those to come (soonest first), then the past ones (newest first)
    with her presence and the minutes; a cancelled instance says so and why."""
    require_councillor(request)
    ctx = site(request)
    rows, claims, coming = await asyncio.gather(
        ctx.meetings.my_registrations(user_token(request)), _my_claims(request), _my_confirmations(request)
    )
    claims_by_instance: dict[str, list[Any]] = {}
    for claim in claims:  # her cost claims, shown with the instance they are for
        claims_by_instance.setdefault(str(claim.instance_id), []).append(claim)
    now = ctx.clock()
    past = [row for row in rows if row.instance_status in PAST_STATUSES or row.starts_at <= now]
    upcoming = [row for row in rows if row not in past]
    upcoming.sort(key=lambda row: row.starts_at)
    past.sort(key=lambda row: row.starts_at, reverse=True)
    return render(
        request,
        "mes-inscriptions.html",
        title="Mes inscriptions",
        active="inscriptions",
        rows=rows,
        upcoming=upcoming,
        past=[(row, presence_label(row)) for row in past],
        claims=claims_by_instance,
        coming=coming,
    )


async def _my_claims(request: Request) -> list[Any]:
    """Her cost claims (none shown when the meetings service cannot say: an older one)."""
    try:
        return list(await site(request).attending.my_claims(user_token(request)))
    except ApiError:
        return []


async def _my_confirmations(request: Request) -> set[str]:
    """The instances she said « Je viens » to (none when the meetings service cannot say)."""
    try:
        rows = await ConfirmationsClient(site(request).meetings._transport).mine(user_token(request))
    except ApiError:
        return set()
    return {str(row.instance_id) for row in rows}


PAST_STATUSES = frozenset({"held", "minutes_published"})


def presence_label(row: MyRegistration) -> str | None:
    """Her presence at a past instance, in words (None: nothing to say, e.g. cancelled)."""
    if row.instance_status == "cancelled" or row.status == "cancelled":
        return None
    if row.present is True:
        return "Présent·e"
    if row.present is False:
        return "Absent·e" + (" (inscrit·e)" if row.status == "confirmed" else "")
    return "Présence pas encore enregistrée"


def history_labels(row: HistoryInstance) -> dict[str, str | None]:
    """How one past instance went for her, in words: the instance, her registration,
    her presence (None when there is nothing to say, e.g. a cancelled instance)."""
    registration = row.registration
    mode = MODE_LABELS.get(registration.mode, "participant·e") if registration else "participant·e"
    status = registration.status if registration else None
    if status == "confirmed":
        registered = f"Inscrit·e comme {mode}"
    elif status == "waitlisted":
        registered = f"Resté·e sur liste d'attente ({mode})"
    elif status == "cancelled":
        registered = "Non inscrit·e (inscription annulée)"
    else:
        registered = "Non inscrit·e"
    present = row.present
    if row.status == "cancelled":
        presence = None
    elif present is True:
        presence = "Présent·e"
    elif present is False:
        presence = "Absent·e (inscrit·e)" if status == "confirmed" else "Absent·e"
    else:
        presence = "Présence pas encore enregistrée"
    instance = HISTORY_INSTANCE_LABELS.get(row.status, HISTORY_INSTANCE_PENDING)
    if row.status == "cancelled" and row.cancel_reason:
        instance += f" : {row.cancel_reason}"
    return {"instance": instance, "registration": registered, "presence": presence}


@router.get("/mon-historique", response_class=HTMLResponse)
async def my_history(request: Request) -> HTMLResponse:
    require_councillor(request)
    history = await site(request).meetings.my_history(user_token(request))
    instances = [{**row.model_dump(), "labels": history_labels(row)} for row in history.instances]
    recorded = [row for row in instances if row.get("present") is not None]
    return render(
        request,
        "mon-historique.html",
        title="Mon historique",
        active="historique",
        instances=instances,
        held=len(recorded),
        attended=sum(1 for row in recorded if row["present"]),
        registrations=history.registrations,
    )


@router.get("/mes-notifications", response_class=HTMLResponse)
async def my_notifications(request: Request) -> HTMLResponse:
    principal = require_councillor(request)
    rows = await site(request).notifications.inbox(user_token(request), principal.subject)
    return render(
        request, "mes-notifications.html", title="Mes notifications", active="notifications", rows=rows
    )
