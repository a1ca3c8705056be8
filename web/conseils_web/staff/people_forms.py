"""The staff's forms about people and councils, read and checked: a member (contact card,
college, role, themes), her departure or move, a council. Each gives the body for the
registry, or the errors to show next to their fields (field, French message)."""

from __future__ import annotations

import re
from datetime import date

from starlette.datastructures import FormData

from conseils_web.clients.staff_registry import CouncilChange, MemberChange, NewCouncil, NewMember
from conseils_web.context import SiteContext, parse_uuid
from conseils_web.staff.forms import Errors, text

MEMBER_FIELDS = ("council_id", "display_name", "email", "phone", "college", "role")
COUNCIL_FIELDS = ("name", "slug", "neighbourhood_code")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def member_values(form: FormData) -> dict[str, object]:
    values: dict[str, object] = {name: text(form, name) for name in MEMBER_FIELDS}
    values["drawn_by_lot"] = form.get("drawn_by_lot") == "oui"
    values["consent"] = form.get("consent") == "oui"
    values["themes_followed"] = [str(theme) for theme in form.getlist("themes_followed")]
    return values


def _contact_errors(values: dict[str, object]) -> Errors:
    errors: Errors = []
    if len(str(values["display_name"])) < 2:
        errors.append(("display_name", "Indiquez le nom (2 caractères au moins)."))
    if not _EMAIL.match(str(values["email"])):
        errors.append(("email", "Indiquez une adresse électronique valide (par exemple nom@exemple.fr)."))
    return errors


def _membership_errors(ctx: SiteContext, values: dict[str, object]) -> Errors:
    errors: Errors = []
    if values["college"] not in {"habitants", "acteurs_locaux"}:
        errors.append(("college", "Choisissez le collège : habitants ou acteurs locaux."))
    elif values["drawn_by_lot"] and values["college"] != "habitants":
        errors.append(("college", "Seuls les membres du collège des habitants sont tirés au sort."))
    if values["role"] not in {"member", "coordinator"}:
        errors.append(("role", "Choisissez le rôle."))
    known = {theme.slug for theme in ctx.territory.themes}
    if any(theme not in known for theme in values["themes_followed"]):  # type: ignore[attr-defined]
        errors.append(("themes_followed", "Thématique inconnue."))
    return errors


def new_member(ctx: SiteContext, values: dict[str, object]) -> tuple[NewMember | None, Errors]:
    errors: Errors = []
    if parse_uuid(str(values["council_id"])) is None:
        errors.append(("council_id", "Choisissez le conseil."))
    errors += _contact_errors(values) + _membership_errors(ctx, values)
    if errors:
        return None, errors
    return NewMember(
        council_id=str(values["council_id"]),
        display_name=str(values["display_name"]),
        email=str(values["email"]),
        phone=str(values["phone"]) or None,
        consent=bool(values["consent"]),
        college=str(values["college"]),
        drawn_by_lot=bool(values["drawn_by_lot"]),
        role=str(values["role"]),
        themes_followed=list(values["themes_followed"]),  # type: ignore[call-overload]
    ), []


def member_change(ctx: SiteContext, values: dict[str, object]) -> tuple[MemberChange | None, Errors]:
    """Her college, role and themes (her contact card is checked by `contact_errors`)."""
    errors = _contact_errors(values) + _membership_errors(ctx, values)
    if errors:
        return None, errors
    return MemberChange(
        college=str(values["college"]),
        drawn_by_lot=bool(values["drawn_by_lot"]),
        role=str(values["role"]),
        themes_followed=list(values["themes_followed"]),  # type: ignore[call-overload]
    ), []


def day(form: FormData, name: str) -> tuple[date | None, Errors]:
    """An optional day (today when blank)."""
    value = text(form, name)
    if not value:
        return None, []
    try:
        return date.fromisoformat(value), []
    except ValueError:
        return None, [(name, "Indiquez une date valide (JJ/MM/AAAA).")]


def council_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in COUNCIL_FIELDS}


def _neighbourhoods(ctx: SiteContext) -> set[str]:
    return {n.code for city in ctx.territory.cities for n in city.neighbourhoods}


def new_council(ctx: SiteContext, values: dict[str, str]) -> tuple[NewCouncil | None, Errors]:
    errors: Errors = []
    if len(values["name"]) < 3:
        errors.append(("name", "Indiquez le nom du conseil (3 caractères au moins)."))
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", values["slug"]):
        errors.append(("slug", "Identifiant court : minuscules, chiffres, tirets (ex. saint-denis-centre)."))
    if values["neighbourhood_code"] not in _neighbourhoods(ctx):
        errors.append(("neighbourhood_code", "Choisissez le quartier."))
    if errors:
        return None, errors
    return NewCouncil(**values), []


def council_change(ctx: SiteContext, values: dict[str, str]) -> tuple[CouncilChange | None, Errors]:
    errors: Errors = []
    if len(values["name"]) < 3:
        errors.append(("name", "Indiquez le nom du conseil (3 caractères au moins)."))
    if values["neighbourhood_code"] not in _neighbourhoods(ctx):
        errors.append(("neighbourhood_code", "Choisissez le quartier."))
    if errors:
        return None, errors
    return CouncilChange(name=values["name"], neighbourhood_code=values["neighbourhood_code"]), []
