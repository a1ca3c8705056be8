"""Smoke tests of the bench's replay scenario (`conseils bench --only replay`) at a tiny size.

They check that the events are the dataset's, that the scenario runs and gives its row with
positive numbers, and that a rebuilt read model that differs from the seeded one is refused —
never a speed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conseils_cli.bench.dataset import Scale, generate
from conseils_cli.bench.kafka_tools import list_topics
from conseils_cli.bench.replay import REPLAY_PREFIX, ReplayMismatch, compare
from conseils_cli.bench.replay_events import year_of_events
from conseils_cli.bench.suite import Sizes, run_all

TINY = Scale.national().scaled(0.004)


def test_the_year_of_events_is_the_dataset_s() -> None:
    data = generate(TINY, slug="bench-replay-events")
    events = year_of_events(data)
    kinds = Counter(type(event).__name__ for _at, _service, event in events)
    held = [i for i in data.instances if i.status == "held"]
    assert kinds["CouncilRegistered"] == len(data.councils)
    assert kinds["MemberJoined"] == len(data.members)
    assert kinds["ReferentDesignated"] == len(data.referents)
    assert kinds["InstanceScheduled"] == len(data.instances)
    assert kinds["InstanceHeld"] == kinds["AttendanceRecorded"] == len(held)
    assert kinds["InstanceCancelled"] == sum(i.status == "cancelled" for i in data.instances)
    assert kinds["RegistrationConfirmed"] == len(data.registrations)
    assert kinds["RegistrationCancelled"] == sum(r.status == "cancelled" for r in data.registrations)
    times = [at for at, _service, _event in events]
    assert times == sorted(times)
    assert len(set(times)) == len(times)  # the replay's order is the order they were built in
    services = {type(event).__name__: service for _at, service, event in events}
    assert services["MemberJoined"] == "registry"
    assert services["RegistrationConfirmed"] == "meetings"


def test_a_rebuilt_read_model_that_differs_is_refused() -> None:
    seeded = {"counts": {"registrations": 20, "attendance": 9}, "totals": {"present": 9}}
    compare(seeded, {"counts": {"registrations": 20, "attendance": 9}, "totals": {"present": 9}})
    with pytest.raises(ReplayMismatch, match=r"counts\.attendance: seeded 9, rebuilt 8"):
        compare(seeded, {"counts": {"registrations": 20, "attendance": 8}, "totals": {"present": 9}})


@pytest.mark.kafka
@pytest.mark.slow
async def test_the_replay_scenario_runs_at_a_tiny_size(kafka_bootstrap: str, tmp_path: Path) -> None:
    before = await list_topics(kafka_bootstrap)
    results = await run_all(
        kafka_bootstrap, tmp_path, sizes=Sizes.tiny(), progress=lambda *_args: None, only={"replay"}
    )
    left = {name for name in await list_topics(kafka_bootstrap) - before if name.startswith(REPLAY_PREFIX)}
    assert not left  # the scenario deletes its territory's topics
    assert [result.scenario for result in results] == ["replay_year_sqlite"]
    (row,) = results
    assert row.unit == "events/s"
    assert row.value > 0
    assert row.baseline is not None
    assert row.baseline > 0
    assert row.ratio is not None
    assert row.target is not None
    assert row.target > 0
    assert row.details["events"] == row.details["published"] > 0
    assert row.details["seconds"] > 0
    assert row.details["peak_rss_mib"] > 0
    assert row.details["raw_peak_rss_mib"] > 0
    assert row.details["same_figures"] is True
