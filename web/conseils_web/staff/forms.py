"""The staff's forms read and checked: each gives the body for the service, or the errors to
show at the top of the form (field, French message)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from conseils_runtime.french import of_place
from conseils_web.clients.meetings import NewOutcome, Reschedule
from conseils_web.clients.staff_meetings import InstanceEdit, OtherAttendees
from conseils_web.context import SiteContext, parse_uuid

Errors = list[tuple[str, str]]

INSTANCE_FIELDS = (
    "instance_type",
    "title",
    "theme",
    "city_code",
    "council_id",
    "day",
    "start",
    "end",
    "location",
)
MOVE_FIELDS = ("day", "start", "end", "location")
OUTCOME_FIELDS = ("kind", "text", "made_by", "made_on", "council_id", "theme")


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: text(form, name) for name in names}


def moment(ctx: SiteContext, day: str, hour: str) -> datetime | None:
    try:
        local = datetime.combine(
            date.fromisoformat(day), time.fromisoformat(hour), tzinfo=ZoneInfo(ctx.timezone)
        )
    except ValueError:
        return None
    # In UTC: a SQLite-backed service keeps the wall time and drops the offset.
    return local.astimezone(UTC)


def instance_body(ctx: SiteContext, values: dict[str, str]) -> tuple[dict[str, Any], Errors]:
    """The meetings API body from the form, or the errors to show at the top of the form."""
    errors: Errors = []
    kinds = {kind.slug: kind for kind in ctx.territory.instance_types}
    kind = kinds.get(values["instance_type"])
    if kind is None:
        errors.append(("instance_type", "Choisissez le type d'instance."))
    if kind is not None and kind.scope == "theme" and not values["theme"]:
        errors.append(("theme", "Ce type d'instance demande une thématique."))
    if kind is not None and kind.scope == "city" and not values["city_code"]:
        errors.append(("city_code", "Ce type d'instance demande une ville."))
    if kind is not None and kind.scope == "council" and not parse_uuid(values["council_id"]):
        errors.append(("council_id", "Ce type d'instance demande un conseil."))
    starts_at = moment(ctx, values["day"], values["start"])
    ends_at = moment(ctx, values["day"], values["end"])
    if starts_at is None:
        errors.append(("day", "Indiquez la date et l'heure de début (JJ/MM/AAAA et HH:MM)."))
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        errors.append(("end", "L'heure de fin doit être après l'heure de début."))
    if len(values["location"]) < 2:
        errors.append(("location", "Indiquez le lieu (adresse ou salle)."))
    title = values["title"] or (default_title(ctx, kind.name, values) if kind else "")
    body: dict[str, Any] = {
        "instance_type": values["instance_type"],
        "title": title,
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "location": values["location"],
        "theme": values["theme"] or None,
        "city_code": values["city_code"] or None,
        "council_id": values["council_id"] or None,
    }
    return body, errors


def default_title(ctx: SiteContext, kind_name: str, values: dict[str, str]) -> str:
    """An instance's name when staff leave the title empty: its type, its city (« de Saint-Denis »,
    « d'Aubervilliers ») and its theme, as the agenda and the emails show it."""
    title = kind_name
    if values.get("city_code"):
        title += " " + of_place(ctx.city_name(values["city_code"]))
    if values.get("theme"):
        title += " — " + ctx.theme_name(values["theme"])
    return title


def move_body(ctx: SiteContext, values: dict[str, str]) -> tuple[Reschedule | None, Errors]:
    """The new date and times (and place, when given) of an instance being moved."""
    starts_at = moment(ctx, values["day"], values["start"])
    ends_at = moment(ctx, values["day"], values["end"])
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        return None, [("day", "Indiquez une date, une heure de début et une heure de fin après le début.")]
    if len(values["location"]) >= 2:
        return Reschedule(starts_at=starts_at, ends_at=ends_at, location=values["location"]), []
    return Reschedule(starts_at=starts_at, ends_at=ends_at), []


