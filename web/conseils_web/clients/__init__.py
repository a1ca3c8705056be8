"""One typed client per service (request and response models in pydantic), the only way the
pages call the services: tests/web/test_clients_contract.py checks each endpoint against the
committed OpenAPI documents (docs/openapi/)."""

from __future__ import annotations

from conseils_web.clients.base import ApiModel, Caller, Download, Endpoint, ServiceClient, endpoints
from conseils_web.clients.meetings import MeetingsClient
from conseils_web.clients.notifications import NotificationsClient
from conseils_web.clients.registry import RegistryClient
from conseils_web.clients.webhooks import WebhooksClient

__all__ = [
    "ApiModel",
    "Caller",
    "Download",
    "Endpoint",
    "MeetingsClient",
    "NotificationsClient",
    "RegistryClient",
    "ServiceClient",
    "WebhooksClient",
    "endpoints",
]
