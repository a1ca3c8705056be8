"""Registry events -> the local read model of councils, members and referents.

The meetings service decides who is concerned and who may register from
this read model only; it never calls the registry. The read model is the
shared temporal one (`conseils_runtime.registry_view`, the same code as in
notifications): idempotent, tolerant of out-of-order facts, and able to say
who was a member or a referent on any past date, which the bilan needs.

A member who leaves (or is erased) gives back her seats in the instances
still to come: her registrations are cancelled and the waiting list moves.
"""

from __future__ import annotations

from conseils_meetings import projection
from conseils_meetings.service import MeetingsService
from conseils_runtime import EventContext, ServiceRuntime
from conseils_runtime.registry_view import REGISTRY_VIEW_EVENTS
from conseils_schemas import Event, MemberErased, MemberLeft


def register_consumers(runtime: ServiceRuntime, service: MeetingsService) -> None:
    """Same signature in every service: the runtime, and the use cases handlers delegate to."""
    territory = service.territory
    consumer = runtime.consumer("registry-read-model")

    async def apply(event: Event, ctx: EventContext) -> None:
        await projection.apply(ctx.session, event, ctx.metadata.time, territory)  # as the replay does
        if isinstance(event, MemberLeft | MemberErased):
            await service.release_seats(service.units.within(ctx), event.member_id)
        if isinstance(event, MemberErased):  # her needs, attestations and receipts go with her
            await service.erase_attending_data(service.units.within(ctx), event.member_id)

    for event_class in REGISTRY_VIEW_EVENTS:
        consumer.on(event_class)(apply)
