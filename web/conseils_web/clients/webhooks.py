"""The notifications service's outgoing webhooks as the staff's pages use them: the event types
a webhook may carry, the endpoints (register, rotate the secret, disable) and their delivery
log, and sending a message again."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class WebhookEventType(ApiModel):
    type: str
    description: str


class WebhookEndpoint(ApiModel):
    endpoint_id: uuid.UUID
    url: str
    description: str
    event_types: list[str] = Field(default_factory=list)
    status: str
    disabled_reason: str | None = None
    created_at: datetime
    last_success_at: datetime | None = None
    rotating: bool = False


class WebhookWithSecret(WebhookEndpoint):
    """Just registered or rotated: the secret, shown this once."""

    secret: str


class NewWebhook(RequestModel):
    url: str
    event_types: list[str]
    description: str


class WebhookAttempt(ApiModel):
    attempt: int
    at: datetime
    status_code: int | None = None
    outcome: str
    error: str | None = None


class WebhookMessage(ApiModel):
    webhook_id: str
    event_type: str
    event_time: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    history: list[WebhookAttempt] = Field(default_factory=list)


class Replay(RequestModel):
    webhook_id: str


class Replayed(ApiModel):
    queued: int


class WebhooksClient(ServiceClient):
    service = "notifications"

    EVENT_TYPES = Endpoint("GET", "/notifications/webhooks/event-types", TypeAdapter(list[WebhookEventType]))
    ENDPOINTS = Endpoint("GET", "/notifications/webhooks", TypeAdapter(list[WebhookEndpoint]))
    REGISTER = Endpoint("POST", "/notifications/webhooks", TypeAdapter(WebhookWithSecret), body=NewWebhook)
    ROTATE = Endpoint("POST", "/notifications/webhooks/{endpoint_id}/secret", TypeAdapter(WebhookWithSecret))
    DISABLE = Endpoint("POST", "/notifications/webhooks/{endpoint_id}/disable", TypeAdapter(WebhookEndpoint))
    MESSAGES = Endpoint(
        "GET",
        "/notifications/webhooks/{endpoint_id}/messages",
        TypeAdapter(list[WebhookMessage]),
        query=("limit",),
    )
    REPLAY = Endpoint(
        "POST", "/notifications/webhooks/{endpoint_id}/replay", TypeAdapter(Replayed), body=Replay
    )

    async def event_types(self, caller: Caller) -> list[WebhookEventType]:
        return await self.call(self.EVENT_TYPES, caller)

    async def endpoints(self, caller: Caller) -> list[WebhookEndpoint]:
        return await self.call(self.ENDPOINTS, caller)

    async def register(self, caller: Caller, body: NewWebhook) -> WebhookWithSecret:
        return await self.call(self.REGISTER, caller, body=body)

    async def rotate(self, caller: Caller, endpoint_id: object) -> WebhookWithSecret:
        return await self.call(self.ROTATE, caller, path={"endpoint_id": endpoint_id})

    async def disable(self, caller: Caller, endpoint_id: object) -> WebhookEndpoint:
        return await self.call(self.DISABLE, caller, path={"endpoint_id": endpoint_id})

    async def messages(self, caller: Caller, endpoint_id: object, *, limit: int = 50) -> list[WebhookMessage]:
        return await self.call(
            self.MESSAGES, caller, path={"endpoint_id": endpoint_id}, query={"limit": limit}
        )

    async def replay(self, caller: Caller, endpoint_id: object, webhook_id: str) -> Replayed:
        return await self.call(
            self.REPLAY, caller, path={"endpoint_id": endpoint_id}, body=Replay(webhook_id=webhook_id)
        )
