"""The councils' voice: the projects submitted to an instance (a comité de programmation, or any
instance type whose territory file allows opinions), the opinion each concerned council gives on
each project, the decision taken on it, and each council's own choice of how it attends each
instance type.

No personal data: people appear only as member ids (``given_by``, ``chosen_by``). A council's
opinion text is the council's public word (``avis du conseil``, adopted by the council and read
at the instance), not a private person's data; a project names its promoter organisation, an
institutional actor, never a private person.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .. import topics
from .base import TYPE_PREFIX, Event, Slug
from .meetings import DocumentRef

OpinionStance = Literal["favourable", "reserve", "defavorable"]
"""Favourable, réservé, défavorable."""
ProjectDecision = Literal["retenu", "ajourne", "refuse"]
"""Retenu, ajourné, refusé."""
ParticipationChoice = Literal["participant", "observer", "none"]
"""How a council wants to attend an instance type: as participant, as observer, not at all."""

Label = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
Euros = Annotated[int, Field(ge=0, le=1_000_000_000)]


class _ProjectEvent(Event):
    topic: ClassVar[str] = topics.MEETINGS_VOICE
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID = Field(description="Instance the project is submitted to (Kafka key).")
    project_id: UUID


class ProjectSubmitted(_ProjectEvent):
    """Staff published a project submitted to an instance (its dossier), for the councils' opinions."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.project.submitted.v1"

    title: Label
    promoter: Label = Field(
        description="Promoter organisation (association, landlord, city…), never a person."
    )
    theme: Slug | None = Field(default=None, description="Theme slug of the territory file.")
    place: Label | None = Field(
        default=None, description="Neighbourhood or city where the project takes place."
    )
    amount_requested_euros: Euros = Field(description="Amount requested, whole euros.")
    document: DocumentRef | None = Field(default=None, description="A document of the instance's dossier.")
    opinion_deadline: AwareDatetime = Field(description="Opinions are taken until this instant.")
    submitted_at: AwareDatetime


class CouncilOpinionGiven(_ProjectEvent):
    """A concerned council gave its opinion on a project. A later one by the same council (before
    the deadline) replaces it: the newest ``given_at`` is the council's opinion."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.opinion.given.v1"

    opinion_id: UUID = Field(description="Id of this fact (a replacement has a new one).")
    council_id: UUID
    stance: OpinionStance
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)] = Field(
        description="The council's public word on the project (not personal data)."
    )
    given_by: UUID = Field(description="Member id of the coordinator or delegate who gave it.")
    replaces: UUID | None = Field(default=None, description="Opinion id it replaces, if any.")
    given_at: AwareDatetime


class ProjectDecided(_ProjectEvent):
    """Staff recorded the decision taken on a project at the instance (for its minutes)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.project.decided.v1"

    decision: ProjectDecision
    amount_granted_euros: Euros | None = None
    note: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] = ""
    decided_at: AwareDatetime


class CouncilParticipationChosen(Event):
    """A council's coordinator stated how the council wants to attend an instance type."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.participation.chosen.v1"
    topic: ClassVar[str] = topics.MEETINGS_VOICE
    key_field: ClassVar[str] = "council_id"

    council_id: UUID
    instance_type: Slug
    choice: ParticipationChoice
    previous_choice: ParticipationChoice | None = None
    chosen_by: UUID = Field(description="Member id of the coordinator.")
    chosen_at: AwareDatetime


VOICE_EVENTS: tuple[type[Event], ...] = (
    ProjectSubmitted,
    CouncilOpinionGiven,
    ProjectDecided,
    CouncilParticipationChosen,
)
"""The events of this module, in the order a producer lists them."""

GLOSSES_FR: dict[str, str] = {
    "meetings.voice": "projets soumis aux instances, avis des conseils (parole publique du conseil, "
    "pas une donnée personnelle), décisions, choix de participation des conseils",
    "ProjectSubmitted": "projet soumis à l'avis des conseils",
    "CouncilOpinionGiven": "avis d'un conseil sur un projet",
    "ProjectDecided": "décision prise sur un projet",
    "CouncilParticipationChosen": "choix de participation d'un conseil à un type d'instance",
}
"""French glosses of this module's topic and events, for the catalogue (`catalogue.py`)."""
