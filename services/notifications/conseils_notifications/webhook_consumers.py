"""The webhook consumer: its own group (`<territory>.notifications.webhooks`) on the topics of
the public facts (instances, outcomes, councils; never the contacts topic). Each handler only
queues messages in the consumer's transaction (`units.within(ctx)`): sending is the sender's
job (webhook_sender.py), so a slow receiver never holds a partition."""

from __future__ import annotations

from collections.abc import Callable

from conseils_notifications.service import NotificationsService
from conseils_notifications.webhook_domain import WEBHOOK_EVENTS
from conseils_runtime import EventContext, ServiceRuntime
from conseils_runtime.database import after_commit
from conseils_schemas import Event


def register_webhook_consumer(
    runtime: ServiceRuntime, service: NotificationsService, on_queued: Callable[[], None] | None = None
) -> None:
    units = service.units
    webhooks = runtime.consumer("webhooks")

    async def public_fact(event: Event, ctx: EventContext) -> None:
        queued = await service.queue_webhooks(units.within(ctx), event, ctx.metadata)
        if queued and on_queued is not None:
            after_commit(ctx.session, on_queued)  # the sender need not wait for its next poll

    for event_class in WEBHOOK_EVENTS:
        webhooks.on(event_class)(public_fact)
