"""The members CSV, in plain Python (no I/O): reading an import file row by row
(all or nothing) and writing the export in the same columns.

Every refusal is a French message in the import report; a file the csv module
cannot read at all is a `DomainError`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from conseils_registry.domain import (
    College,
    ContactCard,
    CouncilState,
    MemberRole,
    check_college,
    check_council_open,
    check_joined_on,
    check_themes,
    normalise_contact,
)
from conseils_registry.members_labels import Labels, college_code
from conseils_registry.records import CouncilRecord, MemberRecord
from conseils_runtime.errors import DomainError
from conseils_runtime.spreadsheets import SafeWriter, unsafe_text

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
- nom — required; email, telephone — at least one of the two on each row (a person without
  email is reached by SMS and cannot sign in on the site, which emails a link); telephone:
  06 39 98 00 00 or +33 6 39 98 00 00; langue (default fr) — optional
- college: habitants | acteurs_locaux (default habitants)
- tirage_au_sort: oui | non (default non; habitants only)
- role: membre | coordinateur (also member | coordinator; default membre)
- date_entree: AAAA-MM-JJ or JJ/MM/AAAA (default: today)
- thematiques: theme slugs separated by `|` (e.g. emploi|sante)
- consentement: oui | non — whether the person consented to be contacted (date = import time)
"""
IMPORT_COLUMNS: tuple[str, ...] = (*CSV_COLUMNS, "ville")
"""The import also takes `ville` (the council's city, by name or INSEE code: a council is then
found by its name in that city; see `members_labels`)."""
REQUIRED_COLUMNS = ("conseil", "nom")
REACH_COLUMNS = ("email", "telephone")
"""At least one of these columns (and, on each row, one of the two filled in)."""
EXAMPLE_DOMAIN = "@exemple.invalid"
"""The addresses of the template's example rows: an import refuses them (left in by mistake)."""
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
    name: str = ""
    council: str = ""


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
    labels: Labels | None = None,
) -> ImportReport:
    """Check every row of a members CSV (see `_parse_members_csv`); a file the csv module cannot
    read at all (stray carriage returns, a field over the size limit) is refused in French.
    With `labels`, councils, colleges and themes are also found by the words people use."""
    try:
        return _parse_members_csv(
            text, councils=councils, known_themes=known_themes, taken=taken, today=today, labels=labels
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
    labels: Labels | None = None,
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
    unknown = [column for column in headers if column and column not in IMPORT_COLUMNS]
    report = ImportReport(rows=[], members=[])
    if not headers:
        report.problems.append("le fichier est vide")
        return report
    if missing:
        report.problems.append(f"colonne(s) obligatoire(s) manquante(s) : {', '.join(missing)}")
    if not any(column in headers for column in REACH_COLUMNS):
        report.problems.append("colonne manquante : email ou telephone (l'une des deux au moins)")
    if unknown:
        report.problems.append(
            f"colonne(s) inconnue(s) : {', '.join(unknown)} "
            f"(colonnes possibles : {', '.join(IMPORT_COLUMNS)})"
        )
    if report.problems:
        return report
    reader.fieldnames = headers
    seen: dict[tuple[uuid.UUID, str], int] = {}  # (council, email): a phone-only row has no key
    for raw in reader:
        line = reader.line_num
        # A cell our own export protected with an apostrophe (spreadsheets.safe_text) reads back as typed.
        values = {key: unsafe_text((value or "").strip()) for key, value in raw.items() if key is not None}
        if not any(values.values()):
            continue
        row = ImportRow(line=line, ok=True, name=values.get("nom", ""))
        report.rows.append(row)
        if None in raw:
            row.messages.append("trop de valeurs sur la ligne (séparateur dans un champ ?)")
        member = _parse_row(values, row, councils=councils, themes=themes, today=today, labels=labels)
        if member is not None and member.contact.email:
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
    labels: Labels | None = None,
) -> ImportedMember | None:
    reference = values.get("conseil", "")
    council = councils.get(reference.lower()) or councils.get(reference)
    theme_cell = values.get("thematiques", "")
    results: dict[str, object] = {}
    checks: dict[str, Callable[[], object]] = {
        "council": lambda: (
            labels.council(reference, values.get("ville", ""))
            if labels is not None and council is None
            else _council(council, reference)
        ),
        "contact": lambda: normalise_contact(
            values.get("nom", ""), values.get("email", ""), values.get("telephone"), values.get("langue")
        ),
        "college": lambda: college_code(values.get("college", "")),
        "drawn_by_lot": lambda: _parse_bool(values.get("tirage_au_sort", ""), "tirage_au_sort"),
        "role": lambda: _role(values.get("role", "")),
        "joined_on": lambda: _parse_date(values.get("date_entree", ""), today),
        "themes": lambda: check_themes(
            labels.theme_slugs(theme_cell)
            if labels is not None
            else [part.strip().lower() for part in theme_cell.split("|") if part.strip()],
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
    contact = results.get("contact")
    if isinstance(contact, ContactCard) and (contact.email or "").endswith(EXAMPLE_DOMAIN):
        row.messages.append("ligne d'exemple du modèle : remplacez-la par un membre ou supprimez-la")
    if row.messages:
        return None
    assert isinstance(checked_council, CouncilState)
    assert isinstance(joined_on, date)
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


def render_members_csv(members: Iterable[MemberRecord], council_slugs: Mapping[uuid.UUID, str]) -> str:
    """The export: the import's columns plus id and date_sortie; erased people are left out."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";", lineterminator="\r\n")  # no formula runs on open
    writer.writerow([*CSV_COLUMNS, "id", "date_sortie"])
    for member in members:
        if member.erased_at is not None:
            continue
        writer.writerow(
            [
                council_slugs.get(member.council_id, str(member.council_id)),
                member.display_name or "",
                member.email or "",
                member.phone or "",
                member.language or "fr",
                member.college,
                format_bool_fr(member.drawn_by_lot),
                "coordinateur" if member.role == "coordinator" else "membre",
                member.joined_on.isoformat(),
                "|".join(member.themes_followed),
                format_bool_fr(member.consent_given_at is not None),
                str(member.id),
                member.left_on.isoformat() if member.left_on else "",
            ]
        )
    return "\ufeff" + buffer.getvalue()  # BOM: spreadsheet software then reads UTF-8 correctly


TEMPLATE_COLUMNS: tuple[str, ...] = (
    "ville",
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


def render_template_csv(councils: Sequence[CouncilRecord], theme_names: Sequence[str], today: date) -> str:
    """The import template, in the words people know: the city and the council by their names,
    « habitants » / « acteurs locaux », themes by their names; two example rows to replace
    (their addresses end in `EXAMPLE_DOMAIN`: an import refuses them if left in)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    first = councils[0] if councils else None
    city, name = (first.city, first.name) if first else ("", "")
    themes = "|".join(theme_names[:2])
    day = today.strftime("%d/%m/%Y")
    resident = ("Prénom Nom", "prenom.nom" + EXAMPLE_DOMAIN, "", "fr", "habitants", "oui", "membre")
    local = ("Association", f"contact{EXAMPLE_DOMAIN}", "", "fr", "acteurs locaux", "non", "membre")
    writer.writerow([city, name, *resident, day, themes, "oui"])
    writer.writerow([city, name, *local, day, "", "non"])
    return "\ufeff" + buffer.getvalue()
