"""Smoke tests of `conseils bench`: every scenario runs at a tiny size and gives its rows.

They check that the rows exist and hold positive numbers — never a speed: figures
depend on the machine and are compared with their targets in docs/performance.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from conseils_cli.bench import wrk
from conseils_cli.bench.dataset import Scale, generate, write_territory_file
from conseils_cli.bench.http import endpoints, trivial_server
from conseils_cli.bench.plot import render_svg
from conseils_cli.bench.results import Result, write_results
from conseils_cli.bench.seeders import Databases, seed_meetings, seed_notifications, seed_registry
from conseils_cli.bench.suite import Sizes, run_all
from conseils_runtime import Database
from conseils_runtime.territory import load_territory

TINY = Scale.national().scaled(0.004)
HTTP_ENDPOINTS = (
    # the site's pages, through the site to the services
    "page_agenda",
    "page_instance_page",
    "page_my_registrations",
    "page_staff_instances",
    "page_bilan_page",
    # the services' APIs beneath them
    "api_meetings_agenda",
    "api_meetings_agenda_page",  # as the /agenda page asks it: one page of the territory
    "api_meetings_instance",
    "api_meetings_my_registrations",
    "api_meetings_my_council",
    "api_meetings_staff_instances",
    "api_meetings_staff_list",  # as the /equipe/instances page asks it: one page, counted
    "api_meetings_staff_month",
    "api_meetings_bilan",
    "api_registry_councils",
    "api_registry_council_members",
)


def test_national_scale_is_the_issue_s() -> None:
    scale = Scale.national()
    assert (scale.councils, scale.members, scale.instances, scale.registrations) == (
        1200,
        25000,
        5000,
        100000,
    )
    assert Scale.national().scaled(0.1).members == 2500


def test_generator_is_seeded() -> None:
    first, second = generate(TINY, slug="bench-a", seed=1), generate(TINY, slug="bench-a", seed=1)
    assert [m.id for m in first.members] == [m.id for m in second.members]
    assert [i.id for i in first.instances] == [i.id for i in second.instances]
    other = generate(TINY, slug="bench-a", seed=2)
    assert [m.id for m in other.members] != [m.id for m in first.members]
    assert len(first.councils) == TINY.councils
    assert len(first.members) == TINY.members
    # registrations: one member at most once per instance, from a concerned council
    pairs = [(r.instance_id, r.member_id) for r in first.registrations]
    assert len(pairs) == len(set(pairs))
    concerned = {i.id: set(i.council_ids) for i in first.instances}
    assert all(r.council_id in concerned[r.instance_id] for r in first.registrations)


def test_every_page_and_api_is_measured() -> None:
    data = generate(TINY, slug="bench-e")
    measured = endpoints(data)
    assert sorted(endpoint.key for endpoint in measured) == sorted(HTTP_ENDPOINTS)
    for endpoint in measured:
        assert endpoint.requests
        header = "Cookie" if endpoint.kind == "page" else "Authorization"
        assert all(header in headers for _path, headers in endpoint.requests), endpoint.key
        assert (endpoint.server == "site") == (endpoint.kind == "page")
    # the bilans come last: wrk leaves slow requests running in the server when it stops
    assert [endpoint.name for endpoint in measured[-2:]] == ["meetings_bilan", "bilan_page"]


def test_wrk_lua_script_and_figures() -> None:
    script = wrk.lua_script([("/agenda", {"Cookie": "conseils_session=a.b"}), ("/x?from=1&to=2", {})])
    assert '{"/agenda", {["Cookie"] = "conseils_session=a.b"}},' in script
    assert "function done(summary, latency, requests)" in script
    with pytest.raises(ValueError, match="ASCII"):
        wrk.lua_script([("/é", {})])
    line = (
        '{"requests":2000,"duration_us":10000000,"bytes":2048000,"connect":0,"read":1,"write":0,'
        '"timeout":2,"status":3,"non200":3,"first_bad_status":502,"p50_us":12000,"p90_us":20000,'
        '"p99_us":45500,"max_us":90000,"mean_us":13000.5}'
    )
    figures = wrk.parse(f"Running 10s test\n{wrk.MARKER}{line}\n")
    assert figures["per_second"] == pytest.approx(200)
    assert (figures["p50"], figures["p99"]) == (12.0, 45.5)
    assert figures["errors"] == 6  # 3 answers that are not 200, 1 read error, 2 timeouts
    assert figures["first_bad_status"] == 502
    with pytest.raises(RuntimeError, match="wrk"):
        wrk.parse("no figures")


def test_without_wrk_the_bench_says_so_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wrk.shutil, "which", lambda _name: None)
    with pytest.raises(wrk.LoadGeneratorMissing, match="apt-get install wrk"):
        wrk.ensure_wrk(lambda _line: None)


def test_only_the_tiny_load_skips_the_warm_up_and_the_slow_minimum() -> None:
    """The smoke test's load measures each endpoint once, without a warm-up run, and the bilans
    (milliseconds at tiny size) for the load's own second; quick and full runs keep both."""
    tiny, quick, full = Sizes.tiny().http, Sizes.quick().http, Sizes.full().http
    assert (tiny.warmup_seconds, tiny.slow_min_seconds) == (0, tiny.seconds)
    assert "sans échauffement" in tiny.describe()
    assert (quick.seconds, quick.warmup_seconds, quick.slow_min_seconds) == (5, 2, 5)
    assert (full.seconds, full.warmup_seconds, full.slow_min_seconds) == (10, 3, 5)
    assert "échauffement 3 s" in full.describe()


