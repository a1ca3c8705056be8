"""The notifications service as the site uses it: a councillor's inbox, preferences and
personal feed; the staff's alerts and an instance's delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class Alert(ApiModel):
    """A staff alert (StaffAlertItem): what it concerns, and who acted on it, when."""

    alert_id: uuid.UUID
    kind: str
    subject_id: uuid.UUID
    subject_type: str | None = None
    urgent: bool = False
    message_fr: str
    raised_at: datetime
    status: str = "open"
    acknowledged_by: uuid.UUID | None = None
    acknowledged_at: datetime | None = None
    resolved_by: uuid.UUID | None = None
    resolved_at: datetime | None = None


class AlertEmails(ApiModel):
    """How a staff account receives alerts by email: immediate, digest or none."""

    mode: str


class NewAlertEmails(RequestModel):
    email: str
    mode: str


class Delivery(ApiModel):
    """One notification of an instance (DeliveryLogItem)."""

    kind: str
    status: str
    subject: str | None = None
    display_name: str | None = None


class InboxItem(ApiModel):
    category: str
    subject: str | None = None
    sent_at: datetime | None = None


class Preferences(ApiModel):
    channels: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    digest: bool = False
    themes: list[str] | None = None
    language: str = "fr"


class NewPreferences(RequestModel):
    channels: list[str]
    categories: list[str]
    digest: bool
    themes: list[str] | None
    language: str


class FeedToken(ApiModel):
    """The secret address of a councillor's personal calendar feed."""

    url: str


class NotificationsClient(ServiceClient):
    service = "notifications"

    ALERTS = Endpoint("GET", "/notifications/alerts", TypeAdapter(list[Alert]), query=("unresolved", "limit"))
    ACKNOWLEDGE = Endpoint("POST", "/notifications/alerts/{alert_id}/acknowledge", TypeAdapter(Alert))
    RESOLVE = Endpoint("POST", "/notifications/alerts/{alert_id}/resolve", TypeAdapter(Alert))
    ALERT_EMAILS = Endpoint("GET", "/notifications/alerts/preferences", TypeAdapter(AlertEmails))
    SAVE_ALERT_EMAILS = Endpoint(
        "PUT", "/notifications/alerts/preferences", TypeAdapter(AlertEmails), body=NewAlertEmails
    )
    DELIVERIES = Endpoint(
        "GET", "/notifications/deliveries", TypeAdapter(list[Delivery]), query=("instance_id", "limit")
    )
    INBOX = Endpoint("GET", "/notifications/members/{member_id}/inbox", TypeAdapter(list[InboxItem]))
    PREFERENCES = Endpoint("GET", "/notifications/members/{member_id}/preferences", TypeAdapter(Preferences))
    SAVE_PREFERENCES = Endpoint(
        "PUT",
        "/notifications/members/{member_id}/preferences",
        TypeAdapter(Preferences),
        body=NewPreferences,
    )
    NEW_FEED = Endpoint("POST", "/notifications/members/{member_id}/feed-token", TypeAdapter(FeedToken))

    async def alerts(
        self,
        token: Caller,
        *,
        unresolved: bool = False,
        limit: int = 200,
        cities: frozenset[str] | None = None,
    ) -> list[Alert]:
        query: dict[str, Any] = {"unresolved": "true" if unresolved else "false", "limit": limit}
        if cities is not None:
            query["cities"] = ",".join(sorted(cities))
        return await self.call(self.ALERTS, token, query=query)

    async def acknowledge_alert(self, token: Caller, alert_id: object) -> Alert:
        return await self.call(self.ACKNOWLEDGE, token, path={"alert_id": alert_id})

    async def resolve_alert(self, token: Caller, alert_id: object) -> Alert:
        return await self.call(self.RESOLVE, token, path={"alert_id": alert_id})

    async def alert_emails(self, token: Caller) -> AlertEmails:
        return await self.call(self.ALERT_EMAILS, token)

    async def save_alert_emails(self, token: Caller, choice: NewAlertEmails) -> AlertEmails:
        return await self.call(self.SAVE_ALERT_EMAILS, token, body=choice)

    async def deliveries(self, token: Caller, instance_id: object, *, limit: int = 500) -> list[Delivery]:
        return await self.call(
            self.DELIVERIES, token, query={"instance_id": str(instance_id), "limit": limit}
        )

    async def inbox(self, token: Caller, member_id: object) -> list[InboxItem]:
        return await self.call(self.INBOX, token, path={"member_id": member_id})

    async def preferences(self, token: Caller, member_id: object) -> Preferences:
        return await self.call(self.PREFERENCES, token, path={"member_id": member_id})

    async def save_preferences(
        self, token: Caller, member_id: object, preferences: NewPreferences
    ) -> Preferences:
        return await self.call(self.SAVE_PREFERENCES, token, path={"member_id": member_id}, body=preferences)

    async def new_feed(self, token: Caller, member_id: object) -> FeedToken:
        return await self.call(self.NEW_FEED, token, path={"member_id": member_id})
