"""The staff's forms read and checked: each gives the body for the service, or the errors to
show at the top of the form (field, French message)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from conseils_web.clients.meetings import NewOutcome, Reschedule
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
    title = values["title"] or (
        f"{kind.name}{' — ' + ctx.theme_name(values['theme']) if values['theme'] else ''}" if kind else ""
    )
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
