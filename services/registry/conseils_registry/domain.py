"""Rules of the registry, in plain Python (no I/O): councils, members,
contact cards, referents, the CSV import of members and directory search.

Every refusal is a `DomainError` with a French message shown to the user.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from conseils_runtime.errors import Conflict, DomainError
from conseils_runtime.spreadsheets import unsafe_text

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
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def council_id_for(territory_slug: str, council_slug: str) -> uuid.UUID:
    """The id of a council, the same everywhere: uuid5(territory slug + council slug)."""
    return uuid.uuid5(COUNCIL_NAMESPACE, f"{territory_slug}/{council_slug}")


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
    email: str
    phone: str | None
    language: str


def normalise_email(email: str) -> str:
    """A checked email address in lower case."""
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise DomainError(f"Adresse électronique invalide : « {email.strip()} ».")
    return address


def normalise_contact(display_name: str, email: str, phone: str | None, language: str | None) -> ContactCard:
    """A checked contact card (email in lower case); refuses what the event contract would refuse."""
    name = " ".join(display_name.split())
    if len(name) < 2:
        raise DomainError("Le nom affiché doit comporter au moins deux caractères.")
    if len(name) > 120:
        raise DomainError("Le nom affiché est trop long (120 caractères au plus).")
    address = normalise_email(email)
    number = (phone or "").strip() or None
    if number is not None and not _PHONE.fullmatch(number):
        raise DomainError(f"Numéro de téléphone invalide : « {number} ».")
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


# --------------------------------------------------------------------------- CSV import

CSV_COLUMNS: tuple[str, ...] = (
    "conseil",
    "nom",
    "email",
    "telephone",
    "langue",
    "college",
    "tirage_au_sort",
    "role",
    "date_entree",
    "thematiques",
    "consentement",
)
"""Columns of the members CSV (import and export), separated by `;` or `,`.

