"""The community pages against fake services: outcomes with their history and instance (and
the synthesis CSV in French words), the councils of the territory (names only where shown,
a councillor's own choice), the directory with its search; reached from the menu."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conseils_runtime.auth import verify_token
from conseils_web.community_pages import count_fr
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, SECRET, build_site, csrf_for, session_for

INSTANCE_ID = uuid.UUID("00000000-0000-0000-0000-00000000000f")
OTHER_COUNCIL = uuid.UUID("00000000-0000-0000-0000-0000000000c2")
OUTCOMES: list[dict[str, Any]] = [
    {
        "id": str(uuid.UUID(int=1)),
        "kind": "proposal",
        "text": "Ouvrir la maison de quartier le samedi",
        "made_by": "Conseil citoyen Franc-Moisin – Bel-Air",
        "made_on": "2026-10-15",
        "council_id": str(COUNCIL_ID),
        "instance_id": str(INSTANCE_ID),
        "theme": "animation",
        "status": "in_progress",
        "created_at": "2026-10-15T18:00:00+00:00",
        "updated_at": "2026-11-02T09:00:00+00:00",
        "history": [
            {"status": "proposed", "note": "Déposée au forum", "at": "2026-10-15T18:00:00+00:00"},
            {"status": "in_progress", "note": "Budget voté", "at": "2026-11-02T09:02:00+00:00"},
        ],
    },
    {
        "id": str(uuid.UUID(int=2)),
        "kind": "proposal",
        "text": '=HYPERLINK("x") des bancs',
        "made_by": "Conseil B",
        "made_on": "2026-10-15",
        "council_id": str(OTHER_COUNCIL),
        "instance_id": None,
        "theme": None,
        "status": "done",
        "created_at": "2026-10-15T18:00:00+00:00",
        "updated_at": "2026-10-15T18:00:00+00:00",
        "history": [],
    },
    {
        "id": str(uuid.UUID(int=3)),
        "kind": "commitment",
        "text": "Éclairer l'allée des Tilleuls",
        "made_by": "Maire adjointe à la tranquillité",
        "made_on": "2026-10-15",
        "council_id": None,
        "instance_id": str(INSTANCE_ID),
        "theme": "tranquillite",
        "status": "proposed",
        "created_at": "2026-10-15T18:00:00+00:00",
        "updated_at": "2026-10-15T18:00:00+00:00",
        "history": [],
    },
]
INSTANCE = {
    "id": str(INSTANCE_ID),
    "title": "Forum des conseils citoyens",
    "status": "held",
    "starts_at": "2026-10-15T16:30:00+00:00",
    "ends_at": "2026-10-15T19:30:00+00:00",
}


def council(council_id: uuid.UUID, name: str, city: str, code: str) -> dict[str, Any]:
    return {
        "id": str(council_id),
        "slug": name.lower().replace(" ", "-"),
        "name": name,
        "city": city,
        "city_code": code,
        "neighbourhood": "Franc-Moisin – Bel-Air (démo)",
        "neighbourhood_code": "QP093066A",
        "status": "active",
        "created_on": "2026-01-01",
        "dissolved_on": None,
    }


OVERVIEW = [
    {
        "council": council(COUNCIL_ID, "Conseil A", "Saint-Denis", "93066"),
        "members": 3,
        "referents": [{"theme": "emploi", "name": "Aïcha Diallo"}, {"theme": "habitat", "name": None}],
        "vacant_themes": ["education", "sante", "tranquillite", "animation"],
        "names_shown": ["Aïcha Diallo"],
    },
    {
        "council": council(OTHER_COUNCIL, "Conseil B", "Aubervilliers", "93001"),
        "members": 1,
        "referents": [],
        "vacant_themes": ["education", "emploi", "habitat", "sante", "tranquillite", "animation"],
        "names_shown": [],
    },
]
DIRECTORY = [
    {
        "id": str(uuid.UUID(int=10)),
        "entry_type": "partner",
        "name": "Préfecture de la Seine-Saint-Denis – délégués du préfet",
        "kind": "state",
        "themes": ["emploi", "habitat"],
        "contact_role": "Délégué·e du préfet (démo)",
        "contact_email": "delegues@seine-saint-denis.example",
        "city_code": None,
        "address": None,
        "url": "https://www.seine-saint-denis.gouv.fr",
        "description": "L'État dans les quartiers.",
    },
    {
        "id": str(uuid.UUID(int=11)),
        "entry_type": "place",
        "name": "Maison de quartier Franc-Moisin (démo)",
        "kind": None,
        "themes": ["animation"],
        "contact_role": None,
        "contact_email": None,
        "city_code": "93066",
        "address": None,
        "url": "javascript:alert(1)",
        "description": "Salle de réunion.",
    },
]


class FakeServices:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []
        self.shown = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        principal = verify_token(
            SECRET,
            request.headers["authorization"].removeprefix("Bearer "),
            audience=request.url.host.split(".")[0],  # a token minted for the service called
        )
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.calls.append(
            (
                request.method,
                f"{request.url.host}{path}?{request.url.query.decode()}",
                principal.subject,
                body,
            )
        )
        if path == "/outcomes":
            return httpx.Response(200, json=OUTCOMES)
        if path == f"/instances/{INSTANCE_ID}":
            return httpx.Response(200, json=INSTANCE)
        if path == "/councils":
            return httpx.Response(200, json=[o["council"] for o in OVERVIEW])
        if path == "/councils/overview":
            return httpx.Response(200, json=OVERVIEW)
        if path == f"/members/{MEMBER_ID}" and request.method == "GET":
            return httpx.Response(200, json={"id": str(MEMBER_ID), "shown_to_councillors": self.shown})
        if path == f"/members/{MEMBER_ID}/shown-to-councillors":
            assert principal.subject == str(MEMBER_ID)  # her own token: her own choice
            self.shown = body["shown"]
            return httpx.Response(200, json={"id": str(MEMBER_ID), "shown_to_councillors": self.shown})
        if path == "/directory":
            q = request.url.params.get("q", "")
            section = request.url.params.get("section")
            found = [
                e
                for e in DIRECTORY
                if q.lower() in e["name"].lower()
                and (
                    section is None
                    or {"partners": "partner", "places": "place"}.get(section) == e["entry_type"]
                )
            ]
            return httpx.Response(200, json=found)
        return httpx.Response(404, json={"detail": "introuvable", "code": "introuvable"})


@pytest.fixture
async def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
async def client(tmp_path: Path, fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site(tmp_path, fake)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.cookies.set(SESSION_COOKIE, session_for("councillor"))
            http.cookies.set(CSRF_COOKIE, CSRF_SEED)
            yield http


def visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1].split("</main>", 1)[0])
    return re.sub(r"\s+", " ", text)


def test_french_counts() -> None:
    assert [count_fr(n, "fiche", "fiches") for n in (0, 1, 2)] == ["0 fiche", "1 fiche", "2 fiches"]


async def test_the_menu_leads_to_the_three_pages(client: httpx.AsyncClient) -> None:
    page = await client.get("/agenda")
    menu = page.text.split('<nav aria-label="Menu principal">', 1)[1].split("</nav>", 1)[0]
    for href, words in [
        ("/conseils", "Les conseils"),
        ("/propositions-et-engagements", "Propositions et engagements"),
        ("/annuaire", "Annuaire"),
    ]:
        assert re.search(rf'<a href="{href}"\s*>{words}</a>', menu), href
    mine = await client.get("/annuaire")
    assert '<a href="/annuaire" aria-current="page">Annuaire</a>' in mine.text


async def test_signed_out_visitors_are_sent_to_sign_in(tmp_path: Path, fake: FakeServices) -> None:
    app = build_site(tmp_path, fake)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            for path in ("/conseils", "/propositions-et-engagements", "/annuaire"):
                response = await http.get(path)
                assert response.status_code in (302, 303), path
                assert "/connexion" in response.headers["location"]
    assert fake.calls == []


async def test_outcomes_with_their_history_and_instance_in_french(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await client.get("/propositions-et-engagements")
    assert page.status_code == 200
    text = visible(page.text)
    assert "2 propositions : 1 en cours, 1 réalisée" in text
    assert "1 engagement : 1 proposé" in text
    assert "Ouvrir la maison de quartier le samedi" in text
    assert "Proposée par Conseil citoyen Franc-Moisin – Bel-Air, le jeudi 15 octobre 2026." in text
    assert "Conseil A · Thématique : Animation sociale et vie culturelle des quartiers" in text
    assert (
        f'<a href="/instances/{INSTANCE_ID}">Forum des conseils citoyens</a> (jeudi 15 octobre 2026)'
        in page.text.replace("\u00a0", " ")
    )
    assert "Historique (2 évolutions" in text
    assert "lundi 2 novembre 2026 : en cours — Budget voté" in text
    assert "Engagement pris par Maire adjointe à la tranquillité" in text
    for raw in ("in_progress", "proposal", "commitment", "2026-10-15", "None", "UTC"):
        assert raw not in text, raw
    # the same instance is fetched once for both outcomes, with her own token
    assert [c for c in fake.calls if "/instances/" in c[1]] == [
        ("GET", f"meetings.test/instances/{INSTANCE_ID}?", str(MEMBER_ID), None)
    ]

    only_done = visible((await client.get("/propositions-et-engagements?nature=proposal&statut=done")).text)
    assert "des bancs" in only_done
    assert "Ouvrir la maison" not in only_done
    assert "Engagements des élu·es" not in only_done
    nothing = visible((await client.get("/propositions-et-engagements?nature=commitment&statut=done")).text)
    assert "Aucun engagement avec ce statut." in nothing


async def test_the_synthesis_table_downloads_as_csv_in_french(client: httpx.AsyncClient) -> None:
    response = await client.get("/propositions-et-engagements/tableau-de-synthese.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "tableau-de-synthese-des-propositions.csv" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nature", "Texte", "Proposé par ou engagé par"]
    assert [row[0] for row in rows[1:]] == ["Proposition", "Proposition", "Engagement"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Date"] == "jeudi 15 octobre 2026"
    assert first["Statut"] == "en cours"
    assert first["Instance d'origine"] == "Forum des conseils citoyens"
    assert first["Historique"] == (
        "jeudi 15 octobre 2026 : proposé — Déposée au forum | lundi 2 novembre 2026 : en cours — Budget voté"
    )
    assert rows[2][1].startswith("'=")  # a formula is never run by the spreadsheet
    assert "in_progress" not in response.text
    assert "None" not in response.text


async def test_the_councils_page_names_only_who_chose_and_she_chooses(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await client.get("/conseils")
    assert page.status_code == 200
    text = visible(page.text)
    assert "2 conseils dans 2 villes, 10 thématiques sans référent·e" in text
    assert "Conseil A votre conseil" in text
    assert "Quartier Franc-Moisin – Bel-Air (démo) · 3 membres" in text
    assert "Emploi, insertion et développement économique — Aïcha Diallo" in text
    assert "Habitat et cadre de vie — nom non communiqué" in text
    assert "Thématiques sans référent·e : Éducation, Santé" in text
    assert "1 membre" in text
    assert "Aucun·e référent·e désigné·e." in text
    assert text.index("Aubervilliers") < text.index("Saint-Denis")  # the territory file's order
    assert "Votre nom n'est pas montré aux conseillers des autres conseils" in text

    chosen = await client.post("/conseils/mon-nom", data={"csrf": csrf_for(), "montrer": "oui"})
    assert chosen.status_code == 303
    assert fake.shown is True
    after = await client.get("/conseils")
    assert "Votre nom est désormais montré" in visible(after.text)
    assert "Ne plus montrer mon nom" in after.text
    refused = await client.post("/conseils/mon-nom", data={"csrf": "faux", "montrer": "non"})
    assert refused.status_code == 403
    assert fake.shown is True

    saint_denis = visible((await client.get("/conseils?ville=93066")).text)
    assert "Conseil A" in saint_denis
    assert "Conseil B" not in saint_denis


async def test_the_directory_searches_and_shows_words(client: httpx.AsyncClient, fake: FakeServices) -> None:
    page = await client.get("/annuaire")
    text = visible(page.text)
    assert "2 fiches." in text
    assert "Partenaires" in text
    assert "Lieux" in text
    assert "État" in text
    assert "Thématiques : Emploi, insertion et développement économique" in text
    assert 'href="mailto:delegues@seine-saint-denis.example"' in page.text
    assert "javascript:" not in page.text  # only web addresses become links
    assert "Saint-Denis" in text  # the place's city, by name

    found = await client.get("/annuaire", params={"q": "  préfecture ", "rubrique": "partners"})
    assert "1 fiche trouvée." in visible(found.text)
    assert fake.calls[-1][1] == "registry.test/directory?q=pr%C3%A9fecture&section=partners"
    none = await client.get("/annuaire", params={"q": "piscine", "rubrique": "inconnue"})
    assert "Aucune fiche ne correspond à cette recherche." in visible(none.text)
    assert "section" not in fake.calls[-1][1]


async def test_the_synthesis_table_downloads_as_an_ods_spreadsheet(client: httpx.AsyncClient) -> None:
    """Read as the OpenDocument standard says, without odfpy: a ZIP whose first entry is the
    uncompressed `mimetype`, and a content.xml whose cells are all text (never a formula)."""
    import zipfile

    from defusedxml.ElementTree import fromstring

    response = await client.get("/propositions-et-engagements/tableau-de-synthese.ods")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert "tableau-de-synthese-des-propositions.ods" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    first = archive.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    ns = {
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    }
    root = fromstring(archive.read("content.xml"))
    (sheet,) = root.findall(".//table:table", ns)
    assert sheet.get(f"{{{ns['table']}}}name") == "Synthèse des propositions"
    rows = [
        [
            "\n".join(p.text or "" for p in cell.findall("text:p", ns))
            for cell in row.findall("table:table-cell", ns)
        ]
        for row in sheet.findall("table:table-row", ns)
    ]
    assert rows[0][:3] == ["Nature", "Texte", "Proposé par ou engagé par"]
    assert [row[0] for row in rows[1:]] == ["Proposition", "Proposition", "Engagement"]
    first_row = dict(zip(rows[0], rows[1], strict=True))
    assert first_row["Date"] == "jeudi 15 octobre 2026"
    assert first_row["Statut"] == "en cours"
    # the text as typed: a cell of type string is never run, so no apostrophe is added
    assert rows[2][1].startswith("=")
    for cell in sheet.iter(f"{{{ns['table']}}}table-cell"):
        assert cell.get(f"{{{ns['office']}}}value-type") == "string"
        assert cell.get(f"{{{ns['table']}}}formula") is None
    page = await client.get("/propositions-et-engagements")
    assert 'href="/propositions-et-engagements/tableau-de-synthese.ods"' in page.text
