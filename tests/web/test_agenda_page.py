"""Issue 14, items 1 and 4, on the site: the agenda of the whole territory, filtered by a
GET form (real controls with labels, no JavaScript needed), each card saying who may
register how and why, the public agenda feed linked (webcal and a copy button); past
instances with the minutes and her presence on the instance page and in "Mes inscriptions".

The fake meetings service answers what the real API serialises (`conseils_meetings.api`:
InstanceSummary with the domain's `registration_access`, InstanceOut, MyRegistration)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from conseils_meetings import domain
from conseils_meetings.api import InstanceOut, InstanceSummary, MyRegistration
from conseils_meetings.records import MemberView
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, build_site, csrf_for, session_for
from tests.web.test_instance_states import assert_truthful, stored_row, visible

PARIS = "Europe/Paris"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SAINT_DENIS_COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000014c9")
CLIP_ID = uuid.UUID("00000000-0000-0000-0000-0000000014e1")
FORMATION_ID = uuid.UUID("00000000-0000-0000-0000-0000000014e2")
CANCELLED_ID = uuid.UUID("00000000-0000-0000-0000-0000000014e3")
PAST_ID = uuid.UUID("00000000-0000-0000-0000-0000000014e4")
TERRITORY = load_territory(default_territory_path())
CLIP_STARTS = datetime(2027, 4, 6, 16, 30, tzinfo=UTC)  # mardi 6 avril 2027, 18 h 30 à Paris


def kind(slug: str) -> Any:
    return next(k for k in TERRITORY.instance_types if k.slug == slug)


def access(
    slug: str, status: str, starts_at: datetime, concerned: list[uuid.UUID]
) -> domain.RegistrationAccess:
    """Her access as the meetings service computes it (her council: COUNCIL_ID, in Aubervilliers)."""
    return domain.registration_access(
        kind(slug),
        status=status,
        starts_at=starts_at,
        now=NOW,
        member_active=True,
        member_council=COUNCIL_ID,
        concerned=concerned,
        seats=[],
    )


def summary(
    instance_id: uuid.UUID, slug: str, title: str, starts_at: datetime, **changes: Any
) -> dict[str, Any]:
    concerned = changes.pop("concerned", [SAINT_DENIS_COUNCIL])
    row = stored_row(
        changes.pop("status", "scheduled"),
        id=instance_id,
        instance_type=slug,
        instance_type_name=kind(slug).name,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        observers_allowed=kind(slug).observers_allowed,
        concerned_council_ids=concerned,
        **changes,
    )
    closes = domain.registration_closes_at(kind(slug), starts_at)
    return InstanceSummary.of(
        row, timezone=PARIS, closes_at=closes, access=access(slug, row["status"], starts_at, concerned)
    ).model_dump(mode="json")


CLIP = summary(CLIP_ID, "clip", "CLIP de Saint-Denis", CLIP_STARTS, city_code="93066")
FORMATION = summary(
    FORMATION_ID, "formation", "Formation du conseil Floréal", CLIP_STARTS + timedelta(days=1)
)
CANCELLED = summary(
    CANCELLED_ID,
    "copil",
    "Comité de pilotage de printemps",
    CLIP_STARTS + timedelta(days=2),
    status="cancelled",
    cancel_reason="salle indisponible",
    concerned=[COUNCIL_ID, SAINT_DENIS_COUNCIL],
)


@dataclass
class FakeMeetings:
    """The meetings service: the agenda as the real API filters it (`scope` mine by default)."""

    queries: list[dict[str, list[str]]] = field(default_factory=list)
    posted: list[tuple[str, Any]] = field(default_factory=list)
    mine: list[dict[str, Any]] = field(default_factory=list)
    detail: dict[str, Any] | None = None
    refusal: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/instances":
            query = parse_qs(request.url.query.decode())
            self.queries.append(query)
            scope = query.get("scope", ["mine"])[0]
            rows = [CLIP, FORMATION, CANCELLED]
            if scope in ("mine", "council"):  # her council is concerned by none but the COPIL
                rows = [CANCELLED]
            if "type" in query:
                rows = [row for row in rows if row["instance_type"] == query["type"][0]]
            if query.get("when") == ["past"]:
                rows = []
            return httpx.Response(200, json=rows)
        if path == "/me/registrations":
            return httpx.Response(200, json=self.mine)
        if path.endswith("/registrations") and request.method == "POST":
            self.posted.append((path, request.content))
            if self.refusal:
                return httpx.Response(422, json={"detail": self.refusal, "code": "inscription_refusee"})
            return httpx.Response(200, json={"message": "Inscription confirmée comme observateur·rice."})
        if self.detail is not None and path == f"/instances/{self.detail['id']}":
            return httpx.Response(200, json=self.detail)
        if path.endswith("/registrations/my-council"):
            return httpx.Response(200, json=[])
        if path == f"/councils/{COUNCIL_ID}/members":
            return httpx.Response(200, json=[])
        if path == "/councils":
            return httpx.Response(200, json=[{"id": str(SAINT_DENIS_COUNCIL), "name": "Conseil Floréal"}])
        return httpx.Response(404, json={"detail": f"Introuvable : {path}"})


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeMeetings]]:
    fake = FakeMeetings()
    app = build_site(tmp_path, fake, public_base_url="https://conseils.example.org")
    app.state.site.clock = lambda: NOW
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        client.cookies.set(CSRF_COOKIE, CSRF_SEED)
        yield client, fake


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def card(html: str, title: str) -> str:
    """One card of the agenda: its `<li class="carte">` up to its own closing tag."""
    for item in html.split('<li class="carte">')[1:]:
        if title in item:
            return item.split("\n  </li>", 1)[0]
    raise AssertionError(f"no card for {title}")


async def test_a_councillor_of_another_city_finds_the_clip_and_may_observe_it(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    # The symptom: the agenda asked for "mine" only, so the Saint-Denis CLIP was not there.
    client, fake = site
    html = main_of((await client.get("/agenda")).text)
    assert fake.queries[-1] == {"scope": ["all"], "when": ["upcoming"], "limit": ["31"]}
    clip = card(html, "CLIP de Saint-Denis")
    text = visible(clip)
    assert "Commission locale inter-partenariale (CLIP) · Saint-Denis" in text
    assert "Participer : Votre conseil n'est pas concerné par cette instance" in text
    assert "Observer : Cette instance accueille des observateur·rices : vous pouvez observer." in text
    assert "Inscriptions ouvertes jusqu'au lundi 5 avril 2027 à 18 h 30" in text
    assert 'value="observer"' in clip
    assert 'value="participant"' not in clip  # she may not participate: no button
    assert_truthful(html)


async def test_each_card_says_which_mode_and_why_and_the_states_tell_the_truth(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, _fake = site
    html = main_of((await client.get("/agenda")).text)
    formation = card(html, "Formation du conseil Floréal")
    assert "Observer : Cette instance n'accueille pas d'observateurs." in visible(formation)
    assert "Participer : Votre conseil n'est pas concerné par cette instance." in visible(formation)
    assert "<button" not in formation  # neither mode is open to her
    cancelled = card(html, "Comité de pilotage de printemps")
    assert "Instance annulée : salle indisponible." in visible(cancelled)
    assert "<button" not in cancelled
    assert "Inscriptions" not in visible(cancelled)
    assert "3 instances à venir" in visible(html)
    assert "à venirs" not in visible(html)  # « à venir » is invariable


async def test_the_filters_are_a_real_form_that_works_without_javascript(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, fake = site
    html = main_of((await client.get("/agenda?voir=ville&type=clip&quand=passees")).text)
    assert fake.queries[-1] == {"scope": ["city"], "type": ["clip"], "when": ["past"], "limit": ["31"]}
    assert '<form method="get" action="/agenda"' in html
    for control in ("voir", "type"):
        assert f'<label for="{control}">' in html
        assert f'<select id="{control}" name="{control}">' in html
    assert '<option value="ville" selected>Ma ville</option>' in html
    assert '<option value="clip" selected>Commission locale inter-partenariale (CLIP)</option>' in html
    assert '<input type="radio" id="quand-passees" name="quand" value="passees" checked>' in html
    assert '<label for="quand-passees">Passées</label>' in html
    assert "<legend>Quand</legend>" in html
    assert "Aucune instance passée avec ces critères." in visible(html)
    for scope, label in (("toutes", "Tout le territoire"), ("mes", "Mon conseil et mes thématiques")):
        assert f'<option value="{scope}"' in html
        assert label in html
    # Unknown values fall back to the defaults; nothing unknown reaches the service.
    await client.get("/agenda?voir=partout&type=%3Cscript%3E&quand=demain")
    assert fake.queries[-1] == {"scope": ["all"], "when": ["upcoming"], "limit": ["31"]}


async def test_registering_from_the_agenda_keeps_its_filters_and_says_why_when_refused(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, fake = site
    html = main_of((await client.get("/agenda?type=clip")).text)
    assert '<input type="hidden" name="type" value="clip">' in card(html, "CLIP de Saint-Denis")
    form = {"csrf": csrf_for(), "mode": "observer", "retour": "agenda", "voir": "toutes", "type": "clip"}
    done = await client.post(f"/instances/{CLIP_ID}/inscription", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/agenda?type=clip"
    assert fake.posted == [(f"/instances/{CLIP_ID}/registrations", b'{"mode":"observer"}')]
    page = await client.get(done.headers["location"])
    assert "Inscription confirmée comme observateur·rice." in visible(main_of(page.text))

    fake.refusal = "Votre conseil n'est pas concerné par cette instance : inscrivez-vous comme observateur."
    tampered = {**form, "mode": "participant", "type": "https://ailleurs.example", "voir": "//x"}
    refused = await client.post(f"/instances/{CLIP_ID}/inscription", data=tampered)
    assert refused.headers["location"] == "/agenda"  # only known filters come back
    page = await client.get("/agenda")
    assert fake.refusal in visible(main_of(page.text))


async def test_the_agenda_links_the_public_feed_with_webcal_and_a_copy_button(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, _fake = site
    html = main_of((await client.get("/agenda")).text)
    url = "https://conseils.example.org/notifications/feeds/agenda.ics"
    assert '<label for="adresse-agenda-public">Adresse de l\'agenda public</label>' in html.replace(
        "&#39;", "'"
    )
    assert f'<input type="text" id="adresse-agenda-public" value="{url}" readonly' in html
    assert re.search(r'<button type="button"[^>]*data-copier="adresse-agenda-public"[^>]*hidden>', html)
    assert 'href="webcal://conseils.example.org/notifications/feeds/agenda.ics"' in html
    assert '<script src="/static/copier.js" defer></script>' in html


async def test_the_menu_entry_is_the_agenda(site: tuple[httpx.AsyncClient, FakeMeetings]) -> None:
    client, _fake = site
    page = (await client.get("/agenda")).text
    assert '<a href="/agenda" aria-current="page">Agenda</a>' in page
    assert "<h1>Agenda</h1>" in page


def detail(status: str, presence: str | None, **changes: Any) -> dict[str, Any]:
    row = stored_row(status, id=PAST_ID, **changes)
    mine = MemberView(
        access=access("comite-technique", status, row["starts_at"], [COUNCIL_ID]),
        present=None if presence is None else presence == "present",
    )
    return InstanceOut.of(row, staff=False, timezone=PARIS, mine=mine).model_dump(mode="json")


def my_registration(status: str, present: bool | None, **changes: Any) -> dict[str, Any]:
    row = stored_row(status, id=PAST_ID)
    values = {
        "id": uuid.uuid4(),
        "instance_id": PAST_ID,
        "member_id": MEMBER_ID,
        "council_id": COUNCIL_ID,
        "mode": "participant",
        "status": "confirmed",
        "created_at": NOW,
        "updated_at": NOW,
        "title": row["title"],
        "starts_at": row["starts_at"],
        "instance_status": status,
        "present": present,
        **changes,
    }
    return MyRegistration.model_validate(values).model_dump(mode="json")


async def test_a_past_instance_shows_her_presence_and_the_minutes(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, fake = site
    starts = stored_row()["starts_at"]
    fake.detail = detail(
        "minutes_published",
        "present",
        held_at=starts + timedelta(hours=2),
        minutes_summary="Trois propositions retenues.",
        minutes_published_at=starts + timedelta(days=1),
    )
    fake.mine = [my_registration("minutes_published", True)]
    html = main_of((await client.get(f"/instances/{PAST_ID}")).text)
    text = visible(html)
    assert "Vous étiez présent·e." in text
    assert "Trois propositions retenues." in text
    assert "<button" not in html.split("<h2>Dossier", 1)[0].split("Mon inscription", 1)[1].split("Annuler")[0]
    assert_truthful(html)

    fake.detail = detail("held", "absent", held_at=starts + timedelta(hours=2))
    html = main_of((await client.get(f"/instances/{PAST_ID}")).text)
    assert "Vous n'étiez pas présent·e (vous étiez inscrit·e)." in visible(html)


async def test_my_registrations_show_past_presence_minutes_and_cancellations(
    site: tuple[httpx.AsyncClient, FakeMeetings],
) -> None:
    client, fake = site
    starts = stored_row()["starts_at"]
    fake.mine = [
        my_registration("minutes_published", True, minutes_published_at=starts + timedelta(days=1)),
        my_registration(
            "cancelled",
            None,
            instance_id=CANCELLED_ID,
            title="Comité de pilotage de printemps",
            starts_at=NOW - timedelta(days=3),
            cancel_reason="salle indisponible",
        ),
        my_registration(
            "scheduled", None, instance_id=CLIP_ID, title="CLIP de Saint-Denis", starts_at=CLIP_STARTS
        ),
    ]
    html = main_of((await client.get("/mes-inscriptions")).text)
    upcoming, past = html.split('id="passees"', 1)
    assert "CLIP de Saint-Denis" in upcoming
    assert "Comité technique mobilités" in past
    past_text = visible(past)
    assert "Ma présence : Présent·e" in past_text
    assert "Lire le compte rendu de Comité technique mobilités (publié le jeudi 8 avril 2027" in past_text
    assert f'href="/instances/{PAST_ID}#compte-rendu"' in past
    assert "Instance annulée : salle indisponible." in past_text
    assert_truthful(html)
