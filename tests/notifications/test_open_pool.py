"""An open pool (vivier ouvert, the territory file's participation scenario): a thematic
committee invites every member of the concerned councils, not only the theme's referents and
followers; the same committee under referent per theme is unchanged. The service decides from
the instance's type and date."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from conseils_notifications.domain import InstanceView, invitation_recipients
from tests.notifications.test_domain import DIRECTORY, named


def test_an_open_pool_invites_every_member_of_the_concerned_councils() -> None:
    pool = InstanceView(uuid.uuid4(), "theme", "emploi", None, (), open_pool=True)
    assert named(invitation_recipients(pool, DIRECTORY)) == dict.fromkeys(
        ("aicha", "marc", "fatou", "karim", "julie", "nadia"), "council_member"
    )
    by_referent = InstanceView(uuid.uuid4(), "theme", "emploi", None, ())
    assert set(named(invitation_recipients(by_referent, DIRECTORY))) == {"aicha", "julie", "fatou", "karim"}


def test_the_service_reads_the_scenario_of_the_instance_date() -> None:
    from conseils_notifications.invitations import Invitations
    from conseils_notifications.records import InstanceRecord
    from conseils_runtime.registry_view import RegistryView
    from conseils_runtime.territory import default_territory_path, load_territory

    class Probe(Invitations):
        def __init__(self) -> None:  # only what open_pool reads
            self.territory = load_territory(default_territory_path())
            self.registry_view = RegistryView(None, "Europe/Paris")  # type: ignore[arg-type]

    def row(starts_at: datetime) -> InstanceRecord:
        return InstanceRecord(
            uuid.uuid4(), "comite-technique", "Comité", "emploi", None, "theme", (), starts_at, starts_at,
            "Mairie", 0, "scheduled", None,
        )  # fmt: skip

    probe = Probe()  # the demo: referent per theme, an open pool from 1 May 2026 (Paris)
    assert probe.open_pool(row(datetime(2026, 5, 12, 16, 30, tzinfo=UTC))) is True
    assert probe.open_pool(row(datetime(2026, 4, 30, 22, 30, tzinfo=UTC))) is True  # 1 May in Paris
    assert probe.open_pool(row(datetime(2026, 4, 28, 16, 30, tzinfo=UTC))) is False
