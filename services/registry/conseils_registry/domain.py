"""Rules of the registry, in plain Python (no I/O): councils, members,
contact cards, referents and directory search (the members CSV is in
`members_csv.py`).

Every refusal is a `DomainError` with a French message shown to the user.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from conseils_runtime.errors import Conflict, DomainError

College = Literal["habitants", "acteurs_locaux"]
MemberRole = Literal["member", "coordinator"]
CouncilStatus = Literal["forming", "active", "suspended"]
PartnerKind = Literal["state", "city", "territory", "landlord", "association", "other"]
EntryType = Literal["partner", "scheme", "place"]
WithdrawalReason = Literal["withdrawn", "member_left", "replaced"]

COLLEGES: tuple[College, ...] = ("habitants", "acteurs_locaux")
COLLEGE_LABELS: dict[str, str] = {"habitants": "habitants", "acteurs_locaux": "acteurs locaux"}
ROLE_LABELS: dict[str, str] = {"member": "membre", "coordinator": "coordinateur ou coordinatrice"}

# Council ids are derived, not drawn: every service, every re-run of the seed
# and every replica computes the same id for the same council of a territory.
COUNCIL_NAMESPACE = uuid.UUID("6f3b0c52-5d1e-4c1f-9a43-2f3c9b1e7a10")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,24}$")
_PHONE_SEPARATORS = re.compile(r"[ .()-]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def council_id_for(territory_slug: str, council_slug: str) -> uuid.UUID:
    """The id of a council, the same everywhere: uuid5(territory slug + council slug)."""
    return uuid.uuid5(COUNCIL_NAMESPACE, f"{territory_slug}/{council_slug}")


def directory_entry_id_for(territory_slug: str, entry_slug: str) -> uuid.UUID:
    """The id of a directory entry seeded from the territory file: uuid5(territory + entry slug)."""
    return uuid.uuid5(COUNCIL_NAMESPACE, f"{territory_slug}/annuaire/{entry_slug}")


# --------------------------------------------------------------------------- councils


@dataclass(frozen=True)
class CouncilState:
    id: uuid.UUID
    status: CouncilStatus
    dissolved_on: date | None = None

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None


def check_council_open(council: CouncilState) -> None:
    if council.is_dissolved:
        raise Conflict("Ce conseil a été dissous : il ne peut plus être modifié ni accueillir de membres.")


def check_dissolution(council: CouncilState, dissolved_on: date, created_on: date | None) -> None:
    check_council_open(council)
    if created_on is not None and dissolved_on < created_on:
        raise DomainError("La date de dissolution ne peut pas précéder la création du conseil.")


# --------------------------------------------------------------------------- members


@dataclass(frozen=True)
class MemberState:
    id: uuid.UUID
    council_id: uuid.UUID
    college: College
    drawn_by_lot: bool
    role: MemberRole
    joined_on: date
    left_on: date | None = None
    erased: bool = False

    @property
    def is_active(self) -> bool:
        return self.left_on is None and not self.erased


def check_college(college: str, drawn_by_lot: bool) -> None:
    if college not in COLLEGES:
        raise DomainError(f"Collège inconnu « {college} » : habitants ou acteurs_locaux.")
    if drawn_by_lot and college != "habitants":
        raise DomainError("Seuls les membres du collège des habitants peuvent être tirés au sort.")


def check_themes(themes: Iterable[str], known_themes: Iterable[str]) -> list[str]:
    """Themes in order, without duplicates; refuses unknown ones."""
    known = set(known_themes)
    result: list[str] = []
    for theme in themes:
        if theme not in known:
            raise DomainError(f"Thématique inconnue « {theme} » (connues : {', '.join(sorted(known))}).")
        if theme not in result:
            result.append(theme)
    return result


def check_join(council: CouncilState, college: str, drawn_by_lot: bool, joined_on: date, today: date) -> None:
    check_council_open(council)
    check_college(college, drawn_by_lot)
    check_joined_on(joined_on, today)


def check_joined_on(joined_on: date, today: date) -> None:
    if joined_on > today:
        raise DomainError("La date d'entrée ne peut pas être dans le futur.")


def check_member_active(member: MemberState) -> None:
    if member.erased:
        raise Conflict("Les données de cette personne ont été effacées.")
    if member.left_on is not None:
        raise Conflict(f"Cette personne a quitté le conseil le {member.left_on:%d/%m/%Y}.")


def check_leave(member: MemberState, left_on: date, today: date) -> None:
    check_member_active(member)
    if left_on < member.joined_on:
        raise DomainError("La date de sortie ne peut pas précéder la date d'entrée.")
    if left_on > today:
        raise DomainError("La date de sortie ne peut pas être dans le futur.")


@dataclass(frozen=True)
class ContactCard:
    display_name: str
    email: str | None
    """None: she is reached by SMS only (and cannot sign in on the site, which emails a link)."""
    phone: str | None
    language: str


def normalise_email(email: str) -> str:
    """A checked email address in lower case."""
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise DomainError(f"Adresse électronique invalide : « {email.strip()} ».")
    return address


def check_phone(number: str) -> str:
    """A French number (`06 39 98 00 00`) or an international one in E.164 (`+33 6 39 98 00 00`,
    `0033…`), kept as typed; refuses anything an SMS gateway could not reach."""
    if not _PHONE.fullmatch(number):
        raise DomainError(f"Numéro de téléphone invalide : « {number} ».")
    digits = _PHONE_SEPARATORS.sub("", number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    french = digits.startswith("0") and len(digits) == 10 and digits[1] != "0"
    if not (french or re.fullmatch(r"\+[1-9][0-9]{7,14}", digits)):
        raise DomainError(
            f"Numéro de téléphone invalide : « {number} » (un numéro français à 10 chiffres, "
            "ou international commençant par +)."
        )
    return number


def normalise_contact(
    display_name: str, email: str | None, phone: str | None, language: str | None
) -> ContactCard:
    """A checked contact card (email in lower case); refuses what the event contract would refuse.
    An email or a phone is required (a member without email is reached by SMS)."""
    name = " ".join(display_name.split())
    if len(name) < 2:
        raise DomainError("Le nom affiché doit comporter au moins deux caractères.")
    if len(name) > 120:
        raise DomainError("Le nom affiché est trop long (120 caractères au plus).")
    address = normalise_email(email) if email is not None and email.strip() else None
    number = (phone or "").strip() or None
    if number is not None:
        check_phone(number)
    if address is None and number is None:
        raise DomainError(
            "Indiquez une adresse électronique ou un numéro de téléphone : "
            "sans l'un des deux, la personne ne peut pas être prévenue."
        )
    lang = (language or "").strip() or "fr"
    if not _LANGUAGE.fullmatch(lang):
        raise DomainError(f"Code de langue invalide : « {lang} » (par exemple fr, en, ar).")
    return ContactCard(display_name=name, email=address, phone=number, language=lang)


# --------------------------------------------------------------------------- referents


@dataclass(frozen=True)
class ReferentAssignment:
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID


@dataclass(frozen=True)
class DesignationPlan:
    """What designating `member_id` for a theme changes: nothing, or a replacement, or a new referent."""

    designate: bool
    replaced_member_id: uuid.UUID | None = None


def plan_designation(
    council: CouncilState,
    member: MemberState,
    theme: str,
    known_themes: Iterable[str],
    current_referent: uuid.UUID | None,
) -> DesignationPlan:
    """Per council and theme at most one active referent, an active member of that council."""
    check_council_open(council)
    check_themes([theme], known_themes)
    if member.council_id != council.id:
        raise DomainError("Le ou la référente doit être membre de ce conseil.")
    if not member.is_active:
        raise DomainError("Le ou la référente doit être un membre actif du conseil.")
    if current_referent == member.id:
        return DesignationPlan(designate=False)
    return DesignationPlan(designate=True, replaced_member_id=current_referent)


def check_withdrawal(current_referent: uuid.UUID | None, theme: str) -> uuid.UUID:
    if current_referent is None:
        raise DomainError(
            f"Ce conseil n'a pas de référent·e pour la thématique « {theme} ».", status_code=404
        )
    return current_referent


def referent_roles_lost_on_leave(
    member_id: uuid.UUID, active: Sequence[ReferentAssignment]
) -> list[ReferentAssignment]:
    """A member who leaves loses every referent role they held; each theme is then left without referent."""
    return [assignment for assignment in active if assignment.member_id == member_id]


# --------------------------------------------------------------------------- directory search

_PUNCTUATION = re.compile(r"[^0-9a-z]+")


def name_for_other_councillors(display_name: str | None, shown: bool) -> str | None:
    """What the councillors of the whole territory see of a member's name: it only where she
    chose to be shown (off by default), never her contact details."""
    return display_name if shown and display_name else None


def normalise_search(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Épinay-sur-Seine' -> 'epinay sur seine'.

    Stored in a search column so the same LIKE query is case- and
    accent-insensitive on SQLite and PostgreSQL alike.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_text = ascii_text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return " ".join(_PUNCTUATION.sub(" ", ascii_text).split())


def search_terms(query: str) -> list[str]:
    return normalise_search(query).split()


def themes_column(themes: Iterable[str]) -> str:
    """Themes as ' emploi sante ': a theme filter is a portable LIKE '% emploi %'."""
    return " " + " ".join(themes) + " " if themes else " "
