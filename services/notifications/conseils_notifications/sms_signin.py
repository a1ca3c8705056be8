"""Sign-in by SMS (issue 19): a member with only a phone asks the site for a sign-in link with
her number; the site (its own staff-role token) asks who has that number
(`POST /notifications/sms/sign-in/lookup`: member ids only, never a number back), issues its
single-use link for each, and asks this service to text it (`POST /notifications/sms/sign-in`).

The text is this service's, not the caller's: « Conseils citoyens - votre lien de connexion
(10 min) : <link> », the link only ever an address of the site's `/connexion/` page, one GSM-7
segment. Sent at once through the gateway, quiet hours aside (she asked for it
this minute); a STOP is honoured (no SMS at all: she said so), as is a missing number; a gateway
that is away is tried again twice with a short backoff, then given up (she may ask again). The
site answers her the same whether or not the number is known, and before any of this happens."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.service import NotificationsService
from conseils_notifications.sms_rules import mask_phone, may_text, normalise_phone
from conseils_notifications.sms_settings import SmsSettings
from conseils_notifications.sms_text import fit_segment
from conseils_notifications.transport import PermanentFailure, SmsGateway, TemporaryFailure
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.errors import DomainError
from conseils_runtime.logs import get_logger

log = get_logger(__name__)
router = APIRouter(prefix="/notifications/sms/sign-in", tags=["sms"])

HEAD = "Conseils citoyens - votre lien de connexion (10 min) :"
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_PEOPLE = 3
"""A number shared by a family reaches at most this many accounts (one link each)."""


async def _staff(request: Request) -> Principal:
    """The site's own token (a staff role): staff only, never the operator (numbers)."""
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.require("staff")(request)


async def _service(request: Request) -> NotificationsService:
    service: NotificationsService = request.app.state.service
    return service


Service = Annotated[NotificationsService, Depends(_service)]
Staff = Annotated[Principal, Depends(_staff)]


class PhoneIn(BaseModel):
    phone: str = Field(min_length=1, max_length=32)


class MembersOut(BaseModel):
    member_ids: list[UUID] = Field(description="Les membres joignables à ce numéro (aucun numéro renvoyé).")


class SigninSmsIn(BaseModel):
    member_id: UUID
    link: str = Field(min_length=1, max_length=200)


class SigninSmsOut(BaseModel):
    sent: bool
    reason: str | None = None


async def members_with_phone(service: NotificationsService, phone: str, country_code: str) -> list[UUID]:
    """Who has this number on her card (normalised both sides: '06 12…' is '+336 12…')."""
    try:
        wanted = normalise_phone(phone, country_code)
    except DomainError:
        return []
    async with service.units.reading() as repo:
        rows = await repo.session.execute(
            select(t.contacts.c.member_id, t.contacts.c.phone)
            .where(t.contacts.c.phone.is_not(None))
            .order_by(t.contacts.c.updated_at.desc())
        )
        found: list[UUID] = []
        for member_id, raw in rows:
            try:
                if normalise_phone(raw, country_code) == wanted:
                    found.append(member_id)
            except DomainError:
                continue
    return found[:MAX_PEOPLE]


def signin_text(link: str) -> str:
    return fit_segment(HEAD, "", link)


async def send_signin_sms(
    service: NotificationsService, gateway: SmsGateway, settings: SmsSettings, member_id: UUID, link: str
) -> SigninSmsOut:
    """Her sign-in link by SMS, now (see the module docstring)."""
    async with service.units.reading() as repo:
        contact = await repo.contact(member_id)
    if contact is None or not contact.phone:
        return SigninSmsOut(sent=False, reason="pas de numéro")
    standing = await service.sms_standing(member_id)
    refusal = may_text(standing, has_phone=True, consented=True)  # she asked: only her STOP counts
    if refusal is not None:
        return SigninSmsOut(sent=False, reason=refusal)
    try:
        number = normalise_phone(contact.phone, settings.country_code)
    except DomainError:
        return SigninSmsOut(sent=False, reason="numéro de téléphone invalide")
    text = signin_text(link)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await gateway.send(number, text)
        except TemporaryFailure as error:
            log.warning("sign-in sms not sent yet", to=mask_phone(number), attempt=attempt, error=str(error))
            if attempt < ATTEMPTS:
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            continue
        except PermanentFailure as error:
            log.warning("sign-in sms refused", to=mask_phone(number), error=str(error))
            return SigninSmsOut(sent=False, reason="refusé par la passerelle")
        log.info("sign-in sms sent", to=mask_phone(number))
        return SigninSmsOut(sent=True)
    return SigninSmsOut(sent=False, reason="passerelle SMS injoignable")


@router.post("/lookup", summary="Qui a ce numéro ? (connexion par SMS, pour le site)")
async def lookup(body: PhoneIn, request: Request, service: Service, _staff: Staff) -> MembersOut:
    settings: SmsSettings = request.app.state.sms_settings
    return MembersOut(member_ids=await members_with_phone(service, body.phone, settings.country_code))


@router.post("", summary="Envoyer son lien de connexion par SMS (pour le site)")
async def send(body: SigninSmsIn, request: Request, service: Service, _staff: Staff) -> SigninSmsOut:
    base = service.settings.resolved_public_base_url().rstrip("/")
    if not body.link.startswith(f"{base}/connexion/"):
        raise DomainError("Ce n'est pas un lien de connexion du site.", code="lien_invalide")
    gateway: SmsGateway = request.app.state.sms_gateway
    return await send_signin_sms(service, gateway, request.app.state.sms_settings, body.member_id, body.link)