def outcome_body(values: dict[str, str]) -> tuple[NewOutcome | None, Errors]:
    """A council's proposal or an elected person's commitment, as the staff records it."""
    errors: Errors = []
    if values["kind"] not in {"proposal", "commitment"}:
        errors.append(("kind", "Choisissez : proposition d'un conseil ou engagement d'un·e élu·e."))
    if len(values["text"]) < 2:
        errors.append(("text", "Décrivez la proposition ou l'engagement."))
    if len(values["made_by"]) < 2:
        errors.append(("made_by", "Indiquez qui propose ou qui s'engage."))
    try:
        made_on = date.fromisoformat(values["made_on"])
    except ValueError:
        errors.append(("made_on", "Indiquez la date (JJ/MM/AAAA)."))
    if errors:
        return None, errors
    return NewOutcome(
        kind=values["kind"],
        text=values["text"],
        made_by=values["made_by"],
        made_on=made_on,
        council_id=values["council_id"] or None,
        theme=values["theme"] or None,
    ), []


def in_the_past(ctx: SiteContext, body: dict[str, Any]) -> Errors:
    """A date already gone: said next to the date field (the service refuses it too)."""
    starts = body.get("starts_at")
    if starts and datetime.fromisoformat(starts) <= ctx.clock():
        return [
            ("day", "On ne peut pas programmer une instance dans le passé : choisissez une date à venir.")
        ]
    return []


def field_of(detail: str, default: str = "instance_type") -> str:
    """The form field a service's refusal is about (its French message), for the error to sit there."""
    lowered = detail.lower()
    if "passé" in lowered or "date" in lowered or "début" in lowered:
        return "day"
    if "fin de l'instance" in lowered:
        return "end"
    if "thématique" in lowered or "theme" in lowered:
        return "theme"
    if "lieu" in lowered:
        return "location"
    return default


EDIT_FIELDS = ("title", "theme", "description", "location")


def edit_body(values: dict[str, str], *, draft: bool) -> tuple[InstanceEdit | None, Errors]:
    """Title, theme, description (and a draft's place) as typed; "" theme or description clears."""
    errors: Errors = []
    if len(values["title"]) < 2:
        errors.append(("title", "Indiquez l'intitulé (2 caractères au moins)."))
    if draft and len(values["location"]) < 2:
        errors.append(("location", "Indiquez le lieu (adresse ou salle)."))
    if errors:
        return None, errors
    edit = InstanceEdit(title=values["title"], theme=values["theme"], description=values["description"])
    if draft:
        edit = edit.model_copy(update={"location": values["location"]})
    return edit, []


OTHER_CATEGORIES = {
    "elected": "Élu·es",
    "city": "Agents de la ville",
    "territory": "Agents du territoire",
    "state": "Agents de l'État",
    "partner": "Partenaires",
    "other": "Autres",
}
OTHER_ROWS = 3  # blank lines offered under those already recorded


def others_body(form: FormData) -> tuple[list[OtherAttendees], list[dict[str, str]], Errors]:
    """The other participants' lines (category, organisation, role, count); a blank line is skipped."""
    rows: list[dict[str, str]] = []
    others: list[OtherAttendees] = []
    errors: Errors = []
    index = 0
    while f"autre-{index}-categorie" in form:
        row = {
            name: text(form, f"autre-{index}-{name}") for name in ("categorie", "organisation", "fonction")
        }
        row["nombre"] = text(form, f"autre-{index}-nombre")
        rows.append(row)
        if row["organisation"] or row["fonction"]:
            found = _other_errors(index, row)
            errors.extend(found)
            if not found:
                others.append(
                    OtherAttendees(
                        category=row["categorie"],
                        organisation=row["organisation"],
                        role=row["fonction"],
                        count=int(row["nombre"] or "1"),
                    )
                )
        index += 1
    return others, rows, errors


def _other_errors(index: int, row: dict[str, str]) -> Errors:
    errors: Errors = []
    line = f"Autre participant·e, ligne {index + 1}"
    if row["categorie"] not in OTHER_CATEGORIES:
        errors.append((f"autre-{index}-categorie", f"{line} : choisissez la catégorie."))
    if len(row["organisation"]) < 2:
        errors.append((f"autre-{index}-organisation", f"{line} : indiquez l'organisation."))
    if len(row["fonction"]) < 2:
        errors.append((f"autre-{index}-fonction", f"{line} : indiquez la fonction."))
    if not (row["nombre"] == "" or (row["nombre"].isdigit() and 1 <= int(row["nombre"]) <= 500)):
        errors.append((f"autre-{index}-nombre", f"{line} : indiquez un nombre de personnes (1 à 500)."))
    return errors


def present_label(count: int) -> str:
    """« 1 présent·e », « 3 présent·es », « aucun·e présent·e »."""
    if count == 0:
        return "aucun·e présent·e"
    return f"{count} présent·e" if count == 1 else f"{count} présent·es"
