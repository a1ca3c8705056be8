"""Seeding the registry from the territory file, idempotently.

Reference data (territory, cities, neighbourhoods, themes) and staff
accounts are upserted; councils get their derived id (uuid5 of territory and
council slugs) and are registered once, or updated when the file changed;
demo members join once (found again by council and email), with their consent to be
contacted recorded (fictitious people: the demo must email them), and are designated
referent where the theme has none; the directory's entries (partners, schemes,
places) are saved once, with an id derived from their slug (staff edit them
afterwards: the file does not overrule them). A second run with the same file changes
nothing and publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conseils_registry.commands import DirectoryEntryInput, MemberJoin
from conseils_registry.domain import council_id_for, directory_entry_id_for, normalise_contact
from conseils_registry.repository import Upserted
from conseils_registry.service import RegistryService
from conseils_registry.use_cases import Unit, contact_card, council_updated_event
from conseils_runtime.service import ServiceRuntime
from conseils_runtime.territory import TerritoryConfig


@dataclass
class SeedReport:
    territory: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    events: int = 0

    def count(self, bucket: Upserted, kind: str) -> None:
        counts: dict[str, int] = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.events)

    def summary_fr(self) -> str:
        labels = {
            "cities": "villes",
            "neighbourhoods": "quartiers",
            "themes": "thématiques",
            "councils": "conseils",
            "staff": "comptes agents",
            "members": "membres de démonstration",
            "referents": "référent·es",
            "directory": "fiches de l'annuaire",
        }

        def describe(counts: dict[str, int]) -> str:
            return ", ".join(f"{counts[key]} {label}" for key, label in labels.items() if counts.get(key))

        lines = [f"Territoire « {self.territory} » :"]
        lines.append(f"  créés : {describe(self.created) or 'rien'}")
        lines.append(f"  mis à jour : {describe(self.updated) or 'rien'}")
        lines.append(f"  inchangés : {describe(self.unchanged) or 'rien'}")
        lines.append(f"  événements publiés : {self.events}")
        if not self.changed:
            lines.append("Rien à faire : le territoire était déjà à jour.")
        return "\n".join(lines)


async def seed_territory(runtime: ServiceRuntime | RegistryService, config: TerritoryConfig) -> SeedReport:
    """Create or update what the territory file describes; safe to run again."""
    service = (
        runtime
        if isinstance(runtime, RegistryService)
        else RegistryService(runtime.database, runtime.outbox, territory=runtime.settings.territory)
    )
    slug = config.territory.slug
    report = SeedReport(territory=config.territory.name)
    async with service.units.begin() as unit:
        repo = unit.repo
        info = config.territory
        report.count(await repo.upsert_territory(slug, info.name, info.kind, info.timezone), "territory")
        for city in config.cities:
            report.count(await repo.upsert_city(city.code, city.name), "cities")
            for neighbourhood in city.neighbourhoods:
                outcome = await repo.upsert_neighbourhood(neighbourhood.code, city.code, neighbourhood.name)
                report.count(outcome, "neighbourhoods")
        for position, theme in enumerate(config.themes):
            report.count(await repo.upsert_theme(theme.slug, theme.name, position), "themes")
        for account in config.staff:
            outcome = await repo.upsert_staff_account(
                email=account.email,
                name=account.name,
                organisation=account.organisation,
                kind=account.kind,
                role=account.role,
            )
            report.count(outcome, "staff")
        await _seed_councils(service, unit, report, config, slug)
        await _seed_demo_members(service, unit, report, config, slug)
        await _seed_directory(service, unit, report, config, slug)
        report.events = len(unit.events)
    return report


async def _seed_councils(
    service: RegistryService, unit: Unit, report: SeedReport, config: TerritoryConfig, slug: str
) -> None:
    for council in config.councils:
        council_id = council_id_for(slug, council.slug)
        existing = await unit.repo.council(council_id, lock=True)
        if existing is None:
            created = await unit.repo.add_council(
                council_id,
                slug=council.slug,
                name=council.name,
                city_code=council.city,
                neighbourhood_code=council.neighbourhood,
                status="active",
                created_on=service.today(),
            )
            await unit.emit(await service.council_registered_event(unit.repo, created))
            report.count("created", "councils")
        elif existing.dissolved_on is None and (
            existing.name != council.name or existing.neighbourhood_code != council.neighbourhood
        ):
            after = await unit.repo.change_council(
                council_id,
                name=council.name,
                city_code=council.city,
                neighbourhood_code=council.neighbourhood,
            )
            await unit.emit(council_updated_event(existing, after))
            report.count("updated", "councils")
        else:
            report.count("unchanged", "councils")


async def _seed_demo_members(
    service: RegistryService, unit: Unit, report: SeedReport, config: TerritoryConfig, slug: str
) -> None:
    # Demo members are found again by (council, email) rather than by an id
    # derived from the email: an id computed from an address would let anyone
    # who knows the address find the person in the immutable event history.
    for demo in config.demo_members:
        council_id = council_id_for(slug, demo.council)
        member = await unit.repo.active_member_by_email(council_id, demo.email)
        if member is None:
            member = await service.join_in(
                unit,
                MemberJoin(
                    council_id=council_id,
                    display_name=demo.display_name,
                    email=demo.email,
                    college=demo.college,
                    drawn_by_lot=demo.drawn_by_lot,
                    role=demo.role,
                    themes_followed=demo.themes_followed,
                    consent=True,
                ),
            )
            report.count("created", "members")
        elif member.consent_given_at is None and member.erased_at is None:
            # Seeded before consent was recorded: without it, notifications would email nobody.
            contact = normalise_contact(
                member.display_name or demo.display_name,
                member.email or demo.email,
                member.phone,
                member.language,
            )
            member = await unit.repo.replace_contact(
                member.id, contact, consent_given_at=service.clock(), now=service.clock()
            )
            await unit.emit(contact_card(member))
            report.count("updated", "members")
        else:
            report.count("unchanged", "members")
        for theme in demo.referent_for:
            current = await unit.repo.active_referent(council_id, theme)
            if current is None:
                await service.designate_in(unit, council_id, theme, member.id, service.today())
                report.count("created", "referents")
            else:
                # Staff may have designated someone else since: the file does not overrule them.
                report.count("unchanged", "referents")


async def _seed_directory(
    service: RegistryService, unit: Unit, report: SeedReport, config: TerritoryConfig, slug: str
) -> None:
    for entry in config.directory:
        entry_id = directory_entry_id_for(slug, entry.slug)
        if await unit.repo.directory_entry(entry_id) is not None:
            report.count("unchanged", "directory")  # staff may have edited it: the file does not overrule
            continue
        command = DirectoryEntryInput(
            name=entry.name,
            kind=entry.kind,
            themes=entry.themes,
            contact_role=entry.contact_role,
            contact_email=entry.contact_email,
            city_code=entry.city,
            address=entry.address,
            url=entry.url,
            description=entry.description,
        )
        await service.save_directory_in(unit, entry.type, command, entry_id)
        report.count("created", "directory")
