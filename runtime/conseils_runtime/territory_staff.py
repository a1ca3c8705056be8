"""`cities:` of a staff entry of the territory file: the cities a city or State agent works for.

Named by the slug of the city's name (``saint-denis``, ``l-ile-saint-denis``) or by its INSEE code
(``"93066"``), and kept as INSEE codes: the councils and instances name their city by its code.
A territory agent has none (she sees every city); a city or State agent without ``cities`` sees
every city too, as before the field existed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping


def city_slug(name: str) -> str:
    """« L'Île-Saint-Denis » -> ``l-ile-saint-denis``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def resolve_cities(named: Iterable[str], cities: Mapping[str, str]) -> tuple[frozenset[str], list[str]]:
    """(INSEE codes, names that are neither a code nor a slug) of ``named``; ``cities``: code -> name."""
    by_slug = {city_slug(name): code for code, name in cities.items()}
    codes: set[str] = set()
    unknown: list[str] = []
    for value in named:
        code = value if value in cities else by_slug.get(city_slug(value))
        if code is None:
            unknown.append(value)
        else:
            codes.add(code)
    return frozenset(codes), unknown
