"""HTTP API of the outgoing webhooks, for the territory's staff and operators: the event types
a webhook may carry, endpoints (register, list, rotate the secret, disable), an endpoint's
delivery log, and sending again one message or a period."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from conseils_notifications.api import Service, Staff
from conseils_notifications.webhook_domain import WEBHOOK_EVENTS, webhook_id
from conseils_notifications.webhook_records import EndpointRecord
from conseils_notifications.webhooks import LoggedMessage

router = APIRouter(prefix="/notifications/webhooks", tags=["webhooks"])


class EventTypeOut(BaseModel):
    type: str = Field(examples=["fr.conseils.meetings.instance.scheduled.v1"])
    topic: str
    description: str


class EndpointIn(BaseModel):
    url: str = Field(max_length=2000, description="https:// (http:// seulement en démonstration)")
    event_types: list[str] = Field(min_length=1, description="Types CloudEvents (`ce_type`) à recevoir")
    description: str = Field(default="", max_length=200)


class EndpointOut(BaseModel):
    endpoint_id: UUID
    url: str
    description: str
    event_types: list[str]
    status: str = Field(description="active | disabled")
    disabled_reason: str | None
    created_at: datetime
    disabled_at: datetime | None
    last_success_at: datetime | None
    rotating: bool = Field(description="Vrai tant que l'ancien secret signe encore, à côté du nouveau")

    @classmethod
    def of(cls, endpoint: EndpointRecord, now: datetime | None = None) -> EndpointOut:
        until = endpoint.previous_secret_until
        return cls(
            **{name: getattr(endpoint, name) for name in cls.model_fields if hasattr(endpoint, name)},
            rotating=until is not None and (now is None or until > now),
        )


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Secret de signature `whsec_…` : affiché cette fois seulement")


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None
    outcome: str = Field(description="delivered | retry | gone | failed")
    error: str | None


class MessageOut(BaseModel):
    webhook_id: str = Field(description="En-tête `webhook-id` : la clé de déduplication du destinataire")
    event_id: str
    event_type: str
    event_time: datetime
    status: str = Field(description="pending | sending | delivered | failed | cancelled")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptOut]

    @classmethod
    def of(cls, logged: LoggedMessage) -> MessageOut:
        message = logged.message
        return cls(
            webhook_id=webhook_id(message.message_id),
            event_id=message.event_id,
            event_type=message.event_type,
            event_time=message.event_time,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at if message.status == "pending" else None,
            last_status_code=message.last_status_code,
            last_error=message.last_error,
            created_at=message.created_at,
            delivered_at=message.delivered_at,
            history=[AttemptOut.model_validate(vars(attempt)) for attempt in logged.attempts],
        )


class ReplayIn(BaseModel):
    webhook_id: str | None = Field(default=None, pattern=r"^msg_[0-9a-f]{32}$")
    since: AwareDatetime | None = Field(default=None, description="Événements survenus à partir de…")
    until: AwareDatetime | None = Field(default=None, description="… et avant")


class ReplayOut(BaseModel):
    queued: int


@router.get("/event-types")
async def event_types(_principal: Staff) -> list[EventTypeOut]:
    """The public facts a webhook may carry (never personal data)."""
    return [
        EventTypeOut(type=model.event_type, topic=model.topic, description=(model.__doc__ or "").strip())
        for model in WEBHOOK_EVENTS
    ]


@router.get("")
async def list_endpoints(_principal: Staff, service: Service) -> list[EndpointOut]:
    now = service.clock()
    return [EndpointOut.of(endpoint, now) for endpoint in await service.webhook_endpoints()]


@router.post("", status_code=201)
async def register_endpoint(body: EndpointIn, _principal: Staff, service: Service) -> EndpointWithSecret:
    """Register an endpoint; the answer holds its signing secret, shown this once."""
    endpoint = await service.register_endpoint(body.url, body.event_types, body.description)
    return EndpointWithSecret(**EndpointOut.of(endpoint).model_dump(), secret=endpoint.secret)


@router.post("/{endpoint_id}/secret")
async def rotate_secret(endpoint_id: UUID, _principal: Staff, service: Service) -> EndpointWithSecret:
    """A new secret, shown this once; the previous one still signs beside it for a while."""
    endpoint = await service.rotate_webhook_secret(endpoint_id)
    shown = EndpointOut.of(endpoint, service.clock()).model_dump()
    return EndpointWithSecret(**shown, secret=endpoint.secret)


@router.post("/{endpoint_id}/disable")
async def disable_endpoint(endpoint_id: UUID, _principal: Staff, service: Service) -> EndpointOut:
    return EndpointOut.of(await service.disable_webhook(endpoint_id))


@router.get("/{endpoint_id}/messages")
async def endpoint_messages(
    endpoint_id: UUID, _principal: Staff, service: Service, limit: int = 50
) -> list[MessageOut]:
    """The latest messages of the endpoint (newest first), each with its attempts."""
    return [MessageOut.of(logged) for logged in await service.webhook_log(endpoint_id, limit)]


@router.post("/{endpoint_id}/replay")
async def replay(endpoint_id: UUID, body: ReplayIn, _principal: Staff, service: Service) -> ReplayOut:
    """Send again one message (`webhook_id`) or the messages of a period, same `webhook-id`."""
    message_id = UUID(hex=body.webhook_id.removeprefix("msg_")) if body.webhook_id else None
    count = await service.replay_webhooks(
        endpoint_id, message_id=message_id, since=body.since, until=body.until
    )
    return ReplayOut(queued=count)
