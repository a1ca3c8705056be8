"""What every use case of the meetings service shares: its dependencies, its units of work
(`self.units`: one transaction, the repository on it, and `unit.emit(event)` that writes the
fact to the outbox and applies it with `projection.apply`, the one apply function the replay
uses) and the look-ups of an instance."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import domain, projection
from conseils_meetings.fact_clock import mark_fact
from conseils_meetings.records import DocumentRecord, InstanceDetail, InstanceRecord
from conseils_meetings.repository import Repository
from conseils_meetings.settings import MeetingsSettings
from conseils_runtime import Database, Outbox
from conseils_runtime.http import DomainError, NotFound
from conseils_runtime.territory import InstanceType, TerritoryConfig
from conseils_runtime.unit_of_work import UnitOfWork, UnitsOfWork
from conseils_schemas import DocumentRef, Event

Clock = Callable[[], datetime]
Unit = UnitOfWork[Repository]
"""One transaction of the meetings service: `unit.repo`, `unit.emit(event)`."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class InstanceDraft:
    instance_type: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    theme: str | None = None
    city_code: str | None = None
    council_id: uuid.UUID | None = None


@dataclass
class Preview:
    """What scheduling would do, shown to staff before they confirm."""

    warnings: list[str]
    refused: bool
    reason: str | None
    concerned_council_ids: list[uuid.UUID]
    is_evening: bool


@dataclass
class RegistrationOutcome:
    registration_id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    position: int | None = None
    changed: bool = True
    promoted: list[uuid.UUID] = field(default_factory=list)


class MeetingsCore:
    """Dependencies and shared steps of every use case (the service is composed of these)."""

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        settings: MeetingsSettings,
        territory: TerritoryConfig,
        clock: Clock = utc_now,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.settings = settings
        self.territory = territory
        self.clock = clock
        self.units: UnitsOfWork[Repository] = UnitsOfWork(
            database, outbox, Repository, on_emit=self._apply_own_fact
        )

    async def _apply_own_fact(self, session: AsyncSession, event: Event) -> None:
        """Every fact this service emits is applied to its tables by `projection.apply`, in the
        same transaction (`ce_time` is now), as the replay applies it from the log."""
        mark_fact(session)  # the bilan's fingerprint moves when it commits
        await projection.apply(session, event, self.clock(), self.territory)

    @property
    def timezone(self) -> str:
        return self.territory.territory.timezone

    def today(self) -> date:
        """The territory's calendar date now (membership and referent terms are in local dates)."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()

    def instance_type(self, slug: str) -> InstanceType:
        for kind in self.territory.instance_types:
            if kind.slug == slug:
                return kind
        raise DomainError(f"Type d'instance inconnu : {slug}.", code="type_inconnu")

    def _check_theme(self, theme: str | None) -> None:
        if theme is not None and theme not in {t.slug for t in self.territory.themes}:
            raise DomainError(f"Thématique inconnue : {theme}.")

    async def _instance(
        self, repo: Repository, instance_id: uuid.UUID, *, lock: bool = False
    ) -> InstanceRecord:
        instance = await repo.instance(instance_id, lock=lock)
        if instance is None:
            raise NotFound("Instance introuvable.")
        return instance

    async def get_instance(self, instance_id: uuid.UUID) -> InstanceDetail:
        async with self.units.reading() as repo:
            instance = await self._instance(repo, instance_id)
            kind = self.instance_type(instance.instance_type)
            return InstanceDetail(
                instance=instance,
                instance_type_name=kind.name,
                concerned_council_ids=await repo.concerned(instance_id),
                counts=await repo.registration_counts(instance_id),
                registration_closes_at=domain.registration_closes_at(kind, instance.starts_at),
                dossier_documents=await repo.latest_documents(instance_id, "dossier"),
                minutes_documents=await repo.latest_documents(instance_id, "minutes"),
                dossier_notice_days_required=kind.dossier_notice_days,
            )

    @staticmethod
    def _refs(documents: Sequence[DocumentRecord]) -> list[DocumentRef]:
        return [
            DocumentRef(
                document_id=document.id,
                filename=document.filename,
                media_type=document.media_type,
                size_bytes=document.size_bytes,
                sha256=document.sha256,
            )
            for document in documents
        ]

    @staticmethod
    async def _mark_published(repo: Repository, documents: Sequence[DocumentRecord], now: datetime) -> None:
        await repo.mark_documents_published([d.id for d in documents if d.published_at is None], now)

    async def list_instances(
        self,
        *,
        starts_from: datetime | None,
        starts_before: datetime | None,
        member_id: uuid.UUID | None = None,
    ) -> list[InstanceRecord]:
        async with self.units.reading() as repo:
            if member_id is None:
                return await repo.list_instances(starts_from=starts_from, starts_before=starts_before)
            else:
                member = await repo.member(member_id)
                if member is None or member.council_id is None:
                    return []
                themes = sorted(
                    {*member.themes_followed, *await repo.referent_themes(member_id, self.today())}
                )
                return await repo.list_instances(
                    starts_from=starts_from,
                    starts_before=starts_before,
                    council_id=member.council_id,
                    themes=themes,
                    include_drafts=False,
                )