@pytest.mark.slow
async def test_wrk_drives_the_trivial_endpoint(tmp_path: Path) -> None:
    """The load generator end to end on the baseline server (1 s, a few connections)."""
    path = wrk.ensure_wrk(print)
    load = wrk.Load(seconds=1, warmup_seconds=1, connections=4, threads=1, timeout_seconds=5)
    async with trivial_server(tmp_path) as server:
        good = await wrk.run(
            path, server.base_url, [("/ping", {"Authorization": "Bearer x"})], load, tmp_path
        )
        bad = await wrk.run(path, server.base_url, [("/nowhere", {})], load, tmp_path)
    assert good["count"] > 0
    assert good["errors"] == 0
    assert good["p99"] >= good["p50"] > 0
    assert bad["errors"] == bad["count"] > 0
    assert bad["first_bad_status"] == 404


def test_territory_file_is_valid(tmp_path: Path) -> None:
    data = generate(TINY, slug="bench-t")
    territory = load_territory(write_territory_file(data, tmp_path / "t.yaml"))
    assert territory.territory.slug == "bench-t"
    assert len(territory.councils) == TINY.councils


def test_result_ratio_and_target() -> None:
    faster = Result(
        "hop", value=10, unit="ms", baseline=5, higher_is_better=False, target=1 / 3, target_on="ratio"
    )
    assert faster.ratio == pytest.approx(0.5)
    assert faster.target_met is True
    slow = Result("bilan", value=8, unit="s", higher_is_better=False, target=5)
    assert slow.target_met is False
    assert slow.ratio is None
    assert Result("x", value=1, unit="u").target_met is None


def test_results_json_and_svg(tmp_path: Path) -> None:
    results = [
        Result(
            "fanout",
            value=40,
            unit="emails/s",
            baseline=100,
            target=0.8,
            target_on="ratio",
            target_label="≥ 0,8",
        ),
        Result(
            "bilan", value=2, unit="s", baseline=0.5, higher_is_better=False, target=5, target_label="< 5 s"
        ),
    ]
    path = tmp_path / "r.json"
    write_results(results, path)
    rows = json.loads(path.read_text())
    assert [row["scenario"] for row in rows] == ["fanout", "bilan"]
    assert {"scenario", "value", "unit", "baseline", "ratio", "machine"} <= set(rows[0])
    assert rows[0]["ratio"] == 0.4
    assert rows[0]["target_met"] is False
    assert rows[1]["target_met"] is True
    svg = render_svg(results)
    assert svg.startswith("<svg")
    assert "fanout" in svg
    assert "bilan" in svg


def test_chart_shows_each_figure_against_its_goal_and_the_bare_library() -> None:
    """A bar for the goal (red when missed), a diamond for the bare library; a figure with only a
    baseline still gets its diamond, one with neither is left out."""
    import xml.etree.ElementTree as ET

    results = [
        Result("fanout", value=40, unit="emails/s", baseline=100, target=0.8, target_on="ratio"),
        Result("hop_p50", value=6, unit="ms", baseline=2, higher_is_better=False),
        Result("alone", value=1, unit="u"),
    ]
    root = ET.fromstring(render_svg(results))  # noqa: S314 (our own output)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    diamonds = [p.find(f"{ns}title").text for p in root.iter(f"{ns}polygon")]  # type: ignore[union-attr]
    assert [b.get("fill") for b in bars] == ["#c0392b"]
    assert sum("ratio 0.400" in (d or "") for d in diamonds) == 1
    assert sum("ratio 0.333" in (d or "") for d in diamonds) == 1
    labels = [t.text for t in root.iter(f"{ns}text")]
    assert "hop_p50" in labels
    assert "alone" not in labels


