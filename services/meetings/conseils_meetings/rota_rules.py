"""The rules of the rotation scenario (tour de rôle), plain Python: whose turn it is, what a rota
may hold, what a swap may do. French reasons (DomainError: 422 next to the field)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from conseils_runtime.errors import DomainError


@dataclass(frozen=True)
class Turn:
    member_id: uuid.UUID
    next_position: int
    settles_swap_of: uuid.UUID | None = None


def next_turn(
    rota: Sequence[uuid.UUID],
    position: int,
    owed: Mapping[uuid.UUID, uuid.UUID],
    eligible: Collection[uuid.UUID],
) -> Turn | None:
    """The next eligible member from `position` (those who left are skipped); a member who took
    someone's turn by a swap gives her own next turn back to that person (when still eligible).
    None: nobody on the rota is eligible (empty, or everyone left)."""
    size = len(rota)
    for step in range(size):
        index = (position + step) % size
        natural = rota[index]
        if natural not in eligible:
            continue
        following = (index + 1) % size
        owner = owed.get(natural)
        if owner is not None and owner in eligible and owner != natural:
            return Turn(owner, following, settles_swap_of=natural)
        return Turn(natural, following)
    return None


def check_rota(member_ids: Sequence[uuid.UUID], council_members: Collection[uuid.UUID]) -> None:
    """A rota lists active members of the council, each once."""
    if len(set(member_ids)) != len(member_ids):
        raise DomainError("Chaque membre ne figure qu'une fois dans le tour de rôle.")
    outsiders = [member for member in member_ids if member not in council_members]
    if outsiders:
        raise DomainError(
            "Le tour de rôle ne peut compter que des membres actifs de ce conseil "
            f"({len(outsiders)} personne{'s' if len(outsiders) > 1 else ''} n'en "
            f"{'sont' if len(outsiders) > 1 else 'est'} pas)."
        )


def check_swap(
    rota: Sequence[uuid.UUID], current: uuid.UUID | None, other: uuid.UUID, eligible: Collection[uuid.UUID]
) -> uuid.UUID:
    """A swap for one instance: the member whose turn it is gives it to another member of the rota."""
    if current is None:
        raise DomainError("Personne n'a ce tour : il n'y a rien à échanger.")
    if other not in rota:
        raise DomainError("L'échange se fait avec un membre du tour de rôle de ce conseil.")
    if other not in eligible:
        raise DomainError("Ce membre n'est plus actif dans le conseil.")
    if other == current:
        raise DomainError("C'est déjà son tour.")
    return current
