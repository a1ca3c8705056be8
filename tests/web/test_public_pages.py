"""What a public deployment owes anyone (issue 18): with `demo: false` the home page names no
staff, shows no address and links no internal endpoint; the legal pages answer in French; and
the JSON Schema every record names in `ce_dataschema` is served (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_schemas import EVENT_TYPES, InstanceScheduled
from conseils_web.site import create_site
from tests.web.helpers import ENDPOINTS, SECRET

ROOT = Path(__file__).resolve().parents[2]


def site(tmp_path: Path, *, demo: bool) -> httpx.AsyncClient:
    territory = load_territory(default_territory_path()).model_copy(update={"demo": demo})
    app = create_site(territory, ENDPOINTS, None, auth_secret=SECRET, data_dir=tmp_path)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_public_home_page_names_no_staff_and_links_no_internal_endpoint(tmp_path: Path) -> None:
    territory = load_territory(default_territory_path())
    async with site(tmp_path, demo=False) as client:
        home = await client.get("/")
    assert home.status_code == 200
    assert "Comptes de démonstration" not in home.text
    assert "démonstration" not in home.text.lower()
    for person in territory.staff:
        assert person.email not in home.text
        assert person.name not in home.text
    for member in territory.demo_members:
        assert member.email not in home.text
    for internal in ("/docs", "/asyncapi", "/metrics"):
        assert internal not in home.text
    assert 'href="/connexion"' in home.text
    for page in ("/mentions-legales", "/accessibilite", "/donnees-personnelles"):
        assert f'href="{page}"' in home.text


async def test_the_demo_home_page_still_shows_its_accounts(tmp_path: Path) -> None:
    async with site(tmp_path, demo=True) as client:
        home = await client.get("/")
    assert "Comptes de démonstration" in home.text


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/mentions-legales", ["Éditeur", "Hébergement", "AGPL"]),
        ("/accessibilite", ["RGAA", "non conforme", "Défenseur des droits"]),
        ("/donnees-personnelles", ["Responsable du traitement", "CNIL", "12 mois après votre départ"]),
    ],
)
async def test_legal_pages_answer_in_french(tmp_path: Path, path: str, words: list[str]) -> None:
    async with site(tmp_path, demo=False) as client:
        page = await client.get(path)
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text
    for word in words:
        assert word in page.text


async def test_the_schema_named_by_ce_dataschema_is_served_as_committed(tmp_path: Path) -> None:
    name = InstanceScheduled.event_type
    async with site(tmp_path, demo=False) as client:
        served = await client.get(f"/schemas/{name}.json")
        index = await client.get("/schemas/")
        missing = await client.get("/schemas/fr.conseils.nothing.v1.json")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/schema+json")
    committed = json.loads((ROOT / "schemas" / "jsonschema" / f"{name}.json").read_text(encoding="utf-8"))
    assert served.json() == committed
    assert set(index.json()) == set(EVENT_TYPES)
    assert missing.status_code == 404
    assert "introuvable" in missing.text.lower() or "n'existe pas" in missing.text.lower()
