"""How the meetings service applies its facts about the barriers to attending (the live service
and the replay alike, through `projection.apply`): the needs counted per instance, the cost
claims and their decisions. The needs themselves and the receipts are not in the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.attending_repository import AttendingRepository
from conseils_meetings.attending_tables import easy_read_dossiers
from conseils_meetings.repository import Repository
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas.events import (
    CostClaimDecided,
    CostClaimSubmitted,
    DossierPublished,
    Event,
    NeedsCounted,
)


async def _needs_counted(
    event: NeedsCounted, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at, territory
    repo = AttendingRepository(session)
    if await _instance_exists(session, event):
        await repo.save_needs_count(
            event.instance_id,
            {str(k): v for k, v in event.requested.items()},
            {str(k): v for k, v in event.booked.items()},
            event.counted_at,
        )


async def _claim_submitted(
    event: CostClaimSubmitted, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at, territory
    repo = AttendingRepository(session)
    if await repo.claim(event.claim_id) is not None or not await _instance_exists(session, event):
        return  # applied already (a redelivery), or an instance never scheduled
    await repo.insert_claim(
        id=event.claim_id,
        instance_id=event.instance_id,
        member_id=event.member_id,
        council_id=event.council_id,
        kind=event.kind,
        amount_cents=event.amount_cents,
        hours=event.hours,
        status="submitted",
        submitted_at=event.submitted_at,
    )


async def _claim_decided(
    event: CostClaimDecided, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at, territory
    repo = AttendingRepository(session)
    claim = await repo.claim(event.claim_id)
    if claim is None:
        return
    if event.decision == "paid":
        await repo.update_claim(event.claim_id, status="paid", paid_at=event.decided_at)
    elif claim.status == "submitted":  # a decision only once; a late duplicate changes nothing
        await repo.update_claim(
            event.claim_id, status=event.decision, reason=event.reason, decided_at=event.decided_at
        )


async def _instance_exists(session: AsyncSession, event: Any) -> bool:
    return await Repository(session).instance(event.instance_id) is not None


def with_easy_read(apply_instance_fact: Any) -> Any:
    """A dossier's publication also records whether its easy-to-read summary came with it."""

    async def apply(
        event: DossierPublished, session: AsyncSession, at: datetime, territory: TerritoryConfig
    ) -> None:
        await apply_instance_fact(event, session, at, territory)
        if not await _instance_exists(session, event):
            return
        kinds = {_easy_kind(ref.media_type) for ref in event.easy_read_documents}
        await session.execute(
            delete(easy_read_dossiers).where(easy_read_dossiers.c.instance_id == event.instance_id)
        )
        await session.execute(
            easy_read_dossiers.insert().values(
                instance_id=event.instance_id,
                dossier_version=event.dossier_version,
                has_summary="summary" in kinds,
                has_audio="audio" in kinds,
            )
        )

    return apply


def _easy_kind(media_type: str) -> str:
    return "audio" if media_type.startswith("audio/") else "summary"


APPLY: dict[type[Event], Any] = {
    NeedsCounted: _needs_counted,
    CostClaimSubmitted: _claim_submitted,
    CostClaimDecided: _claim_decided,
}
