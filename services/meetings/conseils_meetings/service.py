"""Use cases of the meetings service: one transaction each, the state change
and its outbox events together.

Registrations of one instance are serialised by locking the instance row
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite transactions start with
BEGIN IMMEDIATE and are serial anyway), so two councillors racing for the
last seat cannot both get it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import domain, projection, tables
from conseils_meetings.domain import Mode
from conseils_meetings.outcomes import apply_outcome_event, latest_position
from conseils_meetings.repository import Repository
from conseils_meetings.settings import MeetingsSettings
from conseils_runtime import Database, Outbox
from conseils_runtime.http import DomainError, NotFound
from conseils_runtime.registry_view import RegistryView
from conseils_runtime.territory import InstanceType, TerritoryConfig
from conseils_runtime.times import as_utc
from conseils_schemas import (
    AttendanceRecorded,
    ConvenedCouncil,
    DocumentRef,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    StaffAlertRaised,
)

Clock = Callable[[], datetime]
Publish = Callable[[Event], Awaitable[object]]
Record = Callable[[Event], Awaitable[None]]
"""Publish a fact and apply it (`projection.apply`), in the caller's transaction."""


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


_aware = as_utc


def aware_row(row: RowMapping) -> dict[str, Any]:
    return {key: _aware(value) if isinstance(value, datetime) else value for key, value in row.items()}