@pytest.mark.postgres
async def test_seeding_writes_each_service_database(database_url: str, tmp_path: Path) -> None:
    """Bulk inserts through each service's tables, on SQLite and PostgreSQL (one database per service)."""
    data = generate(TINY, slug="bench-seed")
    base = database_url.rpartition("/")[0] + "/postgres" if database_url.startswith("postgresql") else None
    databases = Databases("postgres" if base else "sqlite", tmp_path, base)
    try:
        expected = {"members": TINY.members, "registrations": len(data.registrations)}
        registry = await seed_registry(await databases.url("registry"), data)
        meetings_url = await databases.url("meetings")
        meetings = await seed_meetings(meetings_url, data)
        notifications = await seed_notifications(
            await databases.url("notifications"), data, digest_members=data.members[:10]
        )
        assert registry["members"] == registry["member_contacts"] == TINY.members
        assert meetings["members"] == expected["members"]
        assert meetings["registrations"] == expected["registrations"]
        assert notifications["contacts"] == TINY.members
        assert notifications["digest_deliveries"] == 20
        database = Database(meetings_url)
        try:
            async with database.engine.connect() as connection:
                count = (await connection.execute(text("SELECT count(*) FROM instances"))).scalar_one()
        finally:
            await database.dispose()
        assert count == TINY.instances
    finally:
        await databases.drop_all()


def _check(results: list[Result], expected: list[str]) -> None:
    by_name = {result.scenario: result for result in results}
    assert sorted(by_name) == sorted(expected)
    for result in results:
        assert result.value > 0, result
        assert result.baseline is not None, result
        assert result.baseline > 0, result
        assert result.ratio is not None, result
        assert result.ratio > 0, result


@pytest.mark.kafka
@pytest.mark.slow
async def test_every_scenario_runs_at_a_tiny_size(kafka_bootstrap: str, tmp_path: Path) -> None:
    results = await run_all(kafka_bootstrap, tmp_path, sizes=Sizes.tiny(), progress=lambda *_args: None)
    _check(
        results,
        [
            "event_hop_p50_sqlite",
            "event_hop_p99_sqlite",
            "fanout_10_members_sqlite",
            "consumer_throughput_meetings_sqlite",
            "consumer_throughput_notifications_sqlite",
            "peak_rss_meetings_sqlite",
            "peak_rss_notifications_sqlite",
            "replay_year_sqlite",
            "bilan_year_sqlite",
            "digest_20_members_sqlite",
            *[
                f"http_{name}_{figure}_sqlite"
                for name in HTTP_ENDPOINTS
                for figure in ("p50", "p99", "throughput")
            ],
        ],
    )
    http_rows = [r for r in results if r.scenario.startswith("http_")]
    assert all(r.details["errors"] == 0 for r in http_rows)
    assert all(r.details["requests"] > 0 for r in http_rows)
    assert all(r.details["peak_rss_mib"] > 0 for r in results if r.scenario.startswith("consumer_"))
    assert all(r.unit == "MiB" and r.target == 200.0 for r in results if r.scenario.startswith("peak_rss_"))
    assert all(r.details["cpu_seconds"] >= 0 for r in results if r.scenario.startswith("bilan_"))


@pytest.mark.kafka
@pytest.mark.postgres
async def test_postgres_scenarios_at_a_tiny_size(kafka_bootstrap: str, tmp_path: Path) -> None:
    base = os.environ.get("CONSEILS_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("CONSEILS_TEST_POSTGRES_URL is required for PostgreSQL tests")
    results = await run_all(
        kafka_bootstrap,
        tmp_path,
        sizes=Sizes.tiny(),
        database="postgres",
        postgres_url=base,
        progress=lambda *_args: None,
        only={"hop", "bilan", "digest"},
    )
    _check(
        results,
        [
            "event_hop_p50_sqlite",
            "event_hop_p99_sqlite",
            "event_hop_p50_postgres",
            "event_hop_p99_postgres",
            "bilan_year_postgres",
            "digest_20_members_postgres",
        ],
    )


def test_a_run_deletes_only_the_topics_it_named() -> None:
    """Two benches on one broker: each deletes its own topics at its end, never the other's
    (a bench once deleted a concurrent run's topics because both started with ``bench``)."""
    from conseils_cli.bench.kafka_tools import is_own_topic, own_name

    territory = own_name("bench-tp-meet-")
    raw = own_name("bench-raw-", 8)
    assert is_own_topic(f"{territory}.registry.members")
    assert is_own_topic(f"{territory}.registry.members.dlq")
    assert is_own_topic(raw)
    assert not is_own_topic("bench-tp-meet-0a1b2c.registry.members")  # another run's territory
    assert not is_own_topic(f"{raw}x")
