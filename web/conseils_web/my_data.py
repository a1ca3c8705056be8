"""A person's rights on the site: "Mes données" gathers what every service holds about her
(registry, meetings, notifications) in one download (JSON) and one readable page; she can ask
for erasure, and staff confirm it on /equipe/effacements (the erasure then runs everywhere)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.privacy import (
    MeetingsPrivacyClient,
    NotificationsPrivacyClient,
    RegistryPrivacyClient,
)
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.page_access import require_page
from conseils_web.security import checked_form, require_councillor
from conseils_web.services import ApiError

router = APIRouter()


def _clients(
    request: Request,
) -> tuple[RegistryPrivacyClient, MeetingsPrivacyClient, NotificationsPrivacyClient]:
    transport = site(request).registry._transport  # the site's one transport to the services
    return (
        RegistryPrivacyClient(transport),
        MeetingsPrivacyClient(transport),
        NotificationsPrivacyClient(transport),
    )


async def gather(request: Request, member_id: str) -> dict[str, Any]:
    """Her data as each service answers it, side by side."""
    registry, meetings, notifications = _clients(request)
    token = user_token(request)
    member, registrations, history, sent = await asyncio.gather(
        registry.member_data(token, member_id),
        meetings.my_registrations(token),
        meetings.my_history(token),
        notifications.member_data(token, member_id),
    )
    return {
        "registre": json.loads(member.content),
        "reunions": {
            "inscriptions": json.loads(registrations.content),
            "historique_et_presences": json.loads(history.content),
        },
        "notifications": json.loads(sent.content),
    }


@router.get("/mes-donnees")
async def my_data_download(request: Request) -> Response:
    """Right of access: everything every service holds about me, as one JSON file."""
    principal = require_councillor(request)
    data = await gather(request, principal.subject)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mes-donnees.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/mes-donnees/consulter", response_class=HTMLResponse)
async def my_data_page(request: Request) -> HTMLResponse:
    principal = require_councillor(request)
    registry = _clients(request)[0]
    data, requests = await asyncio.gather(
        gather(request, principal.subject),
        registry.erasure_requests_of(user_token(request), principal.subject),
    )
    pending = next((item for item in requests if item.confirmed_at is None), None)
    return render(
        request,
        "mes-donnees.html",
        title="Mes données",
        active="preferences",
        data=data,
        pending=pending,
        readable=json.dumps(data, ensure_ascii=False, indent=2),
    )


@router.post("/mes-donnees/effacement")
async def ask_erasure(request: Request) -> Response:
    principal = require_councillor(request)
    await checked_form(request)
    await _clients(request)[0].request_erasure(user_token(request), principal.subject)
    return redirect(
        request,
        "/mes-donnees/consulter",
        "Votre demande d'effacement est enregistrée : l'équipe du territoire la confirmera.",
    )


@router.get("/equipe/effacements", response_class=HTMLResponse)
async def pending_erasures(request: Request) -> HTMLResponse:
    require_page(request, "effacements")
    requests = await _clients(request)[0].pending_erasures(user_token(request))
    return render(
        request,
        "equipe/effacements.html",
        title="Demandes d'effacement",
        active="equipe-effacements",
        requests=requests,
    )


@router.post("/equipe/effacements/{request_id}")
async def confirm_erasure(request: Request, request_id: str) -> Response:
    require_page(request, "effacements")
    await checked_form(request)
    if parse_uuid(request_id) is None:
        return redirect(request, "/equipe/effacements", "Demande inconnue.")
    try:
        await _clients(request)[0].confirm_erasure(user_token(request), request_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, "/equipe/effacements", error.detail)
    return redirect(
        request,
        "/equipe/effacements",
        "Effacement confirmé : ses données sont retirées de tous les services.",
    )
