"""HTTP API of the notifications service: preferences, calendar feeds, one-click
unsubscribe, the member's inbox and the delivery log for staff and operators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from conseils_notifications.domain import CATEGORIES, Category, Channel, Preferences
from conseils_notifications.service import NotificationsService
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.http import Forbidden

router = APIRouter(prefix="/notifications", tags=["notifications"])


async def _service(request: Request) -> NotificationsService:
    service: NotificationsService = request.app.state.service
    return service


def _auth(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def _member(request: Request) -> Principal:
    return await _auth(request).require("councillor", "coordinator")(request)


async def _staff(request: Request) -> Principal:
    return await _auth(request).require("staff", "operator")(request)


Service = Annotated[NotificationsService, Depends(_service)]
Member = Annotated[Principal, Depends(_member)]
Staff = Annotated[Principal, Depends(_staff)]


def _only_self(principal: Principal, member_id: UUID) -> None:
    if principal.member_id != member_id:
        raise Forbidden("Vous ne pouvez consulter ou modifier que vos propres réglages.")


class PreferencesBody(BaseModel):
    channels: list[Channel] = Field(default=["email"], description="email, sms")
    categories: list[Category] = Field(default=list(CATEGORIES))
    digest: bool = Field(
        default=False, description="true: un récapitulatif par semaine au lieu d'un courriel par nouveauté"
    )
    themes: list[str] | None = Field(
        default=None, description="Thématiques suivies; null = celles du registre"
    )
    language: str = Field(default="fr", pattern=r"^[a-z]{2,3}$")

    @classmethod
    def of(cls, prefs: Preferences) -> PreferencesBody:
        return cls(
            channels=sorted(prefs.channels),
            categories=[c for c in CATEGORIES if c in prefs.categories],
            digest=prefs.digest,
            themes=sorted(prefs.themes) if prefs.themes is not None else None,
            language=prefs.language,
        )


@router.get("/members/{member_id}/preferences")
async def get_preferences(member_id: UUID, principal: Member, service: Service) -> PreferencesBody:
    _only_self(principal, member_id)
    return PreferencesBody.of(await service.preferences(member_id))


@router.put("/members/{member_id}/preferences")
async def put_preferences(
    member_id: UUID, body: PreferencesBody, principal: Member, service: Service
) -> PreferencesBody:
    _only_self(principal, member_id)
    prefs = Preferences(
        channels=frozenset(body.channels),
        categories=frozenset(body.categories),
        digest=body.digest,
        themes=frozenset(body.themes) if body.themes is not None else None,
        language=body.language,
    )
    return PreferencesBody.of(await service.save_preferences(member_id, prefs))


@router.get("/members/{member_id}/data")
async def member_data(member_id: UUID, principal: Member, service: Service) -> dict[str, Any]:
    """Right of access: what this service holds about her (herself only)."""
    _only_self(principal, member_id)
    return await service.member_data(member_id)


class FeedLink(BaseModel):
    url: str


@router.post("/members/{member_id}/feed-token")
async def new_feed_token(member_id: UUID, principal: Member, service: Service) -> FeedLink:
    """A new secret calendar address; the previous one stops working."""
    _only_self(principal, member_id)
    return FeedLink(url=await service.new_feed_url(member_id))


@router.delete("/members/{member_id}/feed-token", status_code=204)
async def revoke_feed_token(member_id: UUID, principal: Member, service: Service) -> Response:
    _only_self(principal, member_id)
    await service.revoke_feed_token(member_id)
    return Response(status_code=204)


class InboxItem(BaseModel):
    delivery_id: UUID
    category: str
    kind: str
    channel: str
    instance_id: UUID | None
    subject: str | None
    status: str
    reason: str
    created_at: datetime
    sent_at: datetime | None


@router.get("/members/{member_id}/inbox")
async def inbox(member_id: UUID, principal: Member, service: Service, limit: int = 50) -> list[InboxItem]:
    """What was sent to me (newest first)."""
    _only_self(principal, member_id)
    return [InboxItem.model_validate(vars(row)) for row in await service.inbox(member_id, limit)]


class DeliveryLogItem(InboxItem):
    member_id: UUID
    source_event_id: str
    attempts: int
    last_error: str | None
    display_name: str | None = Field(default=None, description="Seulement pour le personnel du territoire")


@router.get("/deliveries")
async def delivery_log(  # noqa: PLR0917 - query parameters
    principal: Staff,
    service: Service,
    instance_id: UUID | None = None,
    member_id: UUID | None = None,
    status: Literal["pending", "sending", "sent", "failed", "digest", "digested", "no_consent"] | None = None,
    limit: int = 100,
) -> list[DeliveryLogItem]:
    """Who got what, when, with which outcome. Names are shown to staff, never to operators."""
    log = await service.delivery_log(
        principal.role, instance_id=instance_id, member_id=member_id, status=status, limit=limit
    )
    return [
        DeliveryLogItem.model_validate({**vars(entry.delivery), "display_name": entry.display_name})
        for entry in log
    ]


# --------------------------------------------------------------------------- unsubscribe (RFC 8058)

_CATEGORY_LABELS = {
    "scheduling": "programmations, changements et annulations d'instances",
    "dossier": "publication des dossiers",
    "reminder": "rappels avant les instances",
    "minutes": "comptes rendus",
    "digest": "récapitulatifs de la semaine",
    "all": "tous les messages",
}


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, request: Request, service: Service) -> HTMLResponse:
    """A confirmation page: a GET must not unsubscribe (mail scanners follow links)."""
    category = service.unsubscribe_category(token)
    return _page(
        "Se désinscrire",
        f"<p>Ne plus recevoir : {_CATEGORY_LABELS.get(category, category)}.</p>"
        f'<form method="post"><button type="submit">Confirmer la désinscription</button></form>',
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, service: Service) -> HTMLResponse:
    """One-click unsubscribe (`List-Unsubscribe=One-Click`): removes the category from the preferences."""
    category = await service.unsubscribe(token)
    return _page(
        "Désinscription enregistrée",
        f"<p>Vous ne recevrez plus : {_CATEGORY_LABELS.get(category, category)}.</p>",
    )


# --------------------------------------------------------------------------- calendar feeds

_ICS = "text/calendar; charset=utf-8"
_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Agenda iCalendar (RFC 5545)",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}


def _ics(body: bytes) -> Response:
    return Response(content=body, media_type=_ICS, headers={"Cache-Control": "private, max-age=300"})


@router.get("/feeds/agenda.ics", response_class=Response, responses=_ICS_RESPONSE)
async def agenda_feed(service: Service) -> Response:
    """The territory's public agenda."""
    return _ics(await service.agenda_feed())


@router.get("/feeds/councils/{council_id}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def council_feed(council_id: UUID, service: Service) -> Response:
    return _ics(await service.council_feed(council_id))


@router.get("/feeds/themes/{theme}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def theme_feed(theme: str, service: Service) -> Response:
    return _ics(await service.theme_feed(theme))


@router.get("/feeds/members/{token}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def member_feed(token: str, service: Service) -> Response:
    """A member's own calendar, behind a secret address they can revoke."""
    return _ics(await service.member_feed(token))
