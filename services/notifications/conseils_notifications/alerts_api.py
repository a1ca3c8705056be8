"""HTTP API of the staff's alerts: the list (with who acknowledged and resolved each), taking
one in hand, resolving it, and each staff account's choice of alert emails."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from conseils_notifications.alert_rules import MODE_LABELS, StaffAlertMode, is_urgent, subject_type
from conseils_notifications.records import StaffAlertView
from conseils_notifications.service import NotificationsService
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.errors import DomainError

router = APIRouter(prefix="/notifications/alerts", tags=["alertes"])


async def _service(request: Request) -> NotificationsService:
    service: NotificationsService = request.app.state.service
    return service


async def _reader(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.require("staff", "operator")(request)


async def _staff(request: Request) -> Principal:
    """Acting on alerts and choosing emails: territory staff (operators only read)."""
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.require("staff")(request)


Service = Annotated[NotificationsService, Depends(_service)]
Reader = Annotated[Principal, Depends(_reader)]
Staff = Annotated[Principal, Depends(_staff)]


def _staff_id(principal: Principal) -> UUID:
    """Her staff account's id (the facts name who acted by it); a staff token for no account
    (the site's own) is answered 422."""
    try:
        return UUID(principal.subject)
    except ValueError:
        raise DomainError(
            "Seul un compte agent du territoire peut agir sur une alerte.",
            code="compte_agent_inconnu",
            status_code=422,
        ) from None


class StaffAlertItem(BaseModel):
    alert_id: UUID
    kind: str
    subject_id: UUID
    subject_type: str | None = Field(description="instance, council or member: what subject_id names")
    urgent: bool = Field(description="Emailed at once to the staff who chose so")
    message_fr: str
    raised_at: datetime
    status: str = Field(description="open, acknowledged or resolved")
    acknowledged_by: UUID | None = Field(description="Staff account id")
    acknowledged_at: datetime | None
    resolved_by: UUID | None = Field(description="Staff account id")
    resolved_at: datetime | None

    @classmethod
    def of(cls, view: StaffAlertView) -> StaffAlertItem:
        alert, state = view.alert, view.state
        return cls(
            alert_id=alert.alert_id,
            kind=alert.kind,
            subject_id=alert.subject_id,
            subject_type=subject_type(alert.kind),
            urgent=is_urgent(alert.kind),
            message_fr=alert.message_fr,
            raised_at=alert.raised_at,
            status=state.status,
            acknowledged_by=state.acknowledged_by,
            acknowledged_at=state.acknowledged_at,
            resolved_by=state.resolved_by,
            resolved_at=state.resolved_at,
        )


@router.get("", response_model=list[StaffAlertItem])
async def staff_alerts(
    _principal: Reader,
    service: Service,
    limit: int = 100,
    unresolved: bool = False,
    cities: Annotated[
        str,
        Query(
            max_length=400,
            description="INSEE codes, comma-separated: only the alerts concerning one of these cities "
            "or the whole territory (what a city or State agent of these cities sees)",
        ),
    ] = "",
) -> list[StaffAlertItem]:
    """Alerts for territory staff (late dossier, daytime political instance, short notice, theme
    without referent, council over its places, nobody registered), newest first, from every
    service; `unresolved=true`: those nobody resolved yet."""
    codes = frozenset(code.strip() for code in cities.split(",") if code.strip()) or None
    views = await service.staff_alerts(limit, unresolved_only=unresolved, cities=codes)
    return [StaffAlertItem.of(view) for view in views]


@router.post("/{alert_id}/acknowledge", response_model=StaffAlertItem)
async def acknowledge(alert_id: UUID, principal: Staff, service: Service) -> StaffAlertItem:
    """She takes the alert in hand (a StaffAlertAcknowledged fact); again: nothing new."""
    return StaffAlertItem.of(await service.acknowledge_alert(alert_id, _staff_id(principal)))


@router.post("/{alert_id}/resolve", response_model=StaffAlertItem)
async def resolve(alert_id: UUID, principal: Staff, service: Service) -> StaffAlertItem:
    """She closes the alert (a StaffAlertResolved fact, after an acknowledgement if none)."""
    return StaffAlertItem.of(await service.resolve_alert(alert_id, _staff_id(principal)))


class AlertEmailChoice(BaseModel):
    mode: StaffAlertMode = Field(description="immediate (urgent at once, others daily), digest, none")
    label: str = ""


class AlertEmailChoiceBody(BaseModel):
    email: str = Field(max_length=320, description="The address of her staff account (territory file)")
    mode: StaffAlertMode


@router.get("/preferences", response_model=AlertEmailChoice)
async def get_alert_emails(principal: Staff, service: Service) -> AlertEmailChoice:
    mode = await service.staff_alert_mode(_staff_id(principal))
    return AlertEmailChoice(mode=mode, label=MODE_LABELS[mode])


@router.put("/preferences", response_model=AlertEmailChoice)
async def put_alert_emails(
    body: AlertEmailChoiceBody, principal: Staff, service: Service
) -> AlertEmailChoice:
    mode = await service.set_staff_alert_mode(_staff_id(principal), body.email, body.mode)
    return AlertEmailChoice(mode=mode, label=MODE_LABELS[mode])
