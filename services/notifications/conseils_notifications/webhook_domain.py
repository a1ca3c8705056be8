"""Rules of the outgoing webhooks (Standard Webhooks, https://www.standardwebhooks.com), plain
Python: which events may leave, the secret's format, the stable message id, the retry
schedule, what an HTTP answer means, which addresses may be called, and the CloudEvent body.

The signature itself is the `standardwebhooks` library's (`Webhook.sign`), in the sender."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from conseils_runtime.errors import DomainError
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DossierPublished,
    Event,
    EventMetadata,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
)
from conseils_schemas.envelope import format_time

WEBHOOK_EVENTS: tuple[type[Event], ...] = (
    InstanceScheduled,
    InstanceRescheduled,
    InstanceCancelled,
    InstanceHeld,
    DossierPublished,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
    CouncilRegistered,
    CouncilUpdated,
    CouncilDissolved,
)
"""The public facts a webhook may carry: no member id, no contact card, no registration,
attendance, delivery or staff alert (those name or point at people)."""
WEBHOOK_EVENT_TYPES: dict[str, type[Event]] = {model.event_type: model for model in WEBHOOK_EVENTS}

RETRY_SCHEDULE_SECONDS: tuple[int, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
"""The spec's example schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h
(each after the previous attempt: the last one about 75 h 35 min after the first)."""
JITTER = 0.1
"""Each delay is drawn within ±10 % (the spec recommends jitter)."""
MAX_RETRY_AFTER = timedelta(hours=24)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32  # the spec: between 24 and 64 random bytes
_MESSAGES = uuid.UUID("6f1d3a4e-0c52-5b7e-9a41-5e2f8c0b7d13")

Outcome = Literal["delivered", "gone", "retry"]


class WebhookRefused(DomainError):
    status_code = 422
    code = "webhook_refuse"


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as the spec serialises a symmetric secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def message_uuid(endpoint_id: uuid.UUID, event_id: str) -> uuid.UUID:
    """One message per (endpoint, event): the same on every retry and every redelivery."""
    return uuid.uuid5(_MESSAGES, f"{endpoint_id}:{event_id}")


def webhook_id(message_id: uuid.UUID) -> str:
    """The `webhook-id` header: the receiver's deduplication key."""
    return f"msg_{message_id.hex}"


def chosen_event_types(wanted: list[str]) -> list[str]:
    unknown = sorted(set(wanted) - WEBHOOK_EVENT_TYPES.keys())
    if unknown:
        raise WebhookRefused(f"Types d'événements inconnus ou non publics : {', '.join(unknown)}.")
    if not wanted:
        raise WebhookRefused("Choisissez au moins un type d'événement.")
    return sorted(set(wanted))


def check_url(url: str, *, allow_http: bool) -> str:
    """The address form: https (http only where allowed: demo), a host, no user or password."""
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > 2000:
        raise WebhookRefused("Adresse trop longue (2 000 caractères au plus).")
    if parts.scheme not in ({"https", "http"} if allow_http else {"https"}):
        raise WebhookRefused("L'adresse doit commencer par https://.")
    if not parts.hostname:
        raise WebhookRefused("L'adresse n'a pas de nom de serveur.")
    if parts.username or parts.password:
        raise WebhookRefused("L'adresse ne doit pas contenir d'identifiant ni de mot de passe.")
    if parts.fragment:
        raise WebhookRefused("L'adresse ne doit pas contenir de fragment (#).")
    return url


def refused_address(address: str) -> str | None:
    """Why the sender must not call this IP (SSRF), or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "adresse de bouclage"
    if ip.is_link_local:
        return "adresse locale au lien"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return "adresse privée ou réservée"
    return None


def outcome_of(status_code: int) -> Outcome:
    """2xx delivered; 410 Gone: the receiver wants no more (disable); anything else (3xx not
    followed, 4xx, 5xx) retried."""
    if 200 <= status_code < 300:
        return "delivered"
    if status_code == 410:
        return "gone"
    return "retry"


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header (seconds or an HTTP date), at most 24 hours."""
    if not value:
        return None
    try:
        delay = timedelta(seconds=max(0, int(value.strip())))
    except ValueError:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def next_delay(
    attempts_done: int, *, scale: float, jitter: float, asked: timedelta | None = None
) -> timedelta | None:
    """The wait before the next attempt after `attempts_done` attempts, or None when the
    schedule is spent. `scale` compresses the schedule (tests); `jitter` in [-1, 1]."""
    if attempts_done >= len(RETRY_SCHEDULE_SECONDS):
        return None
    base = RETRY_SCHEDULE_SECONDS[attempts_done] * scale * (1 + JITTER * jitter)
    delay = timedelta(seconds=base)
    return max(delay, asked) if asked is not None else delay


def cloudevent_body(metadata: EventMetadata, data: Mapping[str, Any]) -> str:
    """The CloudEvent in structured JSON mode (`application/cloudevents+json`), serialised once:
    the stored text is the body signed and sent on every attempt."""
    document: dict[str, Any] = {
        "specversion": metadata.specversion,
        "id": metadata.id,
        "source": metadata.source,
        "type": metadata.type,
        "time": format_time(metadata.time),
        "datacontenttype": metadata.datacontenttype,
        "correlationid": metadata.correlationid,
    }
    if metadata.subject is not None:
        document["subject"] = metadata.subject
    if metadata.dataschema is not None:
        document["dataschema"] = metadata.dataschema
    document["data"] = dict(data)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
