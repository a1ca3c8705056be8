"""Use cases of the registry: one transaction each, the state change and its
outbox events together.

Events carry ids and roles only; a contact card goes to the compacted
contacts topic, and erasure publishes `MemberErased` plus a tombstone there.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry import tables as t
from conseils_registry.directory import apply_directory_event
from conseils_registry.domain import (
    CSV_COLUMNS,
    College,
    CouncilStatus,
    EntryType,
    ImportReport,
    MemberRole,
    PartnerKind,
    ReferentAssignment,
    check_college,
    check_council_open,
    check_dissolution,
    check_join,
    check_leave,
    check_member_active,
    check_themes,
    check_withdrawal,
    council_id_for,
    format_bool_fr,
    normalise_contact,
    normalise_email,
    parse_members_csv,
    plan_designation,
    referent_roles_lost_on_leave,
)
from conseils_registry.repository import CouncilRecord, MemberRecord, RegistryRepository
from conseils_runtime.database import Database
from conseils_runtime.http import Conflict, DomainError, NotFound
from conseils_runtime.outbox import Outbox
from conseils_runtime.spreadsheets import SafeWriter
from conseils_schemas import (
    REGISTRY_MEMBER_CONTACTS,
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DirectoryEntryRemoved,
    DirectoryEntrySaved,
    Event,
    MemberContactCard,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
    ThemeLeftWithoutReferent,
    dlq_topic,
)

# --------------------------------------------------------------------------- commands


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CouncilCreate(_Command):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64, examples=["saint-denis-franc-moisin"])
    name: str = Field(min_length=3, max_length=200)
    neighbourhood_code: str = Field(description="Code du quartier prioritaire (QPV) ; la ville en découle.")
    status: CouncilStatus = "active"
    created_on: date | None = None


class CouncilChange(_Command):
    name: str | None = Field(default=None, min_length=3, max_length=200)
    neighbourhood_code: str | None = None
    status: CouncilStatus | None = None


class ContactInput(_Command):
    display_name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=24)
    language: str = "fr"
    consent: bool = Field(
        default=False, description="La personne accepte d'être contactée (date enregistrée)."
    )


class MemberJoin(ContactInput):
    council_id: uuid.UUID
    college: College = "habitants"
    drawn_by_lot: bool = False
    role: MemberRole = "member"
    joined_on: date | None = None
    themes_followed: list[str] = []


class MemberChange(_Command):
    college: College | None = None
    drawn_by_lot: bool | None = None
    role: MemberRole | None = None
    themes_followed: list[str] | None = None


class DirectoryEntryInput(_Command):
    name: str = Field(min_length=2, max_length=200, description="Organisation, dispositif ou lieu.")
    kind: PartnerKind | None = Field(default=None, description="Partenaires : type d'organisation.")
    themes: list[str] = []
    contact_role: str | None = Field(default=None, max_length=200, examples=["chargé de mission emploi"])
    contact_email: str | None = Field(
        default=None, max_length=254, description="Adresse fonctionnelle (jamais celle d'une personne)."
    )
    city_code: str | None = Field(default=None, pattern=r"^\d[0-9AB]\d{3}$")
    address: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=500)
    description: str = Field(default="", max_length=5000)


class StaffAccountInput(_Command):
    email: str = Field(max_length=254)
    name: str = Field(min_length=2, max_length=200)
    organisation: str = Field(min_length=2, max_length=200)
    kind: Literal["territory", "city", "state"]
    role: Literal["staff", "operator"] = "staff"


# --------------------------------------------------------------------------- service


@dataclass
class UnitOfWork:
    """One transaction: its session, repository, and the events it wrote."""

    session: AsyncSession
    repo: RegistryRepository
    outbox: Outbox
    events: list[Event] = field(default_factory=list)

    async def emit(self, event: Event) -> None:
        await self.outbox.add(self.session, event)
        self.events.append(event)


def utc_now() -> datetime:
    return datetime.now(UTC)


class RegistryService:
    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        *,
        territory: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.territory = territory
        self.clock = clock

    def today(self) -> date:
        return self.clock().date()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        async with self.database.sessionmaker() as session, session.begin():
            yield UnitOfWork(session=session, repo=RegistryRepository(session), outbox=self.outbox)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[RegistryRepository]:
        async with self.database.sessionmaker() as session, session.begin():
            yield RegistryRepository(session)

    async def _territory_slug(self, repo: RegistryRepository) -> str:
        row = await repo.territory()
        return str(row["slug"]) if row else self.territory

    # ------------------------------------------------------------------ councils
    async def register_council(self, command: CouncilCreate) -> CouncilRecord:
        async with self.unit() as unit:
            neighbourhood = await unit.repo.neighbourhood(command.neighbourhood_code)
            if neighbourhood is None:
                raise DomainError(f"Quartier inconnu : « {command.neighbourhood_code} ».")
            if await unit.repo.council_by_slug(command.slug) is not None:
                raise Conflict(f"Un conseil porte déjà l'identifiant « {command.slug} ».")
            council_id = council_id_for(await self._territory_slug(unit.repo), command.slug)
            await unit.session.execute(
                insert(t.councils).values(
                    id=council_id,
                    slug=command.slug,
                    name=command.name,
                    city_code=neighbourhood["city_code"],
                    neighbourhood_code=command.neighbourhood_code,
                    status=command.status,
                    created_on=command.created_on or self.today(),
                )
            )
            council = await unit.repo.council(council_id)
            assert council is not None
            await unit.emit(await self.council_registered_event(unit.repo, council))
            return council

    async def council_registered_event(
        self, repo: RegistryRepository, council: CouncilRecord
    ) -> CouncilRegistered:
        return CouncilRegistered(
            council_id=council.id,
            territory=await self._territory_slug(repo),
            city=council.city,
            city_code=council.city_code,
            neighbourhood=council.neighbourhood,
            name=council.name,
            status=council.status,
        )

    async def _existing_council(self, repo: RegistryRepository, council_id: uuid.UUID) -> CouncilRecord:
        council = await repo.council(council_id, lock=True)
        if council is None:
            raise NotFound("Conseil introuvable.")
        return council

    async def update_council(self, council_id: uuid.UUID, change: CouncilChange) -> CouncilRecord:
        async with self.unit() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_council_open(council.state)
            values: dict[str, Any] = {}
            if change.name is not None and change.name != council.name:
                values["name"] = change.name
            if change.status is not None and change.status != council.status:
                values["status"] = change.status
            if (
                change.neighbourhood_code is not None
                and change.neighbourhood_code != council.neighbourhood_code
            ):
                neighbourhood = await unit.repo.neighbourhood(change.neighbourhood_code)
                if neighbourhood is None:
                    raise DomainError(f"Quartier inconnu : « {change.neighbourhood_code} ».")
                values["neighbourhood_code"] = change.neighbourhood_code
                values["city_code"] = neighbourhood["city_code"]
            if not values:
                return council
            await unit.session.execute(
                update(t.councils).where(t.councils.c.id == council_id).values(**values)
            )
            updated = await unit.repo.council(council_id)
            assert updated is not None
            await unit.emit(council_updated_event(council, updated))
            return updated

    async def dissolve_council(
        self, council_id: uuid.UUID, dissolved_on: date | None = None
    ) -> CouncilRecord:
        """A dissolved council keeps its history; its members leave and its referents are withdrawn."""
        day = dissolved_on or self.today()
        async with self.unit() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_dissolution(council.state, day, council.created_on)
            for member in await unit.repo.members(council_id=council_id):
                await self.leave_in(unit, member, max(day, member.joined_on), alert=False)
            await unit.session.execute(
                update(t.councils).where(t.councils.c.id == council_id).values(dissolved_on=day)
            )
            await unit.emit(CouncilDissolved(council_id=council_id, dissolved_on=day))
            updated = await unit.repo.council(council_id)
            assert updated is not None
            return updated

    # ------------------------------------------------------------------ members
    async def join_member(self, command: MemberJoin) -> MemberRecord:
        async with self.unit() as unit:
            return await self.join_in(unit, command)

    async def join_in(self, unit: UnitOfWork, command: MemberJoin) -> MemberRecord:
        council = await self._existing_council(unit.repo, command.council_id)
        joined_on = command.joined_on or self.today()
        check_join(council.state, command.college, command.drawn_by_lot, joined_on, self.today())
        themes = check_themes(command.themes_followed, await unit.repo.theme_slugs())
        contact = normalise_contact(command.display_name, command.email, command.phone, command.language)
        if await unit.repo.active_member_by_email(council.id, contact.email) is not None:
            raise Conflict(f"{contact.email} est déjà membre actif de ce conseil.")
        member_id = uuid.uuid4()
        now = self.clock()
        await unit.session.execute(
            insert(t.members).values(
                id=member_id,
                council_id=council.id,
                college=command.college,
                drawn_by_lot=command.drawn_by_lot,
                role=command.role,
                joined_on=joined_on,
                themes_followed=themes,
            )
        )
        await unit.session.execute(
            insert(t.member_contacts).values(
                member_id=member_id,
                display_name=contact.display_name,
                email=contact.email,
                phone=contact.phone,
                language=contact.language,
                consent_given_at=now if command.consent else None,
                updated_at=now,
            )
        )
        await unit.emit(
            MemberJoined(
                member_id=member_id,
                council_id=council.id,
                college=command.college,
                drawn_by_lot=command.drawn_by_lot,
                role=command.role,
                joined_on=joined_on,
                themes_followed=themes,
            )
        )
        member = await unit.repo.member(member_id)
        assert member is not None
        await unit.emit(_contact_card(member))
        return member

    async def _existing_member(self, repo: RegistryRepository, member_id: uuid.UUID) -> MemberRecord:
        member = await repo.member(member_id)
        if member is None:
            raise NotFound("Membre introuvable.")
        return member

    async def update_member(self, member_id: uuid.UUID, change: MemberChange) -> MemberRecord:
        async with self.unit() as unit:
            member = await self._existing_member(unit.repo, member_id)
            check_member_active(member.state)
            college = change.college or member.college
            drawn_by_lot = member.drawn_by_lot if change.drawn_by_lot is None else change.drawn_by_lot
            if change.college == "acteurs_locaux" and change.drawn_by_lot is None:
                drawn_by_lot = False  # drawing by lot only exists in the college of residents
            check_college(college, drawn_by_lot)
            values: dict[str, Any] = {}
            if college != member.college:
                values["college"] = college
            if drawn_by_lot != member.drawn_by_lot:
                values["drawn_by_lot"] = drawn_by_lot
            if change.role is not None and change.role != member.role:
                values["role"] = change.role
            if change.themes_followed is not None:
                themes = check_themes(change.themes_followed, await unit.repo.theme_slugs())
                if themes != member.themes_followed:
                    values["themes_followed"] = themes
            if not values:
                return member
            await unit.session.execute(update(t.members).where(t.members.c.id == member_id).values(**values))
            await unit.emit(MemberUpdated(member_id=member_id, council_id=member.council_id, **values))
            updated = await unit.repo.member(member_id)
            assert updated is not None
            return updated

    async def update_contact(self, member_id: uuid.UUID, command: ContactInput) -> MemberRecord:
        async with self.unit() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if member.erased_at is not None:
                raise Conflict("Les données de cette personne ont été effacées.")
            contact = normalise_contact(command.display_name, command.email, command.phone, command.language)
            if contact.email != member.email and member.left_on is None:
                other = await unit.repo.active_member_by_email(member.council_id, contact.email)
                if other is not None and other.id != member_id:
                    raise Conflict(f"{contact.email} est déjà membre actif de ce conseil.")
            consent_at = (member.consent_given_at or self.clock()) if command.consent else None
            await unit.session.execute(
                update(t.member_contacts)
                .where(t.member_contacts.c.member_id == member_id)
                .values(
                    display_name=contact.display_name,
                    email=contact.email,
                    phone=contact.phone,
                    language=contact.language,
                    consent_given_at=consent_at,
                    updated_at=self.clock(),
                )
            )
            updated = await unit.repo.member(member_id)
            assert updated is not None
            await unit.emit(_contact_card(updated))
            return updated

    async def leave_member(self, member_id: uuid.UUID, left_on: date | None = None) -> MemberRecord:
        async with self.unit() as unit:
            member = await self._existing_member(unit.repo, member_id)
            await unit.repo.council(member.council_id, lock=True)
            day = left_on or self.today()
            check_leave(member.state, day, self.today())
            await self.leave_in(unit, member, day, alert=True)
            updated = await unit.repo.member(member_id)
            assert updated is not None
            return updated

    async def leave_in(self, unit: UnitOfWork, member: MemberRecord, day: date, *, alert: bool) -> None:
        await unit.session.execute(update(t.members).where(t.members.c.id == member.id).values(left_on=day))
        for lost in referent_roles_lost_on_leave(member.id, await unit.repo.active_assignments(member.id)):
            await self._end_referent(unit, lost, day, "member_left")
            if alert:
                await unit.emit(
                    ThemeLeftWithoutReferent(council_id=lost.council_id, theme=lost.theme, since=self.clock())
                )
        await unit.emit(MemberLeft(member_id=member.id, council_id=member.council_id, left_on=day))

    async def erase_member(self, member_id: uuid.UUID) -> bool:
        """Right to erasure: no registry table keeps their name, email or phone. False if already erased."""
        async with self.unit() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if member.erased_at is not None:
                return False
            if member.left_on is None:
                await unit.repo.council(member.council_id, lock=True)
                await self.leave_in(unit, member, self.today(), alert=True)
            await unit.session.execute(
                delete(t.member_contacts).where(t.member_contacts.c.member_id == member_id)
            )
            await unit.session.execute(
                update(t.members)
                .where(t.members.c.id == member_id)
                .values(erased_at=self.clock(), themes_followed=[])
            )
            # Earlier contact cards of this person still sit in our outbox table
            # (relayed or not): they go too; the tombstone supersedes them on Kafka.
            await self.outbox.purge(unit.session, REGISTRY_MEMBER_CONTACTS, str(member_id))
            await unit.emit(MemberErased(member_id=member_id, erased_at=self.clock()))
            await self.outbox.add_tombstone(unit.session, REGISTRY_MEMBER_CONTACTS, str(member_id))
            # A card of theirs may sit in the dead letters (compacted too): tombstone it there as well.
            await self.outbox.add_tombstone(unit.session, dlq_topic(REGISTRY_MEMBER_CONTACTS), str(member_id))
            return True

    # ------------------------------------------------------------------ referents
    async def designate_referent(
        self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date | None = None
    ) -> bool:
        """Designate a referent; replaces the current one. False when they already are the referent."""
        async with self.unit() as unit:
            return await self.designate_in(unit, council_id, theme, member_id, since or self.today())

    async def designate_in(
        self, unit: UnitOfWork, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date
    ) -> bool:
        council = await self._existing_council(unit.repo, council_id)
        member = await self._existing_member(unit.repo, member_id)
        current = await unit.repo.active_referent(council_id, theme)
        plan = plan_designation(
            council.state,
            member.state,
            theme,
            await unit.repo.theme_slugs(),
            current.member_id if current else None,
        )
        if not plan.designate:
            return False
        if plan.replaced_member_id is not None:
            await self._end_referent(
                unit, ReferentAssignment(council_id, theme, plan.replaced_member_id), since, "replaced"
            )
        await unit.session.execute(
            insert(t.referents).values(
                id=uuid.uuid4(), council_id=council_id, theme=theme, member_id=member_id, since=since
            )
        )
        await unit.emit(
            ReferentDesignated(council_id=council_id, theme=theme, member_id=member_id, since=since)
        )
        return True

    async def withdraw_referent(self, council_id: uuid.UUID, theme: str, until: date | None = None) -> None:
        async with self.unit() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_council_open(council.state)
            current = await unit.repo.active_referent(council_id, theme)
            member_id = check_withdrawal(current.member_id if current else None, theme)
            await self._end_referent(
                unit, ReferentAssignment(council_id, theme, member_id), until or self.today(), "withdrawn"
            )
            await unit.emit(ThemeLeftWithoutReferent(council_id=council_id, theme=theme, since=self.clock()))

    async def _end_referent(
        self,
        unit: UnitOfWork,
        assignment: ReferentAssignment,
        until: date,
        reason: Literal["withdrawn", "member_left", "replaced"],
    ) -> None:
        council_id, theme, member_id = assignment.council_id, assignment.theme, assignment.member_id
        referents = t.referents
        await unit.session.execute(
            update(referents)
            .where(
                referents.c.council_id == council_id,
                referents.c.theme == theme,
                referents.c.member_id == member_id,
                referents.c.until.is_(None),
            )
            .values(until=until, end_reason=reason)
        )
        await unit.emit(
            ReferentWithdrawn(
                council_id=council_id, theme=theme, member_id=member_id, until=until, reason=reason
            )
        )

    # ------------------------------------------------------------------ CSV
    async def import_members(self, text: str) -> tuple[ImportReport, list[MemberRecord]]:
        """All or nothing: members are written only when every row is valid."""
        async with self.unit() as unit:
            councils = {}
            for council in await unit.repo.councils():
                councils[council.slug] = council.state
                councils[str(council.id)] = council.state
            report = parse_members_csv(
                text,
                councils=councils,
                known_themes=await unit.repo.theme_slugs(),
                taken=await unit.repo.active_emails_by_council(),
                today=self.today(),
            )
            if not report.ok:
                return report, []
            created = []
            for row in report.members:
                created.append(
                    await self.join_in(
                        unit,
                        MemberJoin(
                            council_id=row.council_id,
                            display_name=row.contact.display_name,
                            email=row.contact.email,
                            phone=row.contact.phone,
                            language=row.contact.language,
                            consent=row.consent,
                            college=row.college,
                            drawn_by_lot=row.drawn_by_lot,
                            role=row.role,
                            joined_on=row.joined_on,
                            themes_followed=row.themes_followed,
                        ),
                    )
                )
            return report, created

    async def export_members_csv(self, *, include_left: bool = False) -> str:
        async with self.reading() as repo:
            slugs = {council.id: council.slug for council in await repo.councils()}
            members = await repo.members(include_left=include_left)
        buffer = io.StringIO()
        writer = SafeWriter(buffer, delimiter=";", lineterminator="\r\n")  # no formula runs on open
        writer.writerow([*CSV_COLUMNS, "id", "date_sortie"])
        for member in members:
            if member.erased_at is not None:
                continue
            writer.writerow(
                [
                    slugs.get(member.council_id, str(member.council_id)),
                    member.display_name or "",
                    member.email or "",
                    member.phone or "",
                    member.language or "fr",
                    member.college,
                    format_bool_fr(member.drawn_by_lot),
                    "coordinateur" if member.role == "coordinator" else "membre",
                    member.joined_on.isoformat(),
                    "|".join(member.themes_followed),
                    format_bool_fr(member.consent_given_at is not None),
                    str(member.id),
                    member.left_on.isoformat() if member.left_on else "",
                ]
            )
        return "\ufeff" + buffer.getvalue()  # BOM: spreadsheet software then reads UTF-8 correctly

    # ------------------------------------------------------------------ directory and staff
    async def save_directory_entry(
        self, entry_type: EntryType, command: DirectoryEntryInput, entry_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        if entry_type == "partner" and command.kind is None:
            raise DomainError(
                "Indiquez le type de partenaire (État, ville, territoire, bailleur, association…)."
            )
        if command.contact_email is not None:
            command = command.model_copy(update={"contact_email": normalise_email(command.contact_email)})
        async with self.unit() as unit:
            themes = check_themes(command.themes, await unit.repo.theme_slugs())
            if entry_id is None:
                entry_id = uuid.uuid4()
            else:
                existing = await unit.repo.directory_entry(entry_id)
                if existing is None or existing["entry_type"] != entry_type:
                    raise NotFound("Fiche de l'annuaire introuvable.")
            event = DirectoryEntrySaved(
                entry_id=entry_id,
                entry_type=entry_type,
                name=command.name,
                kind=command.kind if entry_type == "partner" else None,
                themes=themes,
                contact_role=command.contact_role,
                contact_email=command.contact_email,
                city_code=command.city_code,
                address=command.address,
                url=command.url,
                description=command.description,
                saved_at=self.clock(),
            )
            await apply_directory_event(unit.session, event)
            await unit.emit(event)
            return entry_id

    async def delete_directory_entry(self, entry_id: uuid.UUID) -> None:
        async with self.unit() as unit:
            existing = await unit.repo.directory_entry(entry_id)
            if existing is None:
                raise NotFound("Fiche de l'annuaire introuvable.")
            event = DirectoryEntryRemoved(
                entry_id=entry_id, entry_type=existing["entry_type"], removed_at=self.clock()
            )
            await apply_directory_event(unit.session, event)
            await unit.emit(event)

    async def create_staff_account(self, command: StaffAccountInput) -> uuid.UUID:
        email = normalise_email(command.email)
        async with self.unit() as unit:
            if await unit.repo.staff_by_email(email) is not None:
                raise Conflict(f"Un compte existe déjà pour {email}.")
            account_id = uuid.uuid4()
            await unit.session.execute(
                insert(t.staff_accounts).values(
                    id=account_id,
                    email=email,
                    name=command.name,
                    organisation=command.organisation,
                    kind=command.kind,
                    role=command.role,
                )
            )
            return account_id

    # ------------------------------------------------------------------ right of access
    async def member_data(self, member_id: uuid.UUID) -> dict[str, Any]:
        """Everything the registry holds about one person (right of access)."""
        async with self.reading() as repo:
            member = await self._existing_member(repo, member_id)
            council = await repo.council(member.council_id)
            history = await repo.referents(member_id=member_id, active_only=False)
        return {
            "genere_le": self.clock().isoformat(),
            "membre": {
                "id": str(member.id),
                "conseil": {"id": str(member.council_id), "nom": council.name if council else None},
                "college": member.college,
                "tirage_au_sort": member.drawn_by_lot,
                "role": member.role,
                "date_entree": member.joined_on.isoformat(),
                "date_sortie": member.left_on.isoformat() if member.left_on else None,
                "thematiques_suivies": member.themes_followed,
                "efface_le": member.erased_at.isoformat() if member.erased_at else None,
            },
            "coordonnees": None
            if member.display_name is None
            else {
                "nom": member.display_name,
                "email": member.email,
                "telephone": member.phone,
                "langue": member.language,
                "consentement_le": member.consent_given_at.isoformat() if member.consent_given_at else None,
            },
            "referent": [
                {
                    "conseil_id": str(r.council_id),
                    "thematique": r.theme,
                    "depuis": r.since.isoformat(),
                    "jusqu_au": r.until.isoformat() if r.until else None,
                    "motif_de_fin": r.end_reason,
                }
                for r in history
            ],
        }


def council_updated_event(before: CouncilRecord, after: CouncilRecord) -> CouncilUpdated:
    moved = before.neighbourhood_code != after.neighbourhood_code
    return CouncilUpdated(
        council_id=after.id,
        name=after.name if after.name != before.name else None,
        status=after.status if after.status != before.status else None,
        neighbourhood=after.neighbourhood if moved else None,
        city=after.city if moved and after.city_code != before.city_code else None,
        city_code=after.city_code if moved and after.city_code != before.city_code else None,
    )


def _contact_card(member: MemberRecord) -> MemberContactCard:
    return MemberContactCard(
        member_id=member.id,
        display_name=member.display_name or "",
        email=member.email or "",
        phone=member.phone,
        language=member.language or "fr",
        consent_given_at=member.consent_given_at,
    )
