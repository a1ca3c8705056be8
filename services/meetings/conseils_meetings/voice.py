"""The councils' voice, use cases: staff submit the projects of an instance, each concerned
council gives one opinion per project before the deadline (its coordinator, or its referent for
the project's theme as delegate), staff record the decision taken on each project for the
minutes; a council's coordinator states how the council wants to attend each instance type,
and staff are alerted when that changes. Every fact goes through `unit.emit` (outbox and
`projection.apply` in one transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from conseils_meetings import voice_rules
from conseils_meetings.use_cases import MeetingsCore, Unit
from conseils_meetings.voice_records import CouncilOpinionRecord, ParticipationChoiceRecord, ProjectRecord
from conseils_runtime.http import DomainError, Forbidden, NotFound
from conseils_schemas import StaffAlertRaised
from conseils_schemas.events import (
    CouncilOpinionGiven,
    CouncilParticipationChosen,
    ProjectDecided,
    ProjectSubmitted,
)


@dataclass(frozen=True)
class ProjectDraft:
    title: str
    promoter: str
    amount_requested_euros: int
    theme: str | None = None
    place: str | None = None
    document_id: uuid.UUID | None = None


class Voice(MeetingsCore):
    """Projects, councils' opinions, decisions, and the councils' participation choices."""

    async def submit_project(self, instance_id: uuid.UUID, draft: ProjectDraft) -> ProjectRecord:
        self._check_theme(draft.theme)
        project_id = uuid.uuid4()
        async with self.units.begin() as unit:
            instance = await self._instance(unit.repo, instance_id, lock=True)
            kind = self.instance_type(instance.instance_type)
            voice_rules.check_projects_allowed(kind, instance.status)
            document = None
            if draft.document_id is not None:
                found = await unit.repo.document(draft.document_id)
                if found is None or found.instance_id != instance_id or found.kind != "dossier":
                    raise DomainError("Ce document n'est pas une pièce du dossier de cette instance.")
                document = self._refs([found])[0]
            await unit.emit(
                ProjectSubmitted(
                    instance_id=instance_id,
                    project_id=project_id,
                    title=draft.title,
                    promoter=draft.promoter,
                    theme=draft.theme,
                    place=draft.place,
                    amount_requested_euros=draft.amount_requested_euros,
                    document=document,
                    opinion_deadline=voice_rules.opinion_deadline(kind, instance.starts_at),
                    submitted_at=self.clock(),
                )
            )
        return await self.project(instance_id, project_id)

    async def give_opinion(
        self, instance_id: uuid.UUID, project_id: uuid.UUID, member_id: uuid.UUID, stance: str, text: str
    ) -> ProjectRecord:
        async with self.units.begin() as unit:
            instance = await self._instance(unit.repo, instance_id, lock=True)
            project = await self._project(unit, instance_id, project_id)
            member = await unit.repo.member(member_id)
            if member is None or not member.active or member.erased:
                raise Forbidden("Réservé aux membres d'un conseil citoyen.")
            kind = self.instance_type(instance.instance_type)
            delegate = project.theme is not None and project.theme in await unit.repo.referent_themes(
                member_id, self.today()
            )
            council_id = voice_rules.check_opinion(
                now=self.clock(),
                deadline=voice_rules.opinion_deadline(kind, instance.starts_at),
                council_id=member.council_id,
                concerned=await unit.repo.concerned(instance_id),
                is_coordinator=member.role == "coordinator",
                is_delegate=delegate,
                text=text,
                timezone=self.timezone,
            )
            if instance.status == "cancelled":
                raise DomainError("L'instance est annulée : elle ne recueille plus d'avis.")
            previous = await unit.repo.opinion(project_id, council_id)
            await unit.emit(
                CouncilOpinionGiven.model_validate(
                    {
                        "instance_id": instance_id,
                        "project_id": project_id,
                        "opinion_id": uuid.uuid4(),
                        "council_id": council_id,
                        "stance": stance,
                        "text": text,
                        "given_by": member_id,
                        "replaces": None if previous is None else previous.opinion_id,
                        "given_at": self.clock(),
                    }
                )
            )
        return await self.project(instance_id, project_id)

    async def decide_project(
        self,
        instance_id: uuid.UUID,
        project_id: uuid.UUID,
        decision: str,
        amount_granted_euros: int | None,
        note: str,
    ) -> ProjectRecord:
        async with self.units.begin() as unit:
            instance = await self._instance(unit.repo, instance_id, lock=True)
            project = await self._project(unit, instance_id, project_id)
            voice_rules.check_decision(
                decision, amount_granted_euros, project.amount_requested, instance.status
            )
            await unit.emit(
                ProjectDecided.model_validate(
                    {
                        "instance_id": instance_id,
                        "project_id": project_id,
                        "decision": decision,
                        "amount_granted_euros": amount_granted_euros,
                        "note": note,
                        "decided_at": self.clock(),
                    }
                )
            )
        return await self.project(instance_id, project_id)

    async def _project(self, unit: Unit, instance_id: uuid.UUID, project_id: uuid.UUID) -> ProjectRecord:
        project = await unit.repo.project(project_id)
        if project is None or project.instance_id != instance_id:
            raise NotFound("Projet introuvable.")
        return project

    async def project(self, instance_id: uuid.UUID, project_id: uuid.UUID) -> ProjectRecord:
        async with self.units.reading() as repo:
            project = await repo.project(project_id)
        if project is None or project.instance_id != instance_id:
            raise NotFound("Projet introuvable.")
        return project

    async def projects(self, instance_id: uuid.UUID) -> list[ProjectRecord]:
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            return await repo.projects_of([instance_id])

    async def council_opinions(self, council_id: uuid.UUID) -> list[CouncilOpinionRecord]:
        async with self.units.reading() as repo:
            return await repo.council_opinions(council_id)

    # ----------------------------------------------------------------- participation choices

    async def participation_choices(
        self, council_id: uuid.UUID | None = None
    ) -> list[ParticipationChoiceRecord]:
        async with self.units.reading() as repo:
            return await repo.participation_choices(council_id)

    async def choose_participation(
        self, council_id: uuid.UUID, member_id: uuid.UUID, instance_type: str, choice: str
    ) -> list[ParticipationChoiceRecord]:
        kind = self.instance_type(instance_type)
        if choice not in voice_rules.CHOICE_LABELS:
            raise DomainError("Choix inconnu : participer, observer ou ne pas y aller.")
        if choice == "observer" and not kind.observers_allowed:
            raise DomainError(f"Les instances « {kind.name} » n'accueillent pas d'observateurs.")
        async with self.units.begin() as unit:
            member = await unit.repo.member(member_id)
            if member is None or member.council_id != council_id or member.role != "coordinator":
                raise Forbidden(
                    "Seule la coordinatrice ou le coordinateur du conseil choisit sa participation."
                )
            held = {c.instance_type: c.choice for c in await unit.repo.participation_choices(council_id)}
            previous = held.get(instance_type)
            if previous != choice:
                now = self.clock()
                await unit.emit(
                    CouncilParticipationChosen.model_validate(
                        {
                            "council_id": council_id,
                            "instance_type": instance_type,
                            "choice": choice,
                            "previous_choice": previous,
                            "chosen_by": member_id,
                            "chosen_at": now,
                        }
                    )
                )
                name = await unit.repo.council_name(council_id)
                before = voice_rules.CHOICE_LABELS[previous] if previous else "pas encore dit"
                await unit.emit(
                    StaffAlertRaised(
                        alert_id=uuid.uuid4(),
                        kind="participation_changed",
                        subject_id=council_id,
                        message_fr=f"{name or 'Un conseil'} a changé sa participation aux instances "
                        f"« {kind.name} » : {before} → {voice_rules.CHOICE_LABELS[choice]}.",
                        raised_at=now,
                    )
                )
        return await self.participation_choices(council_id)
