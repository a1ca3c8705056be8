"""Pages of the territory's community, for every signed-in person: the outcomes (the forum's
proposals and the elected officials' commitments, their status history, the instance they came
from; the « tableau de synthèse des propositions » as a page and as CSV and ODS files), the councils of
the whole territory (referents per theme, vacant themes, names only of those who chose to be
shown, and a councillor's own choice), and the directory of partners, schemes and places."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.spreadsheets import safe_text
from conseils_web import frenchdates
from conseils_web.clients import Caller
from conseils_web.clients.meetings import Outcome
from conseils_web.clients.registry import CouncilOverview, DirectoryEntry
from conseils_web.context import SiteContext, redirect, render, site, user_token
from conseils_web.labels import (
    DIRECTORY_ENTRY_SECTIONS,
    DIRECTORY_SECTION_LABELS,
    OUTCOME_KIND_FEMININE,
    OUTCOME_KIND_LABELS,
    OUTCOME_KIND_PLURAL_LABELS,
    OUTCOME_STATUS_AGREED_LABELS,
    OUTCOME_STATUS_LABELS,
    PARTNER_KIND_LABELS,
)
from conseils_web.ods import ODS_MEDIA_TYPE, ods_bytes
from conseils_web.security import COUNCILLOR_ROLES, STAFF_ROLES, checked_form, require
from conseils_web.services import ApiError

router = APIRouter()

OUTCOMES_PAGE = "/propositions-et-engagements"
SYNTHESIS_CSV = f"{OUTCOMES_PAGE}/tableau-de-synthese.csv"
SYNTHESIS_ODS = f"{OUTCOMES_PAGE}/tableau-de-synthese.ods"
COUNCILS_PAGE = "/conseils"
DIRECTORY_PAGE = "/annuaire"


def _signed_in(request: Request) -> None:
    require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)


count_fr = frenchdates.count_fr  # « 0 fiche », « 2 fiches »: also `count` in every template


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Step:
    day: str  # « mardi 15 octobre 2026 »
    status: str  # its French label
    note: str


@dataclass(frozen=True)
class OutcomeView:
    """One proposal or commitment as the pages and the CSV show it: words, never codes."""

    id: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    text: str
    made_by: str
    made_on: str
    council: str | None
    theme: str | None
    instance_id: str | None
    instance: str | None
    instance_day: str | None
    history: list[Step] = field(default_factory=list)


def status_summary(kind: str, outcomes: list[OutcomeView]) -> str:
    """« 3 propositions : 1 proposée, 2 réalisées » (what a council reads first)."""
    singular, plural = OUTCOME_KIND_PLURAL_LABELS[kind]
    mine = [o for o in outcomes if o.kind == kind]
    feminine = kind in OUTCOME_KIND_FEMININE
    parts = []
    for status, forms in OUTCOME_STATUS_AGREED_LABELS.items():
        number = sum(1 for o in mine if o.status == status)
        if number:
            word = forms[(2 if feminine else 0) + (1 if number > 1 else 0)]
            parts.append(f"{number} {word}")
    head = count_fr(len(mine), singular, plural)
    return f"{head} : {', '.join(parts)}" if parts else head


async def _outcome_views(ctx: SiteContext, token: Caller) -> list[OutcomeView]:
    outcomes, councils = await asyncio.gather(ctx.meetings.outcomes(token), ctx.registry.councils(token))
    names = {council.id: council.name for council in councils}
    instance_ids = sorted({o.instance_id for o in outcomes if o.instance_id is not None}, key=str)
    found = await asyncio.gather(
        *(ctx.meetings.instance(token, instance_id) for instance_id in instance_ids), return_exceptions=True
    )
    instances = {}
    for instance_id, instance in zip(instance_ids, found, strict=True):
        if isinstance(instance, ApiError) and instance.status_code < 500:
            continue  # gone or not visible: the outcome is shown without it
        if isinstance(instance, BaseException):
            raise instance
        instances[instance_id] = (instance.title, ctx.day(instance.starts_at))
    return [_outcome_view(ctx, outcome, names, instances) for outcome in outcomes]


def _outcome_view(
    ctx: SiteContext,
    outcome: Outcome,
    council_names: dict[uuid.UUID, str],
    instances: dict[uuid.UUID, tuple[str, str]],
) -> OutcomeView:
    instance = instances.get(outcome.instance_id) if outcome.instance_id else None
    return OutcomeView(
        id=str(outcome.id),
        kind=outcome.kind,
        kind_label=OUTCOME_KIND_LABELS.get(outcome.kind, "Proposition"),
        status=outcome.status,
        status_label=OUTCOME_STATUS_LABELS.get(outcome.status, "statut inconnu"),
        text=outcome.text,
        made_by=outcome.made_by,
        made_on=frenchdates.day_fr(outcome.made_on),
        council=council_names.get(outcome.council_id) if outcome.council_id else None,
        theme=ctx.theme_name(outcome.theme) if outcome.theme else None,
        instance_id=str(outcome.instance_id) if instance else None,
        instance=instance[0] if instance else None,
        instance_day=instance[1] if instance else None,
        history=[
            Step(
                day=ctx.day(step.at) if step.at else "date inconnue",
                status=OUTCOME_STATUS_LABELS.get(step.status, "statut inconnu"),
                note=step.note,
            )
            for step in outcome.history
        ],
    )


@router.get(OUTCOMES_PAGE, response_class=HTMLResponse)
async def outcomes_page(request: Request, nature: str = "", statut: str = "") -> HTMLResponse:
    _signed_in(request)
    views = await _outcome_views(site(request), user_token(request))
    shown = [
        view
        for view in views
        if (nature not in OUTCOME_KIND_LABELS or view.kind == nature)
        and (statut not in OUTCOME_STATUS_LABELS or view.status == statut)
    ]
    return render(
        request,
        "propositions.html",
        title="Propositions et engagements",
        active="propositions",
        proposals=[view for view in shown if view.kind == "proposal"],
        commitments=[view for view in shown if view.kind == "commitment"],
        summaries=[status_summary(kind, views) for kind in OUTCOME_KIND_PLURAL_LABELS],
        filtered=len(shown) != len(views),
        nature=nature if nature in OUTCOME_KIND_LABELS else "",
        statut=statut if statut in OUTCOME_STATUS_LABELS else "",
        kinds=OUTCOME_KIND_LABELS,
        statuses=OUTCOME_STATUS_LABELS,
        csv_url=SYNTHESIS_CSV,
        ods_url=SYNTHESIS_ODS,
    )


SYNTHESIS_COLUMNS = [
    "Nature",
    "Texte",
    "Proposé par ou engagé par",
    "Date",
    "Conseil",
    "Thématique",
    "Instance d'origine",
    "Date de l'instance",
    "Statut",
    "Historique",
]


def _cell(value: str | None) -> str:
    """A spreadsheet never runs a cell: a formula's first character is neutralised."""
    return safe_text(frenchdates.plain(value or ""))  # ordinary spaces in a spreadsheet


