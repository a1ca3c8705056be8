"""The territory file: one YAML document drives a whole deployment.

It names the territory (topic and consumer-group prefix), its cities,
neighbourhoods and councils, the themes of its contrat de ville, the
instance types with their policies, mail and notification settings, and the
staff accounts. The registry seeds from it, the meetings service reads the
policies, the notifications service the mail settings.

A malformed file is refused with the line and the reason, in French.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from conseils_runtime.territory_attending import ClaimsSettings, NeedsSettings
from conseils_runtime.territory_bodies import ParticipationBody
from conseils_runtime.territory_staff import resolve_cities

_SLUG = r"^[a-z0-9][a-z0-9-]*$"


class TerritoryFileError(ValueError):
    """A territory file that cannot be used, with where and why."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path} : " + " ; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Theme(_Strict):
    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=2)


class Neighbourhood(_Strict):
    code: str = Field(min_length=2, description="Code QPV, e.g. QN09301M")
    name: str


class City(_Strict):
    code: str = Field(pattern=r"^\d[0-9AB]\d{3}$", description="Code INSEE")
    name: str
    neighbourhoods: list[Neighbourhood] = []


class Council(_Strict):
    slug: str = Field(pattern=_SLUG)
    name: str
    city: str = Field(description="Code INSEE of its city")
    neighbourhood: str = Field(description="Code of its neighbourhood")


class EveningRule(_Strict):
    weekday_earliest_start: time = time(18, 0)
    saturday_allowed: bool = True
    sunday_allowed: bool = False


class InstanceType(_Strict):
    slug: str = Field(pattern=_SLUG)
    name: str
    political: bool
    scope: Literal["territory", "city", "theme", "council"]
    evening_rule: EveningRule | None = None
    min_notice_days: int = Field(default=21, ge=0, le=365)
    dossier_notice_days: int = Field(default=10, ge=0, le=365)
    participant_seats_per_council: int | None = Field(default=2, ge=0)
    capacity: int | None = Field(default=None, ge=1)
    observers_allowed: bool = True
    on_breach: Literal["warn", "refuse"] = "warn"
    registration_closes_hours: int = Field(default=24, ge=0, le=24 * 30)
    opinions: bool = Field(default=False, description="Projects submitted for the councils' opinions")
    opinion_deadline_days: int = Field(default=3, ge=0, le=365, description="Opinions due N days before")


Scenario = Literal["referent_par_thematique", "vivier_ouvert", "rotation"]
"""How a council is represented at an instance: by its referent for the instance's theme
(référent par thématique), by whoever of its members registers first (vivier ouvert), or by
the member whose turn it is on the council's rota (rotation, tour de rôle)."""
DEFAULT_SCENARIO: Scenario = "referent_par_thematique"


class ParticipationPeriod(_Strict):
    """A participation scenario in force from `since` (a date of the territory; none: from the start)."""

    scenario: Scenario
    since: date | None = None