- conseil: council slug (e.g. saint-denis-franc-moisin) or id — required
- nom, email — required; telephone, langue (default fr) — optional
- college: habitants | acteurs_locaux (default habitants)
- tirage_au_sort: oui | non (default non; habitants only)
- role: membre | coordinateur (also member | coordinator; default membre)
- date_entree: AAAA-MM-JJ or JJ/MM/AAAA (default: today)
- thematiques: theme slugs separated by `|` (e.g. emploi|sante)
- consentement: oui | non — whether the person consented to be contacted (date = import time)
"""
REQUIRED_COLUMNS = ("conseil", "nom", "email")
_YES = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
_NO = {"non", "n", "no", "false", "faux", "0", ""}
_ROLES: dict[str, MemberRole] = {
    "": "member",
    "membre": "member",
    "member": "member",
    "coordinateur": "coordinator",
    "coordinatrice": "coordinator",
    "coordinator": "coordinator",
}


@dataclass(frozen=True)
class ImportedMember:
    line: int
    council_id: uuid.UUID
    contact: ContactCard
    college: College
    drawn_by_lot: bool
    role: MemberRole
    joined_on: date
    themes_followed: list[str]
    consent: bool


@dataclass
class ImportRow:
    line: int
    ok: bool
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[ImportRow]
    members: list[ImportedMember]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(row.ok for row in self.rows) and bool(self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    def summary_fr(self) -> str:
        if self.problems:
            return "Import refusé : " + " ; ".join(self.problems)
        if not self.rows:
            return "Import refusé : le fichier ne contient aucune ligne de membre."
        if self.ok:
            return f"{len(self.members)} membre(s) importé(s)."
        return (
            f"Import refusé : {self.error_count} ligne(s) en erreur sur {len(self.rows)} ; "
            "aucun membre n'a été enregistré. Corrigez le fichier et recommencez."
        )


def _parse_bool(value: str, column: str) -> bool:
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise DomainError(f"{column} : « {value} » n'est ni oui ni non")


def _parse_date(value: str, today: date) -> date:
    text = value.strip()
    if not text:
        return today
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"date_entree : « {text} » n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)") from None


def parse_members_csv(
    text: str,
    *,
    councils: Mapping[str, CouncilState],
    known_themes: Iterable[str],
    taken: Mapping[uuid.UUID, set[str]],
    today: date,
) -> ImportReport:
    """Check every row of a members CSV (see `_parse_members_csv`); a file the csv module cannot
    read at all (stray carriage returns, a field over the size limit) is refused in French."""
    try:
        return _parse_members_csv(
            text, councils=councils, known_themes=known_themes, taken=taken, today=today
        )
    except csv.Error as error:
        raise DomainError(
            f"Fichier CSV illisible : {error}. Enregistrez-le à nouveau au format CSV."
        ) from None


def _parse_members_csv(
    text: str,
    *,
    councils: Mapping[str, CouncilState],
    known_themes: Iterable[str],
    taken: Mapping[uuid.UUID, set[str]],
    today: date,
) -> ImportReport:
    """Check every row of a members CSV; nothing is imported unless every row is valid.

    `councils` maps slugs and ids (as text) to councils; `taken` maps a council id
    to the emails of its active members (an active member cannot join twice).
    """
    themes = list(known_themes)
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    unknown = [column for column in headers if column and column not in CSV_COLUMNS]
    report = ImportReport(rows=[], members=[])
    if not headers:
        report.problems.append("le fichier est vide")
        return report
    if missing:
        report.problems.append(f"colonne(s) obligatoire(s) manquante(s) : {', '.join(missing)}")
    if unknown:
        report.problems.append(
            f"colonne(s) inconnue(s) : {', '.join(unknown)} (colonnes possibles : {', '.join(CSV_COLUMNS)})"
        )
    if report.problems:
        return report
    reader.fieldnames = headers
    seen: dict[tuple[uuid.UUID, str], int] = {}
    for raw in reader:
        line = reader.line_num
        # A cell our own export protected with an apostrophe (spreadsheets.safe_text) reads back as typed.
        values = {key: unsafe_text((value or "").strip()) for key, value in raw.items() if key is not None}
        if not any(values.values()):
            continue
        row = ImportRow(line=line, ok=True)
        report.rows.append(row)
        if None in raw:
            row.messages.append("trop de valeurs sur la ligne (séparateur dans un champ ?)")
        member = _parse_row(values, row, councils=councils, themes=themes, today=today)
        if member is not None:
            key = (member.council_id, member.contact.email)
            if member.contact.email in taken.get(member.council_id, set()):
                row.messages.append(f"{member.contact.email} est déjà membre actif de ce conseil")
            elif key in seen:
                row.messages.append(f"{member.contact.email} figure déjà ligne {seen[key]} pour ce conseil")
            else:
                seen[key] = line
        if row.messages:
            row.ok = False
        elif member is not None:
            report.members.append(member)
    return report


def _parse_row(
    values: Mapping[str, str],
    row: ImportRow,
    *,
    councils: Mapping[str, CouncilState],
    themes: Sequence[str],
    today: date,
) -> ImportedMember | None:
    council = councils.get(values.get("conseil", "").lower()) or councils.get(values.get("conseil", ""))
    results: dict[str, object] = {}
    checks: dict[str, Callable[[], object]] = {
        "council": lambda: _council(council, values.get("conseil", "")),
        "contact": lambda: normalise_contact(
            values.get("nom", ""), values.get("email", ""), values.get("telephone"), values.get("langue")
        ),
        "college": lambda: values.get("college", "").lower() or "habitants",
        "drawn_by_lot": lambda: _parse_bool(values.get("tirage_au_sort", ""), "tirage_au_sort"),
        "role": lambda: _role(values.get("role", "")),
        "joined_on": lambda: _parse_date(values.get("date_entree", ""), today),
        "themes": lambda: check_themes(
            [part.strip().lower() for part in values.get("thematiques", "").split("|") if part.strip()],
            themes,
        ),
        "consent": lambda: _parse_bool(values.get("consentement", ""), "consentement"),
    }
    for name, check in checks.items():
        try:
            results[name] = check()
        except DomainError as error:
            row.messages.append(error.message)
    college, drawn_by_lot = results.get("college"), results.get("drawn_by_lot")
    if college is not None and drawn_by_lot is not None:
        try:
            check_college(str(college), bool(drawn_by_lot))
        except DomainError as error:
            row.messages.append(error.message)
    checked_council, joined_on = results.get("council"), results.get("joined_on")
    if isinstance(checked_council, CouncilState) and isinstance(joined_on, date):
        try:
            check_council_open(checked_council)
            check_joined_on(joined_on, today)
        except DomainError as error:
            row.messages.append(error.message)
    if row.messages:
        return None
    assert isinstance(checked_council, CouncilState)
    assert isinstance(joined_on, date)
    contact = results["contact"]
    assert isinstance(contact, ContactCard)
    role = results["role"]
    themes_followed = results["themes"]
    assert isinstance(themes_followed, list)
    return ImportedMember(
        line=row.line,
        council_id=checked_council.id,
        contact=contact,
        college="habitants" if college == "habitants" else "acteurs_locaux",
        drawn_by_lot=bool(drawn_by_lot),
        role="coordinator" if role == "coordinator" else "member",
        joined_on=joined_on,
        themes_followed=[str(theme) for theme in themes_followed],
        consent=bool(results["consent"]),
    )


def _council(council: CouncilState | None, reference: str) -> CouncilState:
    if not reference:
        raise DomainError("conseil : champ obligatoire manquant")
    if council is None:
        raise DomainError(f"conseil inconnu « {reference} »")
    return council


def _role(value: str) -> MemberRole:
    role = _ROLES.get(value.strip().lower())
    if role is None:
        raise DomainError(f"rôle inconnu « {value} » (membre ou coordinateur)")
    return role


def format_bool_fr(value: bool) -> str:
    return "oui" if value else "non"


# --------------------------------------------------------------------------- directory search

_PUNCTUATION = re.compile(r"[^0-9a-z]+")


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