class MeetingsService:
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

    async def _emit(self, session: AsyncSession, *events: Event) -> None:
        for event in events:
            await self.outbox.add(session, event)

    async def _record(self, session: AsyncSession, event: Event, now: datetime) -> None:
        """A fact of this service: to the outbox, and applied by the one apply function
        (`projection.apply`) that the replay uses too."""
        await self.outbox.add(session, event)
        await projection.apply(session, event, now, self.territory)

    def _recorder(self, session: AsyncSession, now: datetime) -> Record:
        async def record(event: Event) -> None:
            await self._record(session, event, now)

        return record

    # ------------------------------------------------------------------ scheduling
    async def _plan(
        self, repo: Repository, kind: InstanceType, draft: InstanceDraft, now: datetime
    ) -> tuple[list[uuid.UUID], list[domain.PolicyBreach]]:
        self._check_theme(draft.theme)
        domain.check_dates(draft.starts_at, draft.ends_at, now)
        concerned = domain.concerned_councils(
            kind.scope,
            await repo.council_views(),
            city_code=draft.city_code,
            council_id=draft.council_id,
            theme=draft.theme,
        )
        return concerned, domain.policy_breaches(kind, draft.starts_at, now, self.timezone)

    async def preview(self, draft: InstanceDraft) -> Preview:
        kind = self.instance_type(draft.instance_type)
        async with self.database.sessionmaker() as session:
            concerned, breaches = await self._plan(Repository(session), kind, draft, self.clock())
        messages = [breach.message for breach in breaches]
        refused = bool(breaches) and kind.on_breach == "refuse"
        return Preview(
            warnings=messages,
            refused=refused,
            reason=domain.PolicyRefused(breaches).message if refused else None,
            concerned_council_ids=concerned,
            is_evening=domain.is_evening(draft.starts_at, kind.evening_rule, self.timezone),
        )

    async def create_instance(self, draft: InstanceDraft, *, as_draft: bool = False) -> dict[str, Any]:
        kind = self.instance_type(draft.instance_type)
        now = self.clock()
        instance_id = uuid.uuid4()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            concerned, breaches = await self._plan(repo, kind, draft, now)
            warnings = [] if as_draft else domain.apply_policy(kind, breaches)
            await session.execute(
                tables.instances.insert().values(
                    id=instance_id,
                    instance_type=kind.slug,
                    title=draft.title,
                    theme=draft.theme,
                    city_code=draft.city_code,
                    council_id=draft.council_id,
                    scope=kind.scope,
                    starts_at=draft.starts_at,
                    ends_at=draft.ends_at,
                    location=draft.location,
                    status="draft",
                    is_political=kind.political,
                    is_evening=domain.is_evening(draft.starts_at, kind.evening_rule, self.timezone),
                    observers_allowed=kind.observers_allowed,
                    sequence=0,
                    policy_warnings=warnings,
                    created_at=now,
                    dossier_version=0,
                    waitlist_counter=0,
                )
            )
            await repo.set_concerned(instance_id, concerned)
            if not as_draft:
                await self._schedule(session, repo, instance_id, kind, now=now, breaches=breaches)
        return await self.get_instance(instance_id)

    async def schedule_draft(self, instance_id: uuid.UUID) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            kind = self.instance_type(row["instance_type"])
            draft = InstanceDraft(
                kind.slug,
                row["title"],
                _aware(row["starts_at"]) or now,
                _aware(row["ends_at"]) or now,
                row["location"],
                row["theme"],
                row["city_code"],
                row["council_id"],
            )
            domain.transition(row["status"], "schedule")
            concerned, breaches = await self._plan(repo, kind, draft, now)
            await repo.update_instance(instance_id, policy_warnings=domain.apply_policy(kind, breaches))
            await repo.set_concerned(instance_id, concerned)
            await self._schedule(session, repo, instance_id, kind, now=now, breaches=breaches)
        return await self.get_instance(instance_id)

    async def _schedule(
        self,
        session: AsyncSession,
        repo: Repository,
        instance_id: uuid.UUID,
        kind: InstanceType,
        *,
        now: datetime,
        breaches: Sequence[domain.PolicyBreach],
    ) -> None:
        row = await self._instance(repo, instance_id)
        domain.transition(row["status"], "schedule")
        await self._record(
            session,
            InstanceScheduled(
                instance_id=instance_id,
                instance_type=kind.slug,
                title=row["title"],
                theme=row["theme"],
                city_code=row["city_code"],
                council_ids=await repo.concerned(instance_id),
                scope=kind.scope,
                starts_at=_aware(row["starts_at"]) or now,
                ends_at=_aware(row["ends_at"]) or now,
                location=row["location"],
                is_political=kind.political,
                is_evening=row["is_evening"],
                observers_allowed=kind.observers_allowed,
                sequence=row["sequence"],
                policy_warnings=list(row["policy_warnings"]),
                time_slot=domain.time_slot(_aware(row["starts_at"]) or now, self.timezone),
            ),
            now,
        )
        await self._alert_breaches(session, instance_id, row["title"], breaches, now)

    async def _alert_breaches(
        self,
        session: AsyncSession,
        instance_id: uuid.UUID,
        title: str,
        breaches: Sequence[domain.PolicyBreach],
        now: datetime,
    ) -> None:
        """A breach accepted with a warning is also raised to staff (alerts topic)."""
        for breach in breaches:
            await self._emit(
                session,
                StaffAlertRaised(
                    alert_id=uuid.uuid4(),
                    kind=breach.code,
                    subject_id=instance_id,
                    message_fr=f"« {title} » : {breach.message}.",
                    raised_at=now,
                ),
            )

    async def preview_reschedule(
        self, instance_id: uuid.UUID, starts_at: datetime, ends_at: datetime
    ) -> Preview:
        async with self.database.sessionmaker() as session:
            repo = Repository(session)
            row = await self._instance(repo, instance_id)
            domain.transition(row["status"], "reschedule")
            kind = self.instance_type(row["instance_type"])
            now = self.clock()
            domain.check_dates(starts_at, ends_at, now)
            breaches = domain.policy_breaches(kind, starts_at, now, self.timezone)
            concerned = await repo.concerned(instance_id)
        refused = bool(breaches) and kind.on_breach == "refuse"
        return Preview(
            warnings=[b.message for b in breaches],
            refused=refused,
            reason=domain.PolicyRefused(breaches).message if refused else None,
            concerned_council_ids=concerned,
            is_evening=domain.is_evening(starts_at, kind.evening_rule, self.timezone),
        )

    async def reschedule(
        self, instance_id: uuid.UUID, starts_at: datetime, ends_at: datetime, location: str | None
    ) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row["status"], "reschedule")
            kind = self.instance_type(row["instance_type"])
            domain.check_dates(starts_at, ends_at, now)
            breaches = domain.policy_breaches(kind, starts_at, now, self.timezone)
            warnings = domain.apply_policy(kind, breaches)
            sequence = domain.InstanceAggregate.of(dict(row)).next_sequence()
            new_location = location or row["location"]
            del status  # the transition is checked; the event applies it
            await self._record(
                session,
                InstanceRescheduled(
                    instance_id=instance_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location=new_location,
                    previous_starts_at=_aware(row["starts_at"]) or starts_at,
                    sequence=sequence,
                    policy_warnings=warnings,
                    time_slot=domain.time_slot(starts_at, self.timezone),
                ),
                now,
            )
            await self._alert_breaches(session, instance_id, row["title"], breaches, now)
        return await self.get_instance(instance_id)

    async def cancel(self, instance_id: uuid.UUID, reason: str) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row["status"], "cancel")
            sequence = domain.InstanceAggregate.of(dict(row)).next_sequence()
            if row["status"] == "draft":  # a draft was never announced: no fact to publish
                await repo.update_instance(
                    instance_id, status=status, sequence=sequence, cancelled_at=now, cancel_reason=reason
                )
            else:
                await self._record(
                    session, InstanceCancelled(instance_id=instance_id, reason=reason, sequence=sequence), now
                )
        return await self.get_instance(instance_id)

    async def _instance(self, repo: Repository, instance_id: uuid.UUID, *, lock: bool = False) -> RowMapping:
        row = await repo.instance(instance_id, lock=lock)
        if row is None:
            raise NotFound("Instance introuvable.")
        return row

    async def get_instance(self, instance_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.sessionmaker() as session:
            repo = Repository(session)
            row = await self._instance(repo, instance_id)
            result = aware_row(row)
            kind = self.instance_type(row["instance_type"])
            result["instance_type_name"] = kind.name
            result["concerned_council_ids"] = await repo.concerned(instance_id)
            result["counts"] = await repo.registration_counts(instance_id)
            result["registration_closes_at"] = domain.registration_closes_at(kind, result["starts_at"])
            result["dossier_documents"] = [
                aware_row(d) for d in await repo.latest_documents(instance_id, "dossier")
            ]
            result["minutes_documents"] = [
                aware_row(d) for d in await repo.latest_documents(instance_id, "minutes")
            ]
            result["dossier_notice_days_required"] = kind.dossier_notice_days
            return result

    async def list_instances(
        self,
        *,
        starts_from: datetime | None,
        starts_before: datetime | None,
        member_id: uuid.UUID | None = None,
    ) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            repo = Repository(session)
            if member_id is None:
                rows = await repo.list_instances(starts_from=starts_from, starts_before=starts_before)
            else:
                member = await repo.member(member_id)
                if member is None or member["council_id"] is None:
                    return []
                themes = sorted(
                    {*member["themes_followed"], *await repo.referent_themes(member_id, self.today())}
                )
                rows = await repo.list_instances(
                    starts_from=starts_from,
                    starts_before=starts_before,
                    council_id=member["council_id"],
                    themes=themes,
                    include_drafts=False,
                )
            return [aware_row(row) for row in rows]

    # ------------------------------------------------------------------ registrations
    async def register(self, instance_id: uuid.UUID, member_id: uuid.UUID, mode: Mode) -> RegistrationOutcome:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)  # serialises this instance's seats
            kind = self.instance_type(row["instance_type"])
            member = await repo.member(member_id)
            existing = await repo.registration(instance_id, member_id)
            if existing is not None and existing["status"] != "cancelled" and existing["mode"] == mode:
                seats = await repo.seats(instance_id)
                return self._outcome(existing, seats, changed=False)
            domain.check_can_register(
                kind,
                status=row["status"],
                starts_at=_aware(row["starts_at"]) or now,
                now=now,
                mode=mode,
                member_active=bool(member and member["active"]),
                member_council=member["council_id"] if member else None,
                concerned=await repo.concerned(instance_id),
            )
            assert member is not None
            council_id: uuid.UUID = member["council_id"]
            if existing is not None and existing["status"] != "cancelled":  # switching mode
                await self._record(session, self._registration_event(RegistrationCancelled, existing), now)
            seats = await repo.seats(instance_id)
            status = domain.admit(kind, seats, council_id, mode)
            registration_id = existing["id"] if existing is not None else uuid.uuid4()
            fields = {
                "registration_id": registration_id,
                "instance_id": instance_id,
                "member_id": member_id,
                "council_id": council_id,
                "mode": mode,
            }
            if status == "confirmed":
                await self._record(session, RegistrationConfirmed(**fields), now)
            else:
                # Her place: behind everyone waiting (the aggregate numbers the list as facts arrive).
                waiting = domain.Seat(
                    registration_id, council_id, mode, "waitlisted", row["waitlist_counter"] + 1
                )
                position = domain.waitlist_position([*seats, waiting], registration_id)
                await self._record(session, RegistrationWaitlisted(**fields, position=position), now)
            saved = await repo.registration_by_id(registration_id)
            outcome = self._outcome(saved, await repo.seats(instance_id), changed=True)
            if existing is not None and existing["status"] != "cancelled":  # the old seat is free
                outcome.promoted = await self._promote(session, repo, kind, instance_id, now)
            return outcome

    async def cancel_registration(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> RegistrationOutcome:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            if row["status"] not in domain.OPEN_FOR_REGISTRATION:
                raise domain.RegistrationRefused(
                    "L'instance n'est plus ouverte aux inscriptions : "
                    f"elle est {domain.STATUS_LABELS.get(row['status'], row['status'])}."
                )
            existing = await repo.registration(instance_id, member_id)
            if existing is None:
                raise NotFound("Vous n'êtes pas inscrit·e à cette instance.")
            if existing["status"] == "cancelled":
                return self._outcome(existing, [], changed=False)
            await self._record(session, self._registration_event(RegistrationCancelled, existing), now)
            kind = self.instance_type(row["instance_type"])
            promoted = await self._promote(session, repo, kind, instance_id, now)
            outcome = self._outcome(await repo.registration_by_id(existing["id"]), [], changed=True)
            outcome.promoted = promoted
            return outcome

    async def _promote(
        self,
        session: AsyncSession,
        repo: Repository,
        kind: InstanceType,
        instance_id: uuid.UUID,
        now: datetime,
    ) -> list[uuid.UUID]:
        return await promote_waiting(repo, kind, instance_id, self._recorder(session, now))

    @staticmethod
    def _registration_fields(row: RowMapping) -> dict[str, Any]:
        return registration_fields(row)

    def _registration_event(self, event_class: type[Event], row: RowMapping) -> Event:
        return event_class(**self._registration_fields(row))

    @staticmethod
    def _outcome(row: RowMapping, seats: Sequence[domain.Seat], *, changed: bool) -> RegistrationOutcome:
        position = None
        if row["status"] == "waitlisted":
            position = domain.waitlist_position(seats, row["id"])
        return RegistrationOutcome(
            registration_id=row["id"],
            instance_id=row["instance_id"],
            member_id=row["member_id"],
            council_id=row["council_id"],
            mode=row["mode"],
            status=row["status"],
            position=position,
            changed=changed,
        )

    async def instance_registrations(self, instance_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            repo = Repository(session)
            await self._instance(repo, instance_id)
            seats = await repo.seats(instance_id)
            result = []
            for row in await repo.registrations_of_instance(instance_id):
                item = aware_row(row)
                item["position"] = (
                    domain.waitlist_position(seats, row["id"]) if row["status"] == "waitlisted" else None
                )
                result.append(item)
            return result

    async def member_registrations(self, member_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            return [aware_row(row) for row in await Repository(session).registrations_of_member(member_id)]

    async def member_history(self, member_id: uuid.UUID) -> dict[str, Any]:
        """Her history: the past instances (started before now, newest first) of her
        council and themes (the agenda's rule, `list_instances`) or that she registered
        for or attended, each with her registration, her presence and the published
        minutes; and all her registrations over time (newest instance first)."""
        now = self.clock()
        past = await self.list_instances(starts_from=None, starts_before=now, member_id=member_id)
        async with self.database.sessionmaker() as session:
            repo = Repository(session)
            registrations = [aware_row(row) for row in await repo.registrations_of_member(member_id)]
            attended = await repo.attendance_of_member(member_id)
            known = {row["id"] for row in past}
            own = {row["instance_id"] for row in registrations} | set(attended)
            past += [
                aware_row(row) for row in await repo.instances_by_ids(sorted(own - known), starts_before=now)
            ]
            names = {kind.slug: kind.name for kind in self.territory.instance_types}
            mine = {row["instance_id"]: row for row in registrations}
            instances = []
            for row in sorted(past, key=lambda r: r["starts_at"], reverse=True):
                item = dict(row)
                item["instance_type_name"] = names.get(row["instance_type"], row["instance_type"])
                recorded = row["status"] in {"held", "minutes_published"}
                item["registration"] = mine.get(row["id"])
                item["present"] = (row["id"] in attended) if recorded else None
                published = row["minutes_published_at"] is not None
                documents = await repo.latest_documents(row["id"], "minutes") if published else []
                item["minutes_summary"] = row["minutes_summary"] if published else None
                item["minutes_documents"] = [aware_row(d) for d in documents if d["published_at"] is not None]
                instances.append(item)
        registrations.sort(key=lambda r: r["starts_at"], reverse=True)
        return {"instances": instances, "registrations": registrations}

    # ------------------------------------------------------------------ documents
    def _documents_dir(self) -> Path:
        directory = self.settings.documents_dir.resolve()
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def document_path(self, storage_name: str) -> Path:
        if not storage_name.isalnum():  # generated hex names only: no path can escape the directory
            raise NotFound("Document introuvable.")
        return self._documents_dir() / storage_name

    async def add_document(
        self, instance_id: uuid.UUID, kind: str, filename: str, content: bytes
    ) -> dict[str, Any]:
        if kind not in ("dossier", "minutes"):
            raise DomainError("Type de pièce inconnu (dossier ou minutes).")
        display_name = domain.safe_display_name(filename)
        media_type = domain.check_document(
            display_name, content[:512], len(content), self.settings.max_document_bytes
        )
        now = self.clock()
        document_id = uuid.uuid4()
        storage_name = uuid.uuid4().hex
        path = self.document_path(storage_name)
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            if kind == "dossier" and row["status"] not in domain.OPEN_FOR_REGISTRATION | {"draft"}:
                raise DomainError("On ne peut plus modifier le dossier d'une instance tenue ou annulée.")
            if kind == "minutes" and row["status"] not in ("held", "minutes_published"):
                raise DomainError("Le compte rendu se dépose après l'instance (présence enregistrée).")
            version = await repo.next_document_version(instance_id, kind, display_name)
            path.write_bytes(content)
            try:
                await session.execute(
                    tables.documents.insert().values(
                        id=document_id,
                        instance_id=instance_id,
                        kind=kind,
                        filename=display_name,
                        media_type=media_type,
                        size_bytes=len(content),
                        sha256=hashlib.sha256(content).hexdigest(),
                        storage_name=storage_name,
                        version=version,
                        uploaded_at=now,
                    )
                )
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            saved = await repo.document(document_id)
            assert saved is not None
            return aware_row(saved)

    async def document_for_download(
        self, document_id: uuid.UUID, *, staff: bool
    ) -> tuple[dict[str, Any], Path]:
        async with self.database.sessionmaker() as session:
            row = await Repository(session).document(document_id)
        if row is None or (not staff and row["published_at"] is None):
            raise NotFound("Document introuvable.")
        path = self.document_path(row["storage_name"])
        if not path.is_file():
            raise NotFound("Document introuvable.")
        return aware_row(row), path

    @staticmethod
    def _refs(rows: Sequence[RowMapping]) -> list[DocumentRef]:
        return [
            DocumentRef(
                document_id=row["id"],
                filename=row["filename"],
                media_type=row["media_type"],
                size_bytes=row["size_bytes"],
                sha256=row["sha256"],
            )
            for row in rows
        ]

    async def _mark_published(self, session: AsyncSession, rows: Sequence[RowMapping], now: datetime) -> None:
        ids = [row["id"] for row in rows if row["published_at"] is None]
        if ids:
            await session.execute(
                update(tables.documents).where(tables.documents.c.id.in_(ids)).values(published_at=now)
            )

    async def publish_dossier(self, instance_id: uuid.UUID) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row["status"], "publish_dossier")
            documents = await repo.latest_documents(instance_id, "dossier")
            if not documents:
                raise DomainError("Déposez au moins un document avant de publier le dossier.")
            version = domain.InstanceAggregate.of(dict(row)).next_dossier_version()
            starts_at = _aware(row["starts_at"]) or now
            await self._mark_published(session, documents, now)
            del status  # checked; the event applies it
            await self._record(
                session,
                DossierPublished(
                    instance_id=instance_id,
                    dossier_version=version,
                    documents=self._refs(documents),
                    published_at=now,
                    notice_days=round((starts_at - now).total_seconds() / 86400, 2),
                ),
                now,
            )
        return await self.get_instance(instance_id)

    async def alert_late_dossiers(self) -> int:
        """Raise one staff alert per instance whose dossier is still missing at the required notice."""
        now = self.clock()
        raised = 0
        async with self.database.sessionmaker() as session, session.begin():
            query = (
                select(tables.instances)
                .where(
                    tables.instances.c.status.in_(["scheduled", "rescheduled"]),
                    tables.instances.c.dossier_late_alerted_at.is_(None),
                    tables.instances.c.starts_at > now,
                )
                .with_for_update(skip_locked=True)
            )
            for row in (await session.execute(query)).mappings().all():
                kind = self.instance_type(row["instance_type"])
                starts_at = _aware(row["starts_at"]) or now
                if not domain.dossier_is_late(kind, starts_at, now):
                    continue
                await Repository(session).update_instance(row["id"], dossier_late_alerted_at=now)
                days = kind.dossier_notice_days
                await self._emit(
                    session,
                    StaffAlertRaised(
                        alert_id=uuid.uuid4(),
                        kind="dossier_late",
                        subject_id=row["id"],
                        message_fr=(
                            f"« {row['title']} » : le dossier n'est pas publié alors que l'instance a lieu "
                            f"dans moins de {days} jours."
                        ),
                        raised_at=now,
                    ),
                )
                raised += 1
        return raised

    # ------------------------------------------------------------------ attendance and minutes
    async def record_attendance(
        self, instance_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
    ) -> dict[str, Any]:
        now = self.clock()
        present = sorted(set(member_ids))
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row["status"], "hold")
            starts_at = _aware(row["starts_at"]) or now
            if now < starts_at:
                raise DomainError("L'instance n'a pas encore commencé : la présence s'enregistre après.")
            await self._record(
                session,
                AttendanceRecorded(
                    instance_id=instance_id,
                    present_member_ids=present,
                    recorded_at=now,
                    convened=await self._convened(session, row, await repo.concerned(instance_id)),
                ),
                now,
            )
            if row["status"] != "held":
                del status  # checked; the event applies it
                await self._record(session, InstanceHeld(instance_id=instance_id, held_at=now), now)
        return await self.get_instance(instance_id)

    async def _convened(
        self, session: AsyncSession, row: RowMapping, concerned: Sequence[uuid.UUID]
    ) -> list[ConvenedCouncil]:
        """Who was convened on the instance's date, per council: the members, or for a
        theme's instance its referents. Frozen into the attendance fact."""
        view = registry_view_of(self.territory)
        history = await view.history(session, concerned)
        day = view.local_date(row["starts_at"])
        groups = []
        for council_id in sorted(concerned):
            if row["scope"] == "theme":
                members = history.referents_on(council_id, row["theme"] or "", day)
            else:
                members = history.members_on(council_id, day)
            groups.append(ConvenedCouncil(council_id=council_id, member_ids=sorted(members)))
        return groups

    async def attendance(self, instance_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            result = await session.execute(
                select(tables.attendance).where(tables.attendance.c.instance_id == instance_id)
            )
            return [dict(row) for row in result.mappings()]

    async def publish_minutes(self, instance_id: uuid.UUID, summary: str) -> dict[str, Any]:
        now = self.clock()
        if not summary.strip():
            raise DomainError("Le résumé du compte rendu est obligatoire.")
        async with self.database.sessionmaker() as session, session.begin():
            repo = Repository(session)
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row["status"], "publish_minutes")
            documents = await repo.latest_documents(instance_id, "minutes")
            await self._mark_published(session, documents, now)
            del status  # checked; the event applies it
            await self._record(
                session,
                MinutesPublished(
                    instance_id=instance_id,
                    summary=summary,
                    documents=self._refs(documents),
                    published_at=now,
                ),
                now,
            )
        return await self.get_instance(instance_id)

    # ------------------------------------------------------------------ forum outcomes
    async def add_outcome(
        self,
        *,
        kind: str,
        text: str,
        made_by: str,
        made_on: date,
        council_id: uuid.UUID | None,
        instance_id: uuid.UUID | None,
        theme: str | None,
        status: str = "proposed",
    ) -> dict[str, Any]:
        self._check_theme(theme)
        event = OutcomeRecorded.model_validate(
            {
                "outcome_id": uuid.uuid4(),
                "kind": kind,
                "text": text,
                "made_by": made_by,
                "made_on": made_on,
                "council_id": council_id,
                "instance_id": instance_id,
                "theme": theme,
                "status": status,
                "recorded_at": self.clock(),
            }
        )
        async with self.database.sessionmaker() as session, session.begin():
            if instance_id is not None:
                await self._instance(Repository(session), instance_id)
            await apply_outcome_event(session, event)
            await self._emit(session, event)
        return await self.outcome(event.outcome_id)

    async def update_outcome(self, outcome_id: uuid.UUID, status: str, note: str) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            current = await session.scalar(
                select(tables.outcomes.c.status).where(tables.outcomes.c.id == outcome_id).with_for_update()
            )
            if current is None:
                raise NotFound("Proposition ou engagement introuvable.")
            domain.check_outcome_update(current, status)
            # The row is locked: the next position of its history is ours alone.
            event = OutcomeStatusChanged.model_validate(
                {
                    "outcome_id": outcome_id,
                    "status": status,
                    "previous_status": current,
                    "note": note,
                    "position": await latest_position(session, outcome_id) + 1,
                    "changed_at": now,
                }
            )
            await apply_outcome_event(session, event)
            await self._emit(session, event)
        return await self.outcome(outcome_id)

    async def outcome(self, outcome_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.sessionmaker() as session:
            row = (
                (await session.execute(select(tables.outcomes).where(tables.outcomes.c.id == outcome_id)))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound("Proposition ou engagement introuvable.")
            history = await session.execute(
                select(tables.outcome_updates)
                .where(tables.outcome_updates.c.outcome_id == outcome_id)
                .order_by(tables.outcome_updates.c.position)
            )
            result = aware_row(row)
            result["history"] = [aware_row(item) for item in history.mappings()]
            return result

    async def list_outcomes(self, kind: str | None = None) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            query = select(tables.outcomes.c.id).order_by(tables.outcomes.c.made_on)
            if kind is not None:
                query = query.where(tables.outcomes.c.kind == kind)
            ids = [row[0] for row in await session.execute(query)]
        return [await self.outcome(outcome_id) for outcome_id in ids]


# --------------------------------------------------------------------------- shared with the consumers


def registration_fields(row: RowMapping) -> dict[str, Any]:
    return {
        "registration_id": row["id"],
        "instance_id": row["instance_id"],
        "member_id": row["member_id"],
        "council_id": row["council_id"],
        "mode": row["mode"],
    }


async def promote_waiting(
    repo: Repository, kind: InstanceType, instance_id: uuid.UUID, record: Record
) -> list[uuid.UUID]:
    """Give freed seats to the waiting list, in order (the instance row is locked by the caller)."""
    promoted = domain.promotions(kind, await repo.seats(instance_id))
    for registration_id in promoted:
        saved = await repo.registration_by_id(registration_id)
        await record(RegistrationPromoted(**registration_fields(saved)))
    return promoted


async def release_seats_of_member(
    session: AsyncSession, territory: TerritoryConfig, member_id: uuid.UUID, record: Record
) -> int:
    """A member who left (or was erased) gives back her seats in instances still to come."""
    repo = Repository(session)
    open_instances = await session.execute(
        select(tables.registrations.c.instance_id)
        .join(tables.instances, tables.instances.c.id == tables.registrations.c.instance_id)
        .where(
            tables.registrations.c.member_id == member_id,
            tables.registrations.c.status != "cancelled",
            tables.instances.c.status.in_(sorted(domain.OPEN_FOR_REGISTRATION)),
        )
    )
    released = 0
    for instance_id in [row[0] for row in open_instances]:
        instance = await repo.instance(instance_id, lock=True)
        registration = await repo.registration(instance_id, member_id)
        if instance is None or registration is None:
            continue
        await record(RegistrationCancelled(**registration_fields(registration)))
        kind = next((k for k in territory.instance_types if k.slug == instance["instance_type"]), None)
        if kind is not None:
            await promote_waiting(repo, kind, instance_id, record)
        released += 1
    return released


def registry_view_of(territory: TerritoryConfig) -> RegistryView:
    return RegistryView(tables.registry_view, territory.territory.timezone)
