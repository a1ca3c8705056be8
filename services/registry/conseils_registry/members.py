"""Use cases of members: join (one by one or from a CSV file), change, change their
contact card, leave, export, and read them.

Membership events carry ids and roles only; the contact card goes to the
compacted contacts topic (`contact_card`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from conseils_registry.commands import ContactInput, MemberChange, MemberJoin
from conseils_registry.domain import (
    check_college,
    check_join,
    check_leave,
    check_member_active,
    check_themes,
    normalise_contact,
)
from conseils_registry.members_csv import (
    ImportReport,
    parse_members_csv,
    render_members_csv,
    render_template_csv,
)
from conseils_registry.members_labels import Labels
from conseils_registry.records import MemberRecord
from conseils_registry.use_cases import RegistryCore, Unit, contact_card
from conseils_runtime.http import Conflict, NotFound
from conseils_schemas import MemberJoined, MemberUpdated


class Members(RegistryCore):
    # ------------------------------------------------------------------ reads
    async def list_members(
        self, *, council_id: uuid.UUID | None = None, include_left: bool = False, email: str | None = None
    ) -> list[MemberRecord]:
        async with self.units.reading() as repo:
            return await repo.members(council_id=council_id, include_left=include_left, email=email)

    async def council_members(
        self, council_id: uuid.UUID, *, include_left: bool = False
    ) -> list[MemberRecord]:
        async with self.units.reading() as repo:
            if await repo.council(council_id) is None:
                raise NotFound("Conseil introuvable.")
            return await repo.members(council_id=council_id, include_left=include_left)

    async def get_member(self, member_id: uuid.UUID) -> MemberRecord:
        async with self.units.reading() as repo:
            return await self._existing_member(repo, member_id)

    # ------------------------------------------------------------------ writes
    async def join_member(self, command: MemberJoin) -> MemberRecord:
        async with self.units.begin() as unit:
            return await self.join_in(unit, command)

    async def join_in(self, unit: Unit, command: MemberJoin) -> MemberRecord:
        """A member joins in the caller's transaction (one by one, the CSV import, the seed)."""
        council = await self._existing_council(unit.repo, command.council_id)
        joined_on = command.joined_on or self.today()
        check_join(council.state, command.college, command.drawn_by_lot, joined_on, self.today())
        themes = check_themes(command.themes_followed, await unit.repo.theme_slugs())
        contact = normalise_contact(command.display_name, command.email, command.phone, command.language)
        if contact.email and await unit.repo.active_member_by_email(council.id, contact.email) is not None:
            raise Conflict(f"{contact.email} est déjà membre actif de ce conseil.")
        member_id = uuid.uuid4()
        now = self.clock()
        member = await unit.repo.add_member(
            member_id,
            council_id=council.id,
            college=command.college,
            drawn_by_lot=command.drawn_by_lot,
            role=command.role,
            joined_on=joined_on,
            themes_followed=themes,
            contact=contact,
            consent_given_at=now if command.consent else None,
            now=now,
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
        await unit.emit(contact_card(member))
        return member

    async def update_member(self, member_id: uuid.UUID, change: MemberChange) -> MemberRecord:
        async with self.units.begin() as unit:
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
            updated = await unit.repo.change_member(member_id, values)
            await unit.emit(MemberUpdated(member_id=member_id, council_id=member.council_id, **values))
            return updated

    async def update_contact(self, member_id: uuid.UUID, command: ContactInput) -> MemberRecord:
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if member.erased_at is not None:
                raise Conflict("Les données de cette personne ont été effacées.")
            contact = normalise_contact(command.display_name, command.email, command.phone, command.language)
            if contact.email and contact.email != member.email and member.left_on is None:
                other = await unit.repo.active_member_by_email(member.council_id, contact.email)
                if other is not None and other.id != member_id:
                    raise Conflict(f"{contact.email} est déjà membre actif de ce conseil.")
            consent_at = (member.consent_given_at or self.clock()) if command.consent else None
            updated = await unit.repo.replace_contact(
                member_id, contact, consent_given_at=consent_at, now=self.clock()
            )
            await unit.emit(contact_card(updated))
            return updated

    async def leave_member(self, member_id: uuid.UUID, left_on: date | None = None) -> MemberRecord:
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            await unit.repo.council(member.council_id, lock=True)
            day = left_on or self.today()
            check_leave(member.state, day, self.today())
            await self.leave_in(unit, member, day, alert=True)
            updated = await unit.repo.member(member_id)
            assert updated is not None
            return updated

    async def move_member(
        self, member_id: uuid.UUID, council_id: uuid.UUID, on: date | None = None
    ) -> MemberRecord:
        """She moves to another council, in one transaction: she leaves hers (MemberLeft, her
        referent roles end) and joins the other (MemberJoined and her contact card) with the same
        contact, college, role and themes; not drawn by lot there (a draw is per council)."""
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            if council_id == member.council_id:
                raise Conflict("Cette personne est déjà membre de ce conseil.")
            await unit.repo.council(member.council_id, lock=True)
            day = on or self.today()
            check_leave(member.state, day, self.today())
            await self._existing_council(unit.repo, council_id)
            await self.leave_in(unit, member, day, alert=True)
            return await self.join_in(
                unit,
                MemberJoin(
                    council_id=council_id,
                    display_name=member.display_name or "",
                    email=member.email or "",
                    phone=member.phone,
                    language=member.language or "fr",
                    consent=member.consent_given_at is not None,
                    college=member.state.college,
                    role=member.state.role,
                    joined_on=day,
                    themes_followed=member.themes_followed,
                ),
            )

    # ------------------------------------------------------------------ CSV
    async def import_members(
        self, text: str, *, dry_run: bool = False
    ) -> tuple[ImportReport, list[MemberRecord]]:
        """All or nothing: members are written only when every row is valid; with `dry_run`,
        never (the preview: the same report, nothing written)."""
        async with self.units.begin() as unit:
            councils, names = {}, {}
            records = await unit.repo.councils()
            for council in records:
                councils[council.slug] = council.state
                councils[str(council.id)] = council.state
                names[council.id] = council.name
            report = parse_members_csv(
                text,
                councils=councils,
                known_themes=await unit.repo.theme_slugs(),
                taken=await unit.repo.active_emails_by_council(),
                today=self.today(),
                labels=Labels.of(records, await unit.repo.themes()),
            )
            by_line = {member.line: member for member in report.members}
            for report_row in report.rows:
                if report_row.line in by_line:
                    report_row.council = names.get(by_line[report_row.line].council_id, "")
            if not report.ok or dry_run:
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

    async def import_template(self) -> str:
        """The import's template: the territory's first council and themes by their names."""
        async with self.units.reading() as repo:
            councils = [council for council in await repo.councils() if council.dissolved_on is None]
            themes = [theme.name for theme in await repo.themes()]
        return render_template_csv(councils, themes, self.today())

    async def export_members_csv(self, *, include_left: bool = False) -> str:
        async with self.units.reading() as repo:
            slugs = {council.id: council.slug for council in await repo.councils()}
            members = await repo.members(include_left=include_left)
        return render_members_csv(members, slugs)
