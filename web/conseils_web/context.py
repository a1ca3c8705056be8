"""What every page of the site needs: territory, secret, the services' clients,
templates, the sign-in store and mail settings; and `render`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from conseils_runtime.mail import DkimKey
from conseils_runtime.territory import TerritoryConfig
from conseils_web import frenchdates, labels
from conseils_web.clients import (
    AttendingClient,
    Caller,
    MeetingsClient,
    NotificationsClient,
    RegistryClient,
    WebhooksClient,
)
from conseils_web.option_lists import OptionLists, Options
from conseils_web.page_access import may_here
from conseils_web.security import STAFF_ROLES, csrf_token, current_user
from conseils_web.signin import RateLimiter, SigninStore
from conseils_web.tagged_cache import TaggedCache

HERE = Path(__file__).parent
FLASH_COOKIE = "conseils_message"


def label_globals() -> dict[str, Any]:
    """The labels every template may use (macros imported from another template too)."""
    return {
        "mode_label": labels.MODE_LABELS,
        "status_label": labels.STATUS_LABELS,
        "open_statuses": labels.OPEN_STATUSES,
        "outcome_statuses": labels.OUTCOME_STATUS_LABELS,
        "delivery_status_label": labels.DELIVERY_STATUS_LABELS,
        "delivery_kind_label": labels.DELIVERY_KIND_LABELS,
        "member_role_label": labels.MEMBER_ROLE_LABELS,
        "college_label": labels.COLLEGE_LABELS,
        "category_label": labels.CATEGORY_LABELS,
        "outcome_kind_label": labels.OUTCOME_KIND_LABELS,
        "alert_kind_label": labels.ALERT_KIND_LABELS,
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (kept per object)
class TerritoryLabels:
    """The names of a territory's themes, cities and instance types, by slug or code (the first
    one wins, as a scan of the territory's lists would find it)."""

    territory: TerritoryConfig
    themes: dict[str, str]
    cities: dict[str, str]
    types: dict[str, str]

    @classmethod
    def of(cls, territory: TerritoryConfig) -> TerritoryLabels:
        def first(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
            found: dict[str, str] = {}
            for key, name in pairs:
                found.setdefault(key, name)
            return found

        return cls(
            territory,
            first((theme.slug, theme.name) for theme in territory.themes),
            first((city.code, city.name) for city in territory.cities),
            first((kind.slug, kind.name) for kind in territory.instance_types),
        )


@dataclass
class SiteContext:
    territory: TerritoryConfig
    auth_secret: str
    registry: RegistryClient
    meetings: MeetingsClient
    attending: AttendingClient  # the meetings service's needs, claims, attestations, easy read
    notifications: NotificationsClient
    webhooks: WebhooksClient
    templates: Jinja2Templates
    store: SigninStore
    mailbox_dir: Path | None
    smtp_host: str
    smtp_port: int
    public_base_url: str
    secure_cookies: bool
    dkim_key: DkimKey | None = None  # signs the sign-in mails (the territory's key, as notifications)
    address_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(3, 15 * 60))
    ip_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(30, 15 * 60))
    # What time it is for the pages' states (registration closed or not); tests set it.
    clock: Callable[[], datetime] = field(default_factory=lambda: utc_now)
    territory_labels: TerritoryLabels | None = field(default=None, init=False, repr=False)
    """The names of `territory`'s codes, indexed when first asked (`_labels`)."""
    option_lists: OptionLists = field(default_factory=OptionLists)
    """The long `<select>` lists rendered once per list kept (councils, cities)."""
    bilan_figures: TaggedCache[Markup] = field(default_factory=TaggedCache)
    """The bilan's figures as HTML, per period, with the meetings service's ETag (staff.bilan)."""
    demo_year_file: Path | None = None
    """Where the platform says which school year the demo played (demo_year_file)."""

    @property
    def timezone(self) -> str:
        return self.territory.territory.timezone

    def theme_name(self, slug: str | None) -> str:
        return self._labels().themes.get(slug or "", slug or "—")

    def city_name(self, code: str | None) -> str:
        return self._labels().cities.get(code or "", code or "—")

    def type_name(self, slug: str) -> str:
        return self._labels().types.get(slug, slug)

    def city_options(self) -> Options:
        """The territory's cities as a form's options (value: the city's code)."""
        labels = self._labels()
        return self.option_lists.of(labels, "cities", labels.cities.items)

    def _labels(self) -> TerritoryLabels:
        """The territory's names by code, indexed once per territory (a national agenda page
        asks for a city's name a dozen times, among hundreds of cities)."""
        labels = self.territory_labels
        if labels is None or labels.territory is not self.territory:
            labels = self.territory_labels = TerritoryLabels.of(self.territory)
        return labels

    def site_token(self) -> Caller:
        """The site itself as the caller (account look-up at sign-in): a staff role, as the
        look-up reads addresses; each call gets its own short token for that service."""
        return Caller(self.auth_secret, subject="site", role="staff")

    def when(self, value: str | datetime) -> str:
        return frenchdates.datetime_fr(frenchdates.parse_iso(value), self.timezone)

    def day(self, value: str | date | datetime) -> str:
        """« mercredi 7 avril 2027 » (local day, no time); a date is a day already."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return frenchdates.day_fr(value)
        moment = frenchdates.local(frenchdates.parse_iso(value), self.timezone)
        return frenchdates.day_fr(moment.date())

    def span(self, starts: str | datetime, ends: str | datetime) -> str:
        return frenchdates.span_fr(frenchdates.parse_iso(starts), frenchdates.parse_iso(ends), self.timezone)


def site(request: Request) -> SiteContext:
    context: SiteContext = request.app.state.site
    return context


def user_token(request: Request) -> Caller:
    """The signed-in person as the caller of the services (nobody when signed out): the
    clients mint her a token per call and per service; her cookie stays on the site."""
    principal = current_user(request)
    if principal is None:
        return Caller(site(request).auth_secret)
    return Caller(
        site(request).auth_secret,
        subject=principal.subject,
        role=principal.role,
        council_id=principal.council_id,
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx = site(request)
    principal = current_user(request)
    raw_flash = request.cookies.get(FLASH_COOKIE)
    flash = unquote(raw_flash) if raw_flash else None
    context.setdefault("title", "conseils")
    context.setdefault("errors", [])
    response = ctx.templates.TemplateResponse(
        request,
        template,
        {
            "territory_name": ctx.territory.territory.name,
            "body": ctx.territory.body,  # how the site names the participation bodies
            "user": principal,
            "role_label": labels.ROLE_LABELS.get(principal.role, "") if principal else "",
            "is_staff": bool(principal and principal.role in STAFF_ROLES),
            "may": may_here(request),  # the staff pages her role may use (page_access)
            "csrf_token": csrf_token(request),
            "flash": flash,
            "when": ctx.when,
            "span": ctx.span,
            "day": ctx.day,
            "size": frenchdates.size_fr,
            "count": frenchdates.count_fr,
            "theme_name": ctx.theme_name,
            "city_name": ctx.city_name,
            "type_name": ctx.type_name,
            "has_mailbox": ctx.mailbox_dir is not None,
            **context,
        },
        status_code=status_code,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, url: str, message: str | None = None) -> RedirectResponse:
    """POST/redirect/GET, with an optional one-time message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        response.set_cookie(
            FLASH_COOKIE,
            quote(message),
            max_age=60,
            httponly=True,
            samesite="lax",
            secure=site(request).secure_cookies,
            path="/",
        )
    return response


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def now() -> float:
    return time.time()
