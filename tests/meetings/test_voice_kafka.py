"""The councils' voice on the real broker: registry facts arrive by Kafka, staff submit two
projects to a comité de programmation, a council's coordinator gives its opinions (one replaced
before the deadline), the instance is held, staff record the decisions and publish the minutes;
the facts are on `meetings.voice` keyed by the instance, and a database rebuilt from the log
alone gives the same opinions, decisions and bilan figures."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from conseils_meetings.app import create_app
from conseils_meetings.replay import read_log, rebuild
from conseils_meetings.reports import load_bilan
from conseils_meetings.repository import Repository
from conseils_meetings.service import MeetingsService
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_schemas import CouncilRegistered, MemberJoined, topic_name
from conseils_schemas.events import CouncilOpinionGiven, ProjectDecided, ProjectSubmitted

from .conftest import NOW, STAFF, Clock, auth, meetings_settings
from .test_api import EVENING, instance_body
from .test_flow_kafka import publish_as_registry, read_events, wait_for_member

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PERIOD = (date(2027, 1, 1), date(2027, 12, 31))


async def test_opinions_and_decisions_survive_a_replay(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    council_id, coordinator_id = uuid.uuid4(), uuid.uuid4()
    await publish_as_registry(
        kafka_bootstrap,
        territory,
        [
            CouncilRegistered(
                council_id=council_id,
                territory=territory,
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="Franc-Moisin",
                name="Conseil citoyen Franc-Moisin",
            ),
            MemberJoined(
                member_id=coordinator_id,
                council_id=council_id,
                college="habitants",
                role="coordinator",
                joined_on=date(2026, 9, 1),
            ),
        ],
    )
    settings = meetings_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}",
        tmp_path,
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings)
    service: MeetingsService = app.state.service
    clock = Clock(NOW)
    service.clock = clock
    me = auth("coordinator", coordinator_id)
    async with app.router.lifespan_context(app):
        await wait_for_member(service, coordinator_id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            scheduled = await client.post(
                "/instances", json=instance_body("comite-programmation", EVENING), headers=STAFF
            )
            assert scheduled.status_code == 201, scheduled.text
            iid = scheduled.json()["id"]
            ids = []
            for title, amount in (("Jardin partagé", 12_000), ("Chantier d'insertion", 30_000)):
                clock.advance(minutes=1)
                project = await client.post(
                    f"/instances/{iid}/projects",
                    json={
                        "title": title,
                        "promoter": "Association du quartier",
                        "amount_requested_euros": amount,
                    },
                    headers=STAFF,
                )
                assert project.status_code == 201, project.text
                ids.append(project.json()["id"])
            for pid, stance in ((ids[0], "reserve"), (ids[0], "favourable"), (ids[1], "defavorable")):
                clock.advance(minutes=1)
                given = await client.put(
                    f"/instances/{iid}/projects/{pid}/opinion",
                    json={"stance": stance, "text": f"Avis {stance} du conseil."},
                    headers=me,
                )
                assert given.status_code == 200, given.text
            clock.now = EVENING + timedelta(hours=3)
            await client.post(f"/instances/{iid}/attendance", json={"present_member_ids": []}, headers=STAFF)
            for pid, decision in ((ids[0], "retenu"), (ids[1], "refuse")):
                decided = await client.put(
                    f"/instances/{iid}/projects/{pid}/decision", json={"decision": decision}, headers=STAFF
                )
                assert decided.status_code == 200, decided.text
            minutes = await client.post(
                f"/instances/{iid}/minutes", json={"summary": "Deux projets."}, headers=STAFF
            )
            assert minutes.status_code == 200, minutes.text
            records = await read_events(kafka_bootstrap, [topic_name(territory, "meetings.voice")], 7)
            async with service.database.sessionmaker() as session:
                live = await load_bilan(session, settings.territory_config, *PERIOD)
                live_projects = await Repository(session).projects_of([uuid.UUID(iid)])

    kinds = [dict(r.headers)["ce_type"].decode() for r in records]
    assert kinds.count(ProjectSubmitted.event_type) == 2
    assert kinds.count(CouncilOpinionGiven.event_type) == 3
    assert kinds.count(ProjectDecided.event_type) == 2
    assert {r.key for r in records} == {iid.encode()}
    assert live.as_dict()["opinions_by_council"][0] | {"council_id": ""} == {
        "council_id": "",
        "label": "Conseil citoyen Franc-Moisin",
        "given": 2,
        "favourable": 1,
        "reserve": 0,
        "defavorable": 1,
        "decided": 2,
        "followed": 2,
    }

    rebuilt = Database(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await rebuilt.create_all(metadata)
        await rebuild(rebuilt, settings.territory_config, await read_log(kafka_bootstrap, territory))
        async with rebuilt.sessionmaker() as session:
            replayed = await load_bilan(session, settings.territory_config, *PERIOD)
            replayed_projects = await Repository(session).projects_of([uuid.UUID(iid)])
    finally:
        await rebuilt.dispose()
    assert replayed.as_dict() == live.as_dict()
    assert replayed_projects == live_projects
