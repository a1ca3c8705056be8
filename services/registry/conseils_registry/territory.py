"""Use cases of the territory's reference data: its themes, cities and neighbourhoods
(written by the seed, `seed.py`; read by everyone)."""

from __future__ import annotations

from conseils_registry.records import CityRecord, NeighbourhoodRecord, ThemeRecord
from conseils_registry.use_cases import RegistryCore


class Territory(RegistryCore):
    async def themes(self) -> list[ThemeRecord]:
        async with self.units.reading() as repo:
            return await repo.themes()

    async def cities(self) -> list[tuple[CityRecord, list[NeighbourhoodRecord]]]:
        """Every city with its neighbourhoods (priority areas), by name."""
        async with self.units.reading() as repo:
            cities = await repo.cities()
            neighbourhoods = await repo.neighbourhoods()
        return [(city, [n for n in neighbourhoods if n.city_code == city.code]) for city in cities]
