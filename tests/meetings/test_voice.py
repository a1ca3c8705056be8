"""The councils' voice through the meetings API (SQLite and PostgreSQL): staff submit two
projects to a comité de programmation, a council's coordinator and its referent (delegate) give
opinions before the deadline (a second one replaces the first, as a new fact), each refusal has
its French reason, staff record the decisions with the minutes, the bilan counts the opinions
given and followed, and applying the outbox's facts to an empty database gives the same
opinions and bilan figures. The coordinator's participation choices raise a staff alert."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from conseils_meetings import projection, tables
from conseils_meetings.reports import load_bilan
from conseils_meetings.repository import Repository
from conseils_runtime import Database
from conseils_schemas import CouncilRegistered, MemberJoined, parse_event

from .conftest import STAFF, Harness, apply_fact, auth
from .test_api import EVENING, schedule

PERIOD = (date(2027, 1, 1), date(2027, 12, 31))


async def add_coordinator(h: Harness, council: str) -> uuid.UUID:
    member_id = uuid.uuid4()
    async with h.service.database.sessionmaker() as session, session.begin():
        await apply_fact(
            MemberJoined(
                member_id=member_id,
                council_id=h.world.councils[council],
                college="habitants",
                role="coordinator",
                joined_on=date(2026, 1, 1),
            ),
            session,
        )
    return member_id


def coordinator(member_id: uuid.UUID) -> dict[str, str]:
    return auth("coordinator", member_id)


async def submit(h: Harness, iid: str, title: str, theme: str, amount: int) -> dict[str, Any]:
    response = await h.client.post(
        f"/instances/{iid}/projects",
        json={
            "title": title,
            "promoter": "Association Les Jardins partagés",
            "theme": theme,
            "place": "Franc-Moisin, Saint-Denis",
            "amount_requested_euros": amount,
        },
        headers=STAFF,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def opinion(h: Harness, iid: str, pid: str, who: dict[str, str], *answer: str) -> Any:
    stance, text = answer
    return await h.client.put(
        f"/instances/{iid}/projects/{pid}/opinion", json={"stance": stance, "text": text}, headers=who
    )


async def test_opinions_decisions_minutes_and_bilan(harness: Harness, tmp_path: Path) -> None:
    h = harness
    boss = await add_coordinator(h, "franc-moisin")
    instance = await schedule(h, "comite-programmation", EVENING)
    iid = instance["id"]
    garden = await submit(h, iid, "Jardin partagé du Franc-Moisin", "habitat", 12_000)
    h.clock.advance(minutes=5)
    jobs = await submit(h, iid, "Chantier d'insertion", "emploi", 30_000)
    assert garden["opinion_deadline"].startswith((EVENING - timedelta(days=3)).date().isoformat())
    assert garden["opinions_open"] is True

    first = await opinion(h, iid, garden["id"], coordinator(boss), "reserve", "À préciser.")
    assert first.status_code == 200, first.text
    replaced = await opinion(h, iid, garden["id"], coordinator(boss), "favourable", "Le conseil soutient.")
    assert replaced.json()["opinions"] == [
        {
            "council_id": str(h.world.councils["franc-moisin"]),
            "stance": "favourable",
            "text": "Le conseil soutient.",
            "given_at": replaced.json()["opinions"][0]["given_at"],
            "revisions": 2,
        }
    ]
    # the referent for the project's theme gives the council's opinion as its delegate
    delegate = await opinion(h, iid, jobs["id"], h.member("franc-moisin-0"), "defavorable", "Trop cher.")
    assert delegate.status_code == 200, delegate.text

    # refusals, each with its reason
    plain = await opinion(h, iid, garden["id"], h.member("franc-moisin-1"), "favourable", "Oui")
    assert plain.status_code == 403
    assert "coordinatrice ou son coordinateur" in plain.json()["detail"]
    not_referent_here = await opinion(h, iid, garden["id"], h.member("franc-moisin-0"), "favourable", "Oui")
    assert not_referent_here.status_code == 403  # referent for emploi, not for habitat
    too_long = await opinion(h, iid, garden["id"], coordinator(boss), "favourable", "x" * 2001)
    assert too_long.status_code == 422
    # a council registered after the instance was scheduled is not concerned by it
    newcomer = uuid.uuid4()
    async with h.service.database.sessionmaker() as session, session.begin():
        await apply_fact(
            CouncilRegistered(
                council_id=newcomer,
                territory="test",
                city="Saint-Denis",
                city_code="93066",
                neighbourhood="QPV",
                name="Conseil citoyen nouveau",
            ),
            session,
        )
        await apply_fact(
            MemberJoined(
                member_id=(outsider := uuid.uuid4()),
                council_id=newcomer,
                college="habitants",
                role="coordinator",
                joined_on=date(2026, 1, 1),
            ),
            session,
        )
    foreign = await opinion(h, iid, garden["id"], coordinator(outsider), "favourable", "Nous aussi.")
    assert foreign.status_code == 422
    assert "n'est pas concerné" in foreign.json()["detail"]
    # an instance type whose territory file takes no opinions
    clip = await h.client.post(
        "/instances",
        json={
            "instance_type": "clip",
            "title": "CLIP Aubervilliers",
            "starts_at": (EVENING + timedelta(days=10)).isoformat(),
            "ends_at": (EVENING + timedelta(days=10, hours=2)).isoformat(),
            "location": "Mairie",
            "city_code": "93001",
        },
        headers=STAFF,
    )
    assert clip.status_code == 201, clip.text
    refused_type = await h.client.post(
        f"/instances/{clip.json()['id']}/projects",
        json={"title": "Projet", "promoter": "Asso", "amount_requested_euros": 1},
        headers=STAFF,
    )
    assert refused_type.status_code == 422
    assert "ne recueillent pas l'avis" in refused_type.json()["detail"]
    h.clock.now = EVENING - timedelta(days=3)
    late = await opinion(h, iid, garden["id"], coordinator(boss), "defavorable", "Finalement non.")
    assert late.status_code == 422
    assert "trop tard" in late.json()["detail"]

    # decisions, once the instance is held, then the minutes
    h.clock.now = EVENING + timedelta(hours=3)
    too_early = await h.client.put(
        f"/instances/{iid}/projects/{garden['id']}/decision", json={"decision": "retenu"}, headers=STAFF
    )
    assert too_early.status_code == 422
    held = await h.client.post(f"/instances/{iid}/attendance", json={"present_member_ids": []}, headers=STAFF)
    assert held.status_code == 200, held.text
    for project, decision, amount in ((garden, "retenu", 10_000), (jobs, "refuse", None)):
        decided = await h.client.put(
            f"/instances/{iid}/projects/{project['id']}/decision",
            json={"decision": decision, "amount_granted_euros": amount, "note": "Vote du comité."},
            headers=STAFF,
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["decision"] == decision
    assert (
        await h.client.post(f"/instances/{iid}/minutes", json={"summary": "Deux projets."}, headers=STAFF)
    ).status_code == 200
    listed = (await h.client.get(f"/instances/{iid}/projects", headers=h.member("floreal-1"))).json()
    assert [(p["title"], p["decision"], p["amount_granted_euros"]) for p in listed] == [
        ("Jardin partagé du Franc-Moisin", "retenu", 10_000),
        ("Chantier d'insertion", "refuse", None),
    ]

    async with h.service.database.sessionmaker() as session:
        live = await load_bilan(session, h.service.territory, *PERIOD)
    figures = live.as_dict()["opinions_by_council"]
    assert figures == [
        {
            "council_id": str(h.world.councils["franc-moisin"]),
            "label": "Conseil citoyen franc-moisin",
            "given": 2,
            "favourable": 1,
            "reserve": 0,
            "defavorable": 1,
            "decided": 2,
            "followed": 2,
        }
    ]

    # the same opinions and figures on a database rebuilt from the facts alone
    kinds = [kind for kind, _ in await h.outbox()]
    assert kinds.count("opinion.given") == 3  # the replaced one is a fact of its own
    rebuilt = Database(f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}")
    try:
        await rebuilt.create_all(tables.metadata)
        async with rebuilt.sessionmaker() as session, session.begin():
            await _replay_outbox(h, session)
        async with rebuilt.sessionmaker() as session:
            replayed = await load_bilan(session, h.service.territory, *PERIOD)
            again = await Repository(session).projects_of([uuid.UUID(iid)])
    finally:
        await rebuilt.dispose()
    assert replayed.as_dict() == live.as_dict()
    async with h.service.units.reading() as repo:
        assert again == await repo.projects_of([uuid.UUID(iid)])


async def _replay_outbox(h: Harness, session: Any) -> None:
    """The registry facts the harness seeded, then every fact of the outbox, in order."""
    async with h.service.database.sessionmaker() as live:
        for table in (tables.councils, tables.members, tables.member_periods, tables.referent_terms):
            rows = [dict(row) for row in (await live.execute(select(table))).mappings()]
            if rows:
                await session.execute(table.insert(), rows)
        outbox = h.runtime.tables.outbox
        records = (await live.execute(select(outbox).order_by(outbox.c.seq))).mappings().all()
    for row in records:
        headers = dict(row["headers"])
        event = parse_event(headers["ce_type"], row["payload"])
        at = datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00"))
        await projection.apply(session, event, at, h.service.territory)


async def test_an_older_opinion_arriving_late_changes_nothing(harness: Harness) -> None:
    h = harness
    boss = await add_coordinator(h, "floreal")
    iid = (await schedule(h, "comite-programmation", EVENING))["id"]
    project = await submit(h, iid, "Fête de quartier", "habitat", 2_000)
    await opinion(h, iid, project["id"], coordinator(boss), "reserve", "Premier avis.")
    h.clock.advance(hours=1)
    await opinion(h, iid, project["id"], coordinator(boss), "favourable", "Second avis.")
    given = [p for k, p in await h.outbox() if k == "opinion.given"]
    async with h.service.database.sessionmaker() as session, session.begin():
        from conseils_schemas.events import CouncilOpinionGiven

        await projection.apply(
            session, CouncilOpinionGiven.model_validate(given[0]), h.clock(), h.service.territory
        )
    shown = (await h.client.get(f"/instances/{iid}/projects", headers=STAFF)).json()[0]["opinions"]
    assert [(o["stance"], o["revisions"]) for o in shown] == [("favourable", 2)]


async def test_participation_choices_raise_a_staff_alert(harness: Harness) -> None:
    h = harness
    boss = await add_coordinator(h, "villette")
    council = h.world.councils["villette"]
    url = f"/councils/{council}/participation/comite-technique"
    chosen = await h.client.put(url, json={"choice": "observer"}, headers=coordinator(boss))
    assert chosen.status_code == 200, chosen.text
    assert [(c["instance_type"], c["choice"]) for c in chosen.json()] == [("comite-technique", "observer")]
    same = await h.client.put(url, json={"choice": "observer"}, headers=coordinator(boss))
    assert same.status_code == 200
    await h.client.put(url, json={"choice": "none"}, headers=coordinator(boss))
    plain = await h.client.put(url, json={"choice": "participant"}, headers=h.member("villette-1"))
    assert plain.status_code == 403
    alerts = [p for k, p in await h.outbox() if k == "alerts.staff_alert.raised"]
    assert [a["kind"] for a in alerts] == ["participation_changed", "participation_changed"]
    assert "Observer → Ne pas y aller" in alerts[1]["message_fr"]
    seen = (await h.client.get("/participation-choices", headers=STAFF)).json()
    assert [(c["council_id"], c["choice"]) for c in seen] == [(str(council), "none")]