class StaffAccount(_Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str
    organisation: str
    kind: Literal["territory", "city", "state"]
    role: Literal["staff", "operator"] = "staff"
    cities: list[str] = []  # city and State agents: the cities whose alerts she gets (territory_staff.py)


class MailSettings(_Strict):
    sender: str
    public_base_url: str = "http://127.0.0.1:8000"


Weekday = Literal["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


class SmsSection(_Strict):
    """`notifications.sms`: the sender and the quiet hours (no SMS sent then: held, not dropped).
    Read by the notifications service (`sms_settings.territory_sms_rules`)."""

    sender: str = Field(default="Conseils", max_length=11)
    quiet_from: time = time(20, 30)
    quiet_until: time = time(8, 0)
    quiet_days: list[Weekday] = ["dimanche"]


class RemindersSection(_Strict):
    """`notifications.reminders`: the morning reminder of an evening instance and the
    « Étiez-vous présent·e ? » prompt after the end (`reminder_sequence` in notifications)."""

    morning_of_evening: bool = True
    morning_at: time = time(8, 0)
    evening_from: time = time(18, 0)
    presence_prompt_minutes: int | None = Field(default=60, ge=0, le=24 * 60)


class NotificationSettings(_Strict):
    reminder_days: list[int] = [7, 1]
    digest_weekday: Weekday = "lundi"
    nobody_registered_alert_days: int = 7
    sms: SmsSection | None = None
    reminders: RemindersSection | None = None


class TerritoryInfo(_Strict):
    slug: str = Field(pattern=_SLUG)
    name: str
    kind: str = "EPT"
    timezone: str = "Europe/Paris"


class DemoMember(_Strict):
    council: str
    display_name: str
    email: str
    college: Literal["habitants", "acteurs_locaux"] = "habitants"
    drawn_by_lot: bool = False
    role: Literal["member", "coordinator"] = "member"
    referent_for: list[str] = []
    themes_followed: list[str] = []


class DirectoryEntry(_Strict):
    """A partner, scheme (dispositif) or place of the territory's directory, seeded once."""

    slug: str = Field(pattern=_SLUG, description="Stable key of the entry in this file")
    type: Literal["partner", "scheme", "place"]
    name: str = Field(min_length=2, max_length=200)
    kind: Literal["state", "city", "territory", "landlord", "association", "other"] | None = None
    themes: list[str] = []
    contact_role: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    city: str | None = Field(default=None, description="Code INSEE of its city")
    address: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=500)
    description: str = ""


class OpenDataLicence(_Strict):
    """The licence of the open-data feed (/donnees-ouvertes): Etalab's by default."""

    name: str = "Licence Ouverte / Open Licence 2.0"
    url: str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


class LegalInfo(_Strict):
    """What the public pages must say (LCEN art. 6, RGPD art. 13, RGAA): the territory fills it in."""

    publisher: str | None = Field(default=None, description="Éditeur : la collectivité, son adresse")
    publication_director: str | None = Field(
        default=None, description="Directeur ou directrice de la publication"
    )
    host: str | None = Field(default=None, description="Hébergeur : nom, adresse, téléphone")
    contact_email: str | None = Field(default=None, description="Adresse de contact du service")
    dpo_contact: str | None = Field(
        default=None, description="Délégué·e à la protection des données : contact"
    )
    accessibility_status: Literal["totalement conforme", "partiellement conforme", "non conforme"] = (
        "non conforme"
    )
    accessibility_audit: str | None = Field(
        default=None, description="Date et auteur de l'audit RGAA, s'il existe"
    )
    retention_months_after_leaving: int = Field(
        default=12, ge=1, le=120, description="Durée de conservation des données d'un membre après son départ"
    )
    open_data_licence: OpenDataLicence = Field(
        default_factory=OpenDataLicence, description="Licence des données ouvertes des instances"
    )


class TerritoryConfig(_Strict):
    territory: TerritoryInfo
    body: ParticipationBody = ParticipationBody()  # the kind of participation body (issue 20)
    demo: bool = False
    legal: LegalInfo = LegalInfo()
    mail: MailSettings
    notifications: NotificationSettings = NotificationSettings()
    themes: list[Theme] = Field(min_length=1)
    cities: list[City] = Field(min_length=1)
    councils: list[Council] = []
    instance_types: list[InstanceType] = Field(min_length=1)
    staff: list[StaffAccount] = []
    demo_members: list[DemoMember] = []
    directory: list[DirectoryEntry] = []
    needs: NeedsSettings = NeedsSettings()  # lead time of each need (issue 19)
    claims: ClaimsSettings = ClaimsSettings()  # cost claims: eligible kinds, caps, who approves
    participation: dict[str, list[ParticipationPeriod]] = Field(
        default_factory=dict, description="Per instance type, the participation scenarios and their dates"
    )

    @field_validator("themes", "cities", "councils", "instance_types", "directory")
    @classmethod
    def _unique(cls, items: list[Any]) -> list[Any]:
        keys = [str(getattr(item, "slug", None) or getattr(item, "code", "")) for item in items]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"identifiants en double : {', '.join(duplicates)}")
        return items

    @model_validator(mode="after")
    def _references_exist(self) -> TerritoryConfig:
        cities = {city.code: city for city in self.cities}
        themes = {theme.slug for theme in self.themes}
        councils = {council.slug for council in self.councils}
        problems: list[str] = []
        for council in self.councils:
            city = cities.get(council.city)
            if city is None:
                problems.append(f"le conseil {council.slug} cite une ville inconnue ({council.city})")
            elif council.neighbourhood not in {n.code for n in city.neighbourhoods}:
                problems.append(
                    f"le conseil {council.slug} cite un quartier inconnu de {city.name} "
                    f"({council.neighbourhood})"
                )
        for member in self.demo_members:
            if member.college == "acteurs_locaux" and not self.body.colleges:
                problems.append(
                    f"le membre de démonstration {member.email} cite un collège (pas de collèges)"
                )
            if member.drawn_by_lot and not self.body.drawing_by_lot:
                problems.append(
                    f"le membre de démonstration {member.email} est tiré au sort (pas de tirage au sort)"
                )
            if member.council not in councils:
                problems.append(f"le membre de démonstration {member.email} cite un conseil inconnu")
            for theme in [*member.referent_for, *member.themes_followed]:
                if theme not in themes:
                    problems.append(f"le membre de démonstration {member.email} cite une thématique inconnue")
        for entry in self.directory:
            if entry.type == "partner" and entry.kind is None:
                problems.append(f"la fiche {entry.slug} de l'annuaire est un partenaire sans type (kind)")
            if entry.city is not None and entry.city not in cities:
                problems.append(f"la fiche {entry.slug} de l'annuaire cite une ville inconnue ({entry.city})")
            if any(theme not in themes for theme in entry.themes):
                problems.append(f"la fiche {entry.slug} de l'annuaire cite une thématique inconnue")
        for account in self.staff:
            unknown = resolve_cities(account.cities, {code: city.name for code, city in cities.items()})[1]
            if account.cities and account.kind == "territory":
                problems.append(
                    f"l'agent {account.email} du territoire voit toutes les villes (pas de cities)"
                )
            elif unknown:
                problems.append(f"l'agent {account.email} cite une ville inconnue ({', '.join(unknown)})")
        kinds = {kind.slug for kind in self.instance_types}
        for slug, periods in self.participation.items():
            if slug not in kinds:
                problems.append(f"participation cite un type d'instance inconnu ({slug})")
            starts = [p.since for p in periods]
            if None in starts[1:] or any(
                a is not None and b is not None and b <= a for a, b in itertools.pairwise(starts)
            ):
                problems.append(
                    f"les périodes de participation de {slug} doivent se suivre par dates croissantes"
                )
        if problems:
            raise ValueError(" ; ".join(problems))
        return self

    def staff_cities(self, email: str) -> frozenset[str] | None:
        """INSEE codes of the cities a staff account is limited to; None: every city."""
        address = email.strip().lower()
        account = next((a for a in self.staff if a.email.lower() == address), None)
        if account is None or not account.cities:
            return None
        return resolve_cities(account.cities, {city.code: city.name for city in self.cities})[0]

    def scenario_on(self, instance_type: str, day: date) -> Scenario:
        """The participation scenario of an instance type on a day (referent per theme by default)."""
        scenario = DEFAULT_SCENARIO
        for period in self.participation.get(instance_type, []):
            if period.since is None or period.since <= day:
                scenario = period.scenario
        return scenario

    def theme(self, slug: str) -> Theme:
        return next(theme for theme in self.themes if theme.slug == slug)

    def instance_type(self, slug: str) -> InstanceType:
        return next(kind for kind in self.instance_types if kind.slug == slug)


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping key so errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    lines = {str(key.value): key.start_mark.line + 1 for key, _value in node.value}
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in {"__lines__", "__line__"}}
    if isinstance(value, list):
        return [_strip_lines(item) for item in value]
    return value


