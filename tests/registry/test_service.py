"""Use cases of the registry on SQLite and PostgreSQL (no broker: the outbox
table shows what would be published)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from conseils_registry import tables as t
from conseils_registry.commands import MemberChange, MemberJoin
from conseils_registry.domain import council_id_for
from conseils_registry.seed import seed_territory
from conseils_runtime.http import DomainError
from conseils_runtime.territory import TerritoryConfig
from tests.registry.conftest import Registry

pytestmark = pytest.mark.postgres

FRANC_MOISIN = council_id_for("plaine-commune", "saint-denis-franc-moisin")
COURNEUVE = council_id_for("plaine-commune", "courneuve-4000")


async def test_seeding_twice_changes_nothing_and_publishes_nothing(
    registry: Registry, demo_territory: TerritoryConfig
) -> None:
    before = await registry.outbox()
    assert [row["type"].rsplit(".", 2)[-2] for row in before].count("registered") == 20
    assert sum(1 for row in before if row["type"].endswith("member.joined.v1")) == 8
    assert sum(1 for row in before if row["type"].endswith("contact_card.v1")) == 8
    assert sum(1 for row in before if row["type"].endswith("referent.designated.v1")) == 8

    report = await seed_territory(registry.runtime, demo_territory)

    assert not report.changed
    assert report.events == 0
    assert report.unchanged["councils"] == 20
    assert "Rien à faire" in report.summary_fr()
    assert await registry.outbox() == before
    async with registry.service.units.reading() as repo:
        councils = await repo.councils()
        assert {council.id for council in councils} == {
            council_id_for("plaine-commune", council.slug) for council in demo_territory.councils
        }
        assert len(await repo.members()) == 8


async def test_a_changed_council_name_is_updated_once(
    registry: Registry, demo_territory: TerritoryConfig
) -> None:
    councils = [
        council.model_copy(update={"name": "Conseil citoyen du Franc-Moisin"})
        if council.slug == "saint-denis-franc-moisin"
        else council
        for council in demo_territory.councils
    ]
    changed = demo_territory.model_copy(update={"councils": councils})
    report = await seed_territory(registry.runtime, changed)
    assert report.updated == {"councils": 1}
    assert report.events == 1
    last = (await registry.outbox())[-1]
    assert last["type"] == "fr.conseils.registry.council.updated.v1"
    assert last["payload"]["name"] == "Conseil citoyen du Franc-Moisin"
    assert last["payload"]["city"] is None  # unchanged fields stay null
    assert not (await seed_territory(registry.runtime, changed)).changed


async def test_designating_a_referent_replaces_the_previous_one_and_keeps_history(registry: Registry) -> None:
    service = registry.service
    async with service.units.reading() as repo:
        current = await repo.active_referent(FRANC_MOISIN, "emploi")
    fatou = await registry.member_named(FRANC_MOISIN, "Fatou Sow")
    assert current is not None

    assert await service.designate_referent(FRANC_MOISIN, "emploi", fatou.id) is True
    assert await service.designate_referent(FRANC_MOISIN, "emploi", fatou.id) is False  # already referent

    async with service.units.reading() as repo:
        history = [
            r for r in await repo.referents(council_id=FRANC_MOISIN, active_only=False) if r.theme == "emploi"
        ]
    assert [(r.member_id, r.end_reason) for r in history] == [
        (current.member_id, "replaced"),
        (fatou.id, None),
    ]
    types = [row["type"] for row in (await registry.outbox())[-2:]]
    assert types == [
        "fr.conseils.registry.referent.withdrawn.v1",
        "fr.conseils.registry.referent.designated.v1",
    ]


async def test_a_referent_must_be_an_active_member_of_that_council(registry: Registry) -> None:
    sophie = await registry.member_named(COURNEUVE, "Sophie Nguyen")
    with pytest.raises(DomainError, match="membre de ce conseil"):
        await registry.service.designate_referent(FRANC_MOISIN, "sante", sophie.id)
    await registry.service.leave_member(sophie.id)
    with pytest.raises(DomainError, match="membre actif"):
        await registry.service.designate_referent(COURNEUVE, "sante", sophie.id)


async def test_a_member_who_leaves_loses_referent_roles_and_staff_are_alerted(registry: Registry) -> None:
    service = registry.service
    mamadou = await registry.member_named(COURNEUVE, "Mamadou Traoré")
    seq_before = len(await registry.outbox())

    left = await service.leave_member(mamadou.id)

    today = service.today()
    assert left.left_on == today
    async with service.units.reading() as repo:
        assert await repo.referents(council_id=COURNEUVE) == []
        ended = await repo.referents(member_id=mamadou.id, active_only=False)
    assert {(r.theme, r.until, r.end_reason) for r in ended} == {
        ("emploi", today, "member_left"),
        ("tranquillite", today, "member_left"),
    }
    new = (await registry.outbox())[seq_before:]
    types = [row["type"].removeprefix("fr.conseils.registry.") for row in new]
    assert types == [
        "referent.withdrawn.v1",
        "theme.left_without_referent.v1",
        "referent.withdrawn.v1",
        "theme.left_without_referent.v1",
        "member.left.v1",
    ]
    alerts = [row for row in new if "left_without_referent" in row["type"]]
    assert {row["payload"]["theme"] for row in alerts} == {"emploi", "tranquillite"}
    assert all(row["key"] == str(COURNEUVE) for row in alerts)
    with pytest.raises(DomainError, match="a quitté le conseil"):
        await service.leave_member(mamadou.id)


async def test_withdrawing_a_referent_raises_the_theme_without_referent_alert(registry: Registry) -> None:
    await registry.service.withdraw_referent(FRANC_MOISIN, "habitat")
    last = (await registry.outbox())[-2:]
    assert [row["type"] for row in last] == [
        "fr.conseils.registry.referent.withdrawn.v1",
        "fr.conseils.registry.theme.left_without_referent.v1",
    ]
    assert last[0]["payload"]["reason"] == "withdrawn"
    with pytest.raises(DomainError, match="pas de référent"):
        await registry.service.withdraw_referent(FRANC_MOISIN, "habitat")


async def test_dissolving_a_council_makes_its_members_leave_without_alerts(registry: Registry) -> None:
    seq_before = len(await registry.outbox())
    council = await registry.service.dissolve_council(COURNEUVE)
    assert council.dissolved_on == registry.service.today()
    types = [
        row["type"].removeprefix("fr.conseils.registry.") for row in (await registry.outbox())[seq_before:]
    ]
    assert types.count("member.left.v1") == 2
    assert types.count("referent.withdrawn.v1") == 2
    assert "theme.left_without_referent.v1" not in types
    assert types[-1] == "council.dissolved.v1"
    with pytest.raises(DomainError, match="dissous"):
        await registry.service.join_member(
            MemberJoin(council_id=COURNEUVE, display_name="Nouvelle Personne", email="np@demo.example")
        )


async def test_an_active_member_cannot_join_the_same_council_twice(registry: Registry) -> None:
    with pytest.raises(DomainError, match="déjà membre actif"):
        await registry.service.join_member(
            MemberJoin(council_id=FRANC_MOISIN, display_name="Aïcha D.", email="Aicha.Diallo@demo.example")
        )
    async with registry.runtime.database.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(t.members))
    assert count == 8


async def test_the_database_refuses_a_second_active_referent_for_a_theme(registry: Registry) -> None:
    async with registry.service.units.reading() as repo:
        current = await repo.active_referent(FRANC_MOISIN, "emploi")
    marc = await registry.member_named(FRANC_MOISIN, "Marc Lefèvre")
    assert current is not None
    with pytest.raises(IntegrityError):
        async with registry.runtime.database.sessionmaker() as session, session.begin():
            await session.execute(
                insert(t.referents).values(
                    id=uuid.uuid4(),
                    council_id=FRANC_MOISIN,
                    theme="emploi",
                    member_id=marc.id,
                    since=current.since,
                )
            )


async def test_member_changes_publish_only_what_changed(registry: Registry) -> None:
    fatou = await registry.member_named(FRANC_MOISIN, "Fatou Sow")
    assert fatou.drawn_by_lot
    before = len(await registry.outbox())

    same = await registry.service.update_member(fatou.id, MemberChange(role="member"))
    assert same == fatou
    assert len(await registry.outbox()) == before  # nothing changed, nothing published

    changed = await registry.service.update_member(fatou.id, MemberChange(college="acteurs_locaux"))
    assert (changed.college, changed.drawn_by_lot) == ("acteurs_locaux", False)
    (event,) = (await registry.outbox())[before:]
    assert event["type"] == "fr.conseils.registry.member.updated.v1"
    assert event["payload"] == {
        "member_id": str(fatou.id),
        "council_id": str(FRANC_MOISIN),
        "college": "acteurs_locaux",
        "drawn_by_lot": False,
        "role": None,
        "themes_followed": None,
    }
