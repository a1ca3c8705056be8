"""The public open-data pages of the site (issue 16), fed with real CloudEvents records as the
site's reader receives them from Kafka: the page, the JSON-LD and the CSV, no personal data,
a footer link on every page, 503 until the replay has caught up."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

import conseils_schemas as cs
from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.open_data_pages import OpenDataFeed
from tests.web.helpers import build_site

COUNCIL = uuid.uuid4()
STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


def publish(feed: OpenDataFeed, event: cs.Event) -> bool:
    meta = cs.EventMetadata.for_event(event, source="/conseils/test/meetings")
    return feed.apply(cs.to_kafka_headers(meta), event.to_json_bytes())


def fed_site(tmp_path: Path) -> tuple[FastAPI, str]:
    app = build_site(tmp_path)
    feed: OpenDataFeed = app.state.open_data
    instance = uuid.uuid4()
    registered = cs.CouncilRegistered(
        council_id=COUNCIL,
        territory="plaine-commune",
        city="Saint-Denis",
        city_code="93066",
        neighbourhood="Franc-Moisin",
        name="Conseil citoyen Franc-Moisin",
    )
    assert publish(feed, registered)
    assert publish(
        feed,
        cs.InstanceScheduled(
            instance_id=instance,
            instance_type="copil",
            title="Comité de pilotage <annuel>",
            city_code="93066",
            council_ids=[COUNCIL],
            scope="territory",
            starts_at=STARTS,
            ends_at=STARTS + timedelta(hours=2),
            location="Hôtel de ville",
            is_political=True,
            is_evening=True,
        ),
    )
    moved = cs.InstanceRescheduled(
        instance_id=instance,
        starts_at=STARTS + timedelta(days=2),
        ends_at=STARTS + timedelta(days=2, hours=2),
        location="Bourse du travail",
        previous_starts_at=STARTS,
        sequence=1,
    )
    assert publish(feed, moved)
    assert not publish(feed, moved)  # a redelivery changes nothing
    assert not feed.apply([(cs.TYPE_HEADER, moved.event_type.encode())], b"{not json")  # skipped
    feed.ready = True
    return app, str(instance)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_files_say_what_happened_and_nothing_personal(tmp_path: Path) -> None:
    app, instance = fed_site(tmp_path)
    async with client(app) as http:
        linked = await http.get("/donnees-ouvertes/agenda.jsonld")
        table = await http.get("/donnees-ouvertes/agenda.csv")
        page = await http.get("/donnees-ouvertes")
    assert linked.status_code == 200
    assert linked.headers["content-type"].startswith("application/ld+json")
    assert linked.headers["access-control-allow-origin"] == "*"
    [event] = json.loads(linked.text)["@graph"]
    assert event["eventStatus"] == "https://schema.org/EventRescheduled"
    assert len(event["previousStartDate"]) == 1
    assert event["audience"] == [{"@type": "Audience", "name": "Conseil citoyen Franc-Moisin"}]
    assert event["url"] == f"http://127.0.0.1:8000/donnees-ouvertes#instance-{instance}"
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    [row] = list(csv.DictReader(io.StringIO(table.text)))
    assert row["statut"] == "déplacée"
    assert row["conseils concernés"] == "Conseil citoyen Franc-Moisin"
    assert page.status_code == 200
    assert (
        '<link rel="alternate" type="application/ld+json" href="/donnees-ouvertes/agenda.jsonld"' in page.text
    )
    assert f'id="instance-{instance}"' in page.text
    assert "Licence Ouverte / Open Licence 2.0" in page.text
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in page.text
    assert "Initialement prévue le" in page.text
    embedded = page.text.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert json.loads(embedded)["@graph"][0]["name"] == "Comité de pilotage <annuel>"
    assert "<annuel>" not in embedded  # no way to close the script element
    territory = load_territory(default_territory_path())
    for body in (linked.text, table.text, page.text):
        for member in territory.demo_members:
            assert member.display_name not in body
            assert member.email not in body
        for person in territory.staff:
            assert person.email not in body


async def test_every_page_links_the_open_data_and_the_files_wait_for_the_replay(tmp_path: Path) -> None:
    app = build_site(tmp_path)
    async with client(app) as http:
        for path in ("/", "/mentions-legales", "/connexion"):
            assert 'href="/donnees-ouvertes"' in (await http.get(path)).text, path
        waiting = await http.get("/donnees-ouvertes/agenda.jsonld")
        page = await http.get("/donnees-ouvertes")
    assert waiting.status_code == 503
    assert waiting.headers["retry-after"] == "10"
    assert "en cours de chargement" in page.text