def synthesis_rows(views: list[OutcomeView]) -> list[list[str]]:
    """The « tableau de synthèse des propositions » (commitments after): French dates and
    words, one row per proposal or commitment, in the service's order otherwise."""
    ordered = sorted(views, key=lambda view: view.kind != "proposal")
    return [
        [
            frenchdates.plain(value or "")
            for value in (
                view.kind_label,
                view.text,
                view.made_by,
                view.made_on,
                view.council,
                view.theme,
                view.instance,
                view.instance_day,
                view.status_label,
                " | ".join(f"{step.day} : {step.status} — {step.note}" for step in view.history),
            )
        ]
        for view in ordered
    ]


def synthesis_csv(views: list[OutcomeView]) -> str:
    """The synthesis table for a spreadsheet: semicolons, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(SYNTHESIS_COLUMNS)
    writer.writerows([_cell(value) for value in row] for row in synthesis_rows(views))
    return out.getvalue()


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get(SYNTHESIS_CSV)
async def synthesis_download(request: Request) -> Response:
    _signed_in(request)
    views = await _outcome_views(site(request), user_token(request))
    return _download(
        ("\ufeff" + synthesis_csv(views)).encode("utf-8"),  # the BOM: spreadsheets read UTF-8
        "text/csv; charset=utf-8",
        "tableau-de-synthese-des-propositions.csv",
    )


@router.get(SYNTHESIS_ODS)
async def synthesis_download_ods(request: Request) -> Response:
    """The same table as an OpenDocument spreadsheet (opens as is in LibreOffice)."""
    _signed_in(request)
    views = await _outcome_views(site(request), user_token(request))
    return _download(
        ods_bytes("Synthèse des propositions", SYNTHESIS_COLUMNS, synthesis_rows(views)),
        ODS_MEDIA_TYPE,
        "tableau-de-synthese-des-propositions.ods",
    )


# --------------------------------------------------------------------------- councils


@dataclass(frozen=True)
class CouncilView:
    id: str
    name: str
    neighbourhood: str
    members: str  # « 3 membres »
    referents: list[tuple[str, str]]  # (theme's name, her name or « nom non communiqué »)
    vacant: list[str]  # themes' names
    names: list[str]
    mine: bool


@dataclass(frozen=True)
class CityView:
    code: str
    name: str
    councils: list[CouncilView]


def council_cities(
    ctx: SiteContext, overview: list[CouncilOverview], my_council: uuid.UUID | None
) -> list[CityView]:
    """The councils by city (the territory file's order), each in French words."""
    by_city: dict[str, list[CouncilView]] = {}
    for item in overview:
        council = item.council
        by_city.setdefault(council.city_code, []).append(
            CouncilView(
                id=str(council.id),
                name=council.name,
                neighbourhood=council.neighbourhood,
                members=count_fr(item.members, "membre", "membres"),
                referents=[(ctx.theme_name(r.theme), r.name or "nom non communiqué") for r in item.referents],
                vacant=[ctx.theme_name(theme) for theme in item.vacant_themes],
                names=item.names_shown,
                mine=council.id == my_council,
            )
        )
    return [
        CityView(code=city.code, name=city.name, councils=by_city[city.code])
        for city in ctx.territory.cities
        if city.code in by_city
    ]


@router.get(COUNCILS_PAGE, response_class=HTMLResponse)
async def councils_page(request: Request, ville: str = "") -> HTMLResponse:
    principal = require(request, *COUNCILLOR_ROLES, *STAFF_ROLES)
    ctx, token = site(request), user_token(request)
    councillor = principal.role in COUNCILLOR_ROLES and principal.member_id is not None
    if councillor:
        overview, me = await asyncio.gather(
            ctx.registry.councils_overview(token), ctx.registry.member(token, principal.member_id)
        )
        shown: bool | None = me.shown_to_councillors
    else:
        overview, shown = await ctx.registry.councils_overview(token), None
    cities = council_cities(ctx, overview, principal.council_id)
    vacant = sum(len(council.vacant) for city in cities for council in city.councils)
    return render(
        request,
        "conseils.html",
        title=f"{ctx.territory.body.menu} du territoire",
        active="conseils",
        all_cities=cities,
        cities=[city for city in cities if not ville or city.code == ville],
        ville=ville,
        shown=shown,
        summary=(
            f"{count_fr(sum(len(city.councils) for city in cities), 'conseil', 'conseils')} "
            f"dans {count_fr(len(cities), 'ville', 'villes')}, "
            f"{count_fr(vacant, 'thématique', 'thématiques')} sans référent·e"
        ),
    )


@router.post(f"{COUNCILS_PAGE}/mon-nom")
async def choose_name_shown(request: Request) -> Response:
    principal = require(request, *COUNCILLOR_ROLES)
    form = await checked_form(request)
    shown = form.get("montrer") == "oui"
    try:
        await site(request).registry.show_to_councillors(user_token(request), principal.member_id, shown)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, COUNCILS_PAGE, error.detail)
    message = (
        "Votre nom est désormais montré aux conseillers des autres conseils (jamais vos coordonnées)."
        if shown
        else "Votre nom n'est plus montré aux conseillers des autres conseils."
    )
    return redirect(request, COUNCILS_PAGE, message)


