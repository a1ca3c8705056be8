"""Use cases of councils: register, update, dissolve, and read them."""

from __future__ import annotations

import uuid
from datetime import date

from conseils_registry.commands import CouncilChange, CouncilCreate
from conseils_registry.domain import check_council_open, check_dissolution, council_id_for
from conseils_registry.records import CouncilRecord
from conseils_registry.use_cases import RegistryCore, council_updated_event
from conseils_runtime.http import Conflict, DomainError, NotFound
from conseils_schemas import CouncilDissolved


class Councils(RegistryCore):
    async def list_councils(self, *, city_code: str | None = None) -> list[CouncilRecord]:
        async with self.units.reading() as repo:
            return await repo.councils(city_code=city_code)

    async def get_council(self, council_id: uuid.UUID) -> CouncilRecord:
        async with self.units.reading() as repo:
            council = await repo.council(council_id)
        if council is None:
            raise NotFound("Conseil introuvable.")
        return council

    async def register_council(self, command: CouncilCreate) -> CouncilRecord:
        async with self.units.begin() as unit:
            neighbourhood = await unit.repo.neighbourhood(command.neighbourhood_code)
            if neighbourhood is None:
                raise DomainError(f"Quartier inconnu : « {command.neighbourhood_code} ».")
            if await unit.repo.council_by_slug(command.slug) is not None:
                raise Conflict(f"Un conseil porte déjà l'identifiant « {command.slug} ».")
            council = await unit.repo.add_council(
                council_id_for(await self._territory_slug(unit.repo), command.slug),
                slug=command.slug,
                name=command.name,
                city_code=neighbourhood.city_code,
                neighbourhood_code=command.neighbourhood_code,
                status=command.status,
                created_on=command.created_on or self.today(),
            )
            await unit.emit(await self.council_registered_event(unit.repo, council))
            return council

    async def update_council(self, council_id: uuid.UUID, change: CouncilChange) -> CouncilRecord:
        async with self.units.begin() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_council_open(council.state)
            name = change.name if change.name is not None and change.name != council.name else None
            status = change.status if change.status is not None and change.status != council.status else None
            neighbourhood_code = city_code = None
            if (
                change.neighbourhood_code is not None
                and change.neighbourhood_code != council.neighbourhood_code
            ):
                neighbourhood = await unit.repo.neighbourhood(change.neighbourhood_code)
                if neighbourhood is None:
                    raise DomainError(f"Quartier inconnu : « {change.neighbourhood_code} ».")
                neighbourhood_code, city_code = change.neighbourhood_code, neighbourhood.city_code
            if name is None and status is None and neighbourhood_code is None:
                return council
            updated = await unit.repo.change_council(
                council_id,
                name=name,
                status=status,
                city_code=city_code,
                neighbourhood_code=neighbourhood_code,
            )
            await unit.emit(council_updated_event(council, updated))
            return updated

    async def dissolve_council(
        self, council_id: uuid.UUID, dissolved_on: date | None = None
    ) -> CouncilRecord:
        """A dissolved council keeps its history; its members leave and its referents are withdrawn."""
        day = dissolved_on or self.today()
        async with self.units.begin() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_dissolution(council.state, day, council.created_on)
            for member in await unit.repo.members(council_id=council_id):
                await self.leave_in(unit, member, max(day, member.joined_on), alert=False)
            updated = await unit.repo.dissolve_council(council_id, day)
            await unit.emit(CouncilDissolved(council_id=council_id, dissolved_on=day))
            return updated