def _line_of(document: Any, location: tuple[int | str, ...]) -> int | None:
    node, line = document, None
    for part in location:
        if isinstance(node, dict):
            line = node.get("__lines__", {}).get(str(part), node.get("__line__", line))
            node = node.get(str(part)) if str(part) in node else None
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict):
                line = node.get("__line__", line)
        else:
            break
    return line


def parse_territory(text: str, path: str = "<territoire>") -> TerritoryConfig:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"ligne {mark.line + 1}" if mark is not None else "fichier"
        raise TerritoryFileError(
            path, [f"{where} : YAML illisible ({getattr(error, 'problem', error)})"]
        ) from None
    if not isinstance(document, dict):
        raise TerritoryFileError(path, ["le fichier doit contenir un document YAML (clé: valeur)"])
    try:
        return TerritoryConfig.model_validate(_strip_lines(document))
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            location = tuple(detail["loc"])
            line = _line_of(document, location)
            field = ".".join(str(part) for part in location) or "racine"
            prefix = f"ligne {line}, " if line else ""
            problems.append(f"{prefix}{field} : {_french(detail)}")
        raise TerritoryFileError(path, problems) from None


_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "string_pattern_mismatch": "format invalide",
    "int_parsing": "nombre entier attendu",
    "bool_parsing": "oui/non (true/false) attendu",
    "literal_error": "valeur non autorisée",
    "too_short": "liste trop courte",
    "time_parsing": "heure attendue (HH:MM)",
}


def _french(detail: Any) -> str:
    message = _MESSAGES.get(detail["type"])
    if detail["type"] == "literal_error":
        return f"{message} ({detail['ctx'].get('expected', '')})"
    if detail["type"] == "value_error":
        return re.sub(r"^Value error, ", "", str(detail["msg"]))
    return message or str(detail["msg"])


def load_territory(path: str | Path) -> TerritoryConfig:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise TerritoryFileError(str(path), [f"lecture impossible ({error.strerror})"]) from None
    return parse_territory(text, str(path))


def default_territory_path() -> Path:
    """The demo territory shipped in the repository."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "territories" / "plaine-commune.yaml"
        if candidate.exists():
            return candidate
    return Path("territories/plaine-commune.yaml")