# --------------------------------------------------------------------------- directory


@dataclass(frozen=True)
class EntryView:
    id: str
    name: str
    kind: str | None
    themes: list[str]
    city: str | None
    address: str | None
    contact_role: str | None
    contact_email: str | None
    url: str | None
    description: str


@dataclass(frozen=True)
class SectionView:
    slug: str
    title: str
    entries: list[EntryView]


def directory_sections(ctx: SiteContext, entries: list[DirectoryEntry]) -> list[SectionView]:
    by_section: dict[str, list[EntryView]] = {}
    for entry in entries:
        section = DIRECTORY_ENTRY_SECTIONS.get(entry.entry_type)
        if section is None:
            continue
        by_section.setdefault(section, []).append(
            EntryView(
                id=str(entry.id),
                name=entry.name,
                kind=PARTNER_KIND_LABELS.get(entry.kind) if entry.kind else None,
                themes=[ctx.theme_name(theme) for theme in entry.themes],
                city=ctx.city_name(entry.city_code) if entry.city_code else None,
                address=entry.address,
                contact_role=entry.contact_role,
                contact_email=entry.contact_email,
                url=entry.url if entry.url and entry.url.startswith(("https://", "http://")) else None,
                description=entry.description,
            )
        )
    return [
        SectionView(slug=slug, title=title, entries=by_section[slug])
        for slug, title in DIRECTORY_SECTION_LABELS.items()
        if slug in by_section
    ]


@router.get(DIRECTORY_PAGE, response_class=HTMLResponse)
async def directory_page(
    request: Request, q: str = "", rubrique: str = "", thematique: str = ""
) -> HTMLResponse:
    _signed_in(request)
    ctx = site(request)
    query = q.strip()[:200]
    section = rubrique if rubrique in DIRECTORY_SECTION_LABELS else ""
    theme = thematique if thematique in {t.slug for t in ctx.territory.themes} else ""
    entries = await ctx.registry.directory(
        user_token(request), query=query, theme=theme or None, section=section or None
    )
    searched = bool(query or section or theme)
    return render(
        request,
        "annuaire.html",
        title="Annuaire du territoire",
        active="annuaire",
        sections=directory_sections(ctx, entries),
        found=count_fr(len(entries), "fiche trouvée", "fiches trouvées")
        if searched
        else count_fr(len(entries), "fiche", "fiches"),
        searched=searched,
        q=query,
        rubrique=section,
        thematique=theme,
        section_labels=DIRECTORY_SECTION_LABELS,
        themes=ctx.territory.themes,
    )
