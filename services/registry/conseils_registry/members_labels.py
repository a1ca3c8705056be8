"""The words people use in a members CSV, read back to the registry's codes (no I/O): a council
by its name, its neighbourhood or its short code (optionally with its city in a `ville`
column), "habitants" / "acteurs locaux" for the college, themes by their names.

Case, accents, dashes and apostrophes do not matter: « Franc-Moisin – Bel-Air »,
« franc moisin bel air » and « saint-denis-franc-moisin » name the same council.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from conseils_registry.domain import College, CouncilState
from conseils_registry.records import CouncilRecord, ThemeRecord
from conseils_runtime.errors import DomainError

_PREFIX = re.compile(r"^(conseil citoyen|conseil)\s+((de la|de l|des|du|de|d)\s+)?")
COLLEGE_LABELS: dict[str, College] = {
    "habitants": "habitants",
    "habitant": "habitants",
    "habitantes": "habitants",
    "acteurs locaux": "acteurs_locaux",
    "acteur local": "acteurs_locaux",
    "actrices et acteurs locaux": "acteurs_locaux",
}
COLLEGE_NAMES: dict[str, str] = {"habitants": "habitants", "acteurs_locaux": "acteurs locaux"}


def fold(text: str) -> str:
    """Lower case, no accents, dashes, underscores and apostrophes as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[\s\-–—_'’.,]+", " ", plain).split())


def _council_keys(council: CouncilRecord) -> set[str]:
    name = fold(council.name)
    return {fold(council.slug), name, _PREFIX.sub("", name), fold(council.neighbourhood)} - {""}


@dataclass
class Labels:
    """The councils and themes of the territory, found by any of the words people use."""

    councils: dict[str, list[CouncilState]] = field(default_factory=dict)
    cities: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, councils: Iterable[CouncilRecord], themes: Iterable[ThemeRecord]) -> Labels:
        labels = cls()
        for council in councils:
            labels.cities[council.id] = {fold(council.city), council.city_code}
            for key in {str(council.id), *_council_keys(council)}:
                found = labels.councils.setdefault(key, [])
                if all(state.id != council.id for state in found):
                    found.append(council.state)
        for theme in themes:
            labels.themes[fold(theme.slug)] = theme.slug
            labels.themes[fold(theme.name)] = theme.slug
        return labels

    def council(self, reference: str, city: str = "") -> CouncilState:
        """The council named `reference` (in `city` when given), or a French refusal."""
        if not reference:
            raise DomainError("conseil : champ obligatoire manquant")
        key = fold(reference)
        found = self.councils.get(reference.strip()) or self.councils.get(key)
        if not found:
            found = self.councils.get(_PREFIX.sub("", key), [])
        if city:
            wanted = fold(city)
            in_city = [state for state in found if wanted in self.cities.get(state.id, set())]
            if found and not in_city:
                raise DomainError(f"le conseil « {reference} » n'est pas dans la ville « {city} »")
            found = in_city
        if not found:
            raise DomainError(f"conseil inconnu « {reference} » (nom du conseil, comme dans le modèle)")
        if len(found) > 1:
            raise DomainError(f"plusieurs conseils s'appellent « {reference} » : indiquez la ville")
        return found[0]

    def theme_slugs(self, cell: str) -> list[str]:
        """Themes separated by `|` (or `;` inside a cell), by name or short code."""
        slugs: list[str] = []
        unknown: list[str] = []
        for part in re.split(r"[|]", cell):
            if not part.strip():
                continue
            slug = self.themes.get(fold(part))
            if slug is None:
                unknown.append(part.strip())
            elif slug not in slugs:
                slugs.append(slug)
        if unknown:
            raise DomainError(f"thématique(s) inconnue(s) : {', '.join(unknown)}")
        return slugs


def college_code(cell: str) -> str:
    """The college's code from its name (« habitants », « acteurs locaux »); empty: habitants.
    An unknown word is passed on for `check_college` to refuse in French."""
    if not cell.strip():
        return "habitants"
    return COLLEGE_LABELS.get(fold(cell), cell.strip().lower())
