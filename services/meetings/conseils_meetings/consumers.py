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

from collections.abc import Sequence
from datetime import datetime

from conseils_meetings import projection
from conseils_meetings.fact_clock import mark_fact
from conseils_meetings.service import MeetingsService
from conseils_runtime import EventContext, ServiceRuntime
from conseils_runtime.registry_view import REGISTRY_VIEW_EVENTS
from conseils_schemas import Event, MemberErased, MemberLeft
from conseils_schemas.events import SubstituteDesignated, SubstituteWithdrawn


def register_consumers(runtime: ServiceRuntime, service: MeetingsService) -> None:
    """Same signature in every service: the runtime, and the use cases handlers delegate to."""
    territory = service.territory
    consumer = runtime.consumer("registry-read-model")

    view = projection.registry_view_of(territory)  # as the replay applies them

    @consumer.on_batch(*REGISTRY_VIEW_EVENTS)  # consecutive facts of a poll in a few statements
    async def apply(items: Sequence[tuple[Event, EventContext]]) -> None:
        mark_fact(items[0][1].session)  # the bilan's fingerprint moves when the poll commits
        run: list[tuple[Event, datetime]] = []
        for event, ctx in items:
            run.append((event, ctx.metadata.time))
            if isinstance(event, MemberLeft | MemberErased):  # after her fact, before the next
                await view.apply_many(ctx.session, run)
                run = []
                await service.release_seats(service.units.within(ctx), event.member_id)
                if isinstance(event, MemberErased):  # her needs, attestations and receipts go with her
                    await service.erase_attending_data(service.units.within(ctx), event.member_id)
        await view.apply_many(items[0][1].session, run)

    @consumer.on(SubstituteDesignated)  # the referents' substitutes, for the bilan (rota_projection)
    async def substitute_designated(event: SubstituteDesignated, ctx: EventContext) -> None:
        mark_fact(ctx.session)
        await projection.apply(ctx.session, event, ctx.metadata.time, territory)

    @consumer.on(SubstituteWithdrawn)
    async def substitute_withdrawn(event: SubstituteWithdrawn, ctx: EventContext) -> None:
        mark_fact(ctx.session)
        await projection.apply(ctx.session, event, ctx.metadata.time, territory)
