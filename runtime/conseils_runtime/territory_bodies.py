"""`body:` of the territory file: the kind of participation body of the territory (issue 20).

Since the decrees no. 2024-1036 and 2024-1037, a contrat de ville may rely on other bodies than
conseils citoyens, without the mandatory colleges and drawing by lot. The section is optional:
its defaults are today's conseils citoyens (two colleges, members drawn by lot). The site names
the body with `singular` and `plural` wherever it names it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BodyKind = Literal["conseil_citoyen", "table_de_quartier", "conseil_de_quartier", "autre"]

_NAMES: dict[str, tuple[str, str]] = {
    "conseil_citoyen": ("conseil citoyen", "conseils citoyens"),
    "table_de_quartier": ("table de quartier", "tables de quartier"),
    "conseil_de_quartier": ("conseil de quartier", "conseils de quartier"),
}


class ParticipationBody(BaseModel):
    """What the territory's participation bodies are, and whether they have colleges and lots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: BodyKind = "conseil_citoyen"
    name: str | None = Field(
        default=None, min_length=2, max_length=60, description="Nom de l'instance (« autre » : obligatoire)"
    )
    name_plural: str | None = Field(default=None, min_length=2, max_length=60, description="Son pluriel")
    colleges: bool = Field(default=True, description="Collèges habitants et acteurs locaux")
    drawing_by_lot: bool = Field(default=True, description="Membres tirés au sort")

    @model_validator(mode="after")
    def _named(self) -> ParticipationBody:
        if self.kind == "autre" and not (self.name and self.name_plural):
            raise ValueError("body : une instance « autre » a un nom (name) et un pluriel (name_plural)")
        return self

    @property
    def singular(self) -> str:
        return self.name or _NAMES[self.kind][0]

    @property
    def plural(self) -> str:
        return self.name_plural or _NAMES[self.kind][1]

    @property
    def menu(self) -> str:
        """The menu entry of the councils page: « Les conseils » for councils of either kind."""
        if self.kind in {"conseil_citoyen", "conseil_de_quartier"} and not self.name:
            return "Les conseils"
        return f"Les {self.plural}"
