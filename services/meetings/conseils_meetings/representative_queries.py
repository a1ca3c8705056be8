"""Who was designated to represent each council at the bilan's instances, for the comparison of
the scenarios: the substitute of the council's referent for the instance's theme on its day
(`substitute_terms`), and the member whose turn it was (`rotation_turns`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.bilan import BilanInstance
from conseils_meetings.rota_tables import rotation_turns, substitute_terms
from conseils_runtime.registry_view.history import covers


async def representatives(
    session: AsyncSession, instances: Sequence[BilanInstance]
) -> tuple[dict[uuid.UUID, set[uuid.UUID]], dict[uuid.UUID, set[uuid.UUID]]]:
    """(substitutes, turns): per instance id, the members designated (ids)."""
    ids = [instance.id for instance in instances]
    turns: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if ids:
        for instance_id, member_id in (
            await session.execute(
                select(rotation_turns.c.instance_id, rotation_turns.c.member_id).where(
                    rotation_turns.c.instance_id.in_(ids), rotation_turns.c.member_id.is_not(None)
                )
            )
        ).all():
            turns[instance_id].add(member_id)
    terms = (await session.execute(select(substitute_terms))).all()
    substitutes: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for instance in instances:
        if not instance.theme:
            continue
        concerned = set(instance.concerned)
        for term in terms:
            if (
                term.theme == instance.theme
                and term.council_id in concerned
                and covers(term.since, term.until, instance.local_day)
            ):
                substitutes[instance.id].add(term.member_id)
    return dict(substitutes), dict(turns)
