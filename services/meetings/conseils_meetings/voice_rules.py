"""Rules of the councils' voice, as plain Python (no I/O): when opinions close, who may give a
council's opinion, what a decision may carry. Every refusal is a `DomainError` (French)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conseils_runtime.errors import DomainError, Forbidden
from conseils_runtime.territory import InstanceType

STANCE_LABELS = {"favourable": "Favorable", "reserve": "Réservé", "defavorable": "Défavorable"}
DECISION_LABELS = {"retenu": "Retenu", "ajourne": "Ajourné", "refuse": "Refusé"}
CHOICE_LABELS = {"participant": "Participer", "observer": "Observer", "none": "Ne pas y aller"}
OPINION_MAX_CHARS = 2000


def opinion_deadline(kind: InstanceType, starts_at: datetime) -> datetime:
    """Opinions are taken until the instance's start minus the type's `opinion_deadline_days`."""
    return starts_at - timedelta(days=kind.opinion_deadline_days)


def check_projects_allowed(kind: InstanceType, status: str) -> None:
    if not kind.opinions:
        raise DomainError(
            f"Les instances « {kind.name} » ne recueillent pas l'avis des conseils "
            "(voir « opinions » dans le fichier du territoire)."
        )
    if status in ("cancelled", "held", "minutes_published"):
        raise DomainError("On ne soumet plus de projet à une instance tenue ou annulée.")


def check_opinion(
    *,
    now: datetime,
    deadline: datetime,
    council_id: uuid.UUID | None,
    concerned: Iterable[uuid.UUID],
    is_coordinator: bool,
    is_delegate: bool,
    text: str,
    timezone: str,
) -> uuid.UUID:
    """The council whose opinion this is, or the French reason it is refused."""
    if council_id is None:
        raise Forbidden("Réservé aux membres d'un conseil citoyen.")
    if council_id not in set(concerned):
        raise DomainError(
            "Votre conseil n'est pas concerné par cette instance : il ne donne pas d'avis sur ses projets."
        )
    if not (is_coordinator or is_delegate):
        raise Forbidden(
            "L'avis du conseil est donné par sa coordinatrice ou son coordinateur, "
            "ou par son ou sa référent·e de la thématique du projet."
        )
    if now >= deadline:
        local = deadline.astimezone(ZoneInfo(timezone))
        raise DomainError(f"Les avis étaient attendus avant le {local:%d/%m/%Y à %H:%M} : il est trop tard.")
    if not text.strip():
        raise DomainError("Écrivez l'avis du conseil (quelques phrases).")
    if len(text.strip()) > OPINION_MAX_CHARS:
        raise DomainError(f"L'avis fait {len(text.strip())} caractères : {OPINION_MAX_CHARS} au plus.")
    return council_id


def check_decision(decision: str, amount_granted: int | None, amount_requested: int, status: str) -> None:
    if decision not in DECISION_LABELS:
        raise DomainError("Décision inconnue : retenu, ajourné ou refusé.")
    if status not in ("held", "minutes_published"):
        raise DomainError("La décision sur un projet s'enregistre après l'instance (présence enregistrée).")
    if amount_granted is not None and decision != "retenu":
        raise DomainError("Un montant n'est accordé qu'à un projet retenu.")
    if amount_granted is not None and amount_granted > amount_requested:
        raise DomainError("Le montant accordé dépasse le montant demandé.")


def followed(stance: str, decision: str | None) -> bool:
    """An opinion is followed when the decision goes its way: favourable and retenu, défavorable
    and refusé (a réservé opinion, or an ajourné project, is neither)."""
    return (stance, decision) in {("favourable", "retenu"), ("defavorable", "refuse")}
