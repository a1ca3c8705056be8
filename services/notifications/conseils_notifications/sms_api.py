"""Routes of the SMS channel: what Kannel calls back (delivery reports, answers such as STOP),
the short signed links of the SMS, and an SMS's report for staff."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel

from conseils_notifications.service import NotificationsService
from conseils_notifications.sms_rules import read_short_link
from conseils_notifications.sms_settings import SmsSettings
from conseils_notifications.sms_text import to_gsm7
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.errors import DomainError, constant_time_equal
from conseils_runtime.http import Forbidden, NotFound

router = APIRouter(prefix="/notifications", tags=["sms"])


class RedactSmsQueries(logging.Filter):
    """The gateway's calls carry a phone number and a secret in their query: the access log
    keeps their path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith("/notifications/sms/") and "?" in path:
                record.args = (*args[:2], path.split("?", 1)[0] + "?<masqué>", *args[3:])
        return True


def redact_access_log() -> None:
    """Once per process (uvicorn's access logger)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSmsQueries) for f in access.filters):
        access.addFilter(RedactSmsQueries())


async def _service(request: Request) -> NotificationsService:
    service: NotificationsService = request.app.state.service
    return service


async def _staff(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.require("staff", "operator")(request)


Service = Annotated[NotificationsService, Depends(_service)]
Staff = Annotated[Principal, Depends(_staff)]


def _check_mo_token(request: Request, token: str) -> None:
    settings: SmsSettings = request.app.state.sms_settings
    if not settings.mo_token or not constant_time_equal(settings.mo_token, token):
        raise Forbidden("Jeton de la passerelle SMS invalide.")


@router.get("/sms/dlr", response_class=PlainTextResponse)
async def delivery_report(
    service: Service,
    d: Annotated[UUID, Query(description="Identifiant de l'envoi.")],
    sig: Annotated[str, Query(max_length=64)],
    status: Annotated[int, Query(ge=0, le=255, description="Kannel %d : 1 remis, 2 non remis, 16 rejeté.")],
) -> str:
    """Kannel's dlr-url: the report is applied once per message (a repeat changes nothing)."""
    applied = await service.sms_report(d, sig, status)
    return "enregistré" if applied else "déjà connu"


async def _answer(request: Request, service: NotificationsService, token: str, sender: str, text: str) -> str:
    _check_mo_token(request, token)
    return to_gsm7(await service.sms_answer(sender, text) or "")  # texted back by Kannel


@router.get("/sms/mo", response_class=PlainTextResponse)
async def answer_get(
    request: Request,
    service: Service,
    token: Annotated[str, Query(max_length=200)],
    sender: Annotated[str, Query(alias="from", max_length=32)],
    text: Annotated[str, Query(max_length=1600)] = "",
) -> str:
    """Kannel's sms-service get-url: an answer from a phone; the body is texted back."""
    return await _answer(request, service, token, sender, text)


@router.post("/sms/mo", response_class=PlainTextResponse)
async def answer_post(
    request: Request,
    service: Service,
    token: Annotated[str, Query(max_length=200)],
    sender: Annotated[str, Form(alias="from", max_length=32)],
    text: Annotated[str, Form(max_length=1600)] = "",
) -> str:
    """The same, for a gateway that posts the answer as a form."""
    return await _answer(request, service, token, sender, text)


@router.get(
    "/s/{token}", response_model=None, status_code=303, responses={404: {"description": "Lien invalide"}}
)
async def short_link(token: str, request: Request) -> Response:
    """The link of an SMS: the instance page on the site."""
    service: NotificationsService = request.app.state.service
    try:
        instance_id = read_short_link(service.settings.auth_secret, token)
    except DomainError:
        return HTMLResponse(
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Lien invalide</title></head><body><main><h1>Lien invalide</h1>"
            "<p>Ce lien n'est pas valide. Retrouvez les instances sur le site.</p></main></body></html>",
            status_code=404,
        )
    base = service.settings.resolved_public_base_url()
    return RedirectResponse(f"{base}/instances/{instance_id}", status_code=303)


class SmsReport(BaseModel):
    delivery_id: UUID
    septets: int
    submitted_at: datetime
    report: str | None
    reported_at: datetime | None


@router.get("/deliveries/{delivery_id}/sms")
async def sms_report(delivery_id: UUID, _principal: Staff, service: Service) -> SmsReport:
    """An SMS's delivery report (remis, non remis), for staff and operators."""
    message = await service.sms_message(delivery_id)
    if message is None:
        raise NotFound("Aucun SMS pour cet envoi.")
    return SmsReport(
        delivery_id=message.delivery_id,
        septets=message.septets,
        submitted_at=message.submitted_at,
        report=message.report,
        reported_at=message.reported_at,
    )
