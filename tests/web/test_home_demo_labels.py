"""The home page's demo accounts name councils, cities and themes as the territory file does
(new user's report: « saint-denis-franc-moisin », « emploi, education » were shown)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.site import ServiceEndpoint, create_site
from tests.support.french_text import visible


async def test_the_demo_table_shows_names_not_slugs(tmp_path: Path) -> None:
    territory = load_territory(default_territory_path())
    app = create_site(territory, [ServiceEndpoint("registry", "Registre", "http://127.0.0.1:9")], tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as site:
        text = visible((await site.get("/")).text)
    row = text.split("Karim Haddad", 1)[1].split("Julie Moreau", 1)[0]
    assert "Conseil citoyen Villette – Quatre-Chemins (Aubervilliers)" in row
    assert "Emploi, insertion et développement économique ; Éducation" in row
    for council in territory.councils:
        assert not re.search(rf"\b{re.escape(council.slug)}\b", text), council.slug
    assert "education" not in text
    assert not re.search(r"\bemploi\b", text)
