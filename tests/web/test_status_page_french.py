"""/etat reads as French (new user's report: « database : ok, kafka : ok »): each service's
readiness checks under French names, the same answer the services give on /readyz."""

from __future__ import annotations

from pathlib import Path

import httpx

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.site import ServiceEndpoint, create_site
from tests.support.french_text import visible


def readyz(request: httpx.Request) -> httpx.Response:
    if request.url.host == "down":
        body = {"status": "not ready", "checks": {"database": "indisponible: OSError", "kafka": "ok"}}
        return httpx.Response(503, json=body)
    return httpx.Response(200, json={"status": "ready", "checks": {"database": "ok", "kafka": "ok"}})


async def test_the_status_page_names_checks_in_french(tmp_path: Path) -> None:
    app = create_site(
        load_territory(default_territory_path()),
        [
            ServiceEndpoint("registry", "Registre", "http://up"),
            ServiceEndpoint("meetings", "Instances", "http://down"),
        ],
        None,
        data_dir=tmp_path,
        http_transport=httpx.MockTransport(readyz),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as site:
        text = visible((await site.get("/etat")).text)
    assert "Registre Prêt base de données : ok, Kafka : ok" in text
    assert "Instances Indisponible base de données : indisponible : OSError, Kafka : ok" in text
    assert "database" not in text
    assert "kafka" not in text
