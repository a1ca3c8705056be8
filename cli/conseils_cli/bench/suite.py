"""The whole benchmark: every scenario beside its raw baseline, in one run.

Sizes: ``Sizes.quick()`` (under five minutes on a 2-core machine) and ``Sizes.full()``
(the sizes of issue 9); ``Sizes.tiny()`` keeps the code exercised in the smoke test.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conseils_cli.bench import fanout, http, national, replay, throughput
from conseils_cli.bench.dataset import Member, Scale, generate, write_territory_file
from conseils_cli.bench.kafka_tools import delete_topics, is_own_topic, list_topics, own_name
from conseils_cli.bench.results import Result, summary
from conseils_cli.bench.scenarios import event_hop, raw_kafka_round_trip, raw_smtp_throughput, sample_parts
from conseils_cli.bench.seeders import Databases, seed_meetings, seed_notifications, seed_registry
from conseils_cli.bench.wrk import Load, ensure_wrk

Progress = Callable[[str, int, int], None]
SMTP_CONNECTIONS = 4


@dataclass(frozen=True)
class Sizes:
    hop_events: int
    hop_rate: float
    fanout_members: int
    consumer_events: int
    scale: Scale
    http: Load
    digest_members: int
    replay_fraction: float = 1.0  # of ``scale``, for the rebuild of the meetings read model

    @classmethod
    def quick(cls) -> Sizes:
        # National data is cheap to seed (about 10 s on SQLite), so quick mode keeps it for
        # the bilan and the pages; the costly scenarios (fan-out, consumers, digest) shrink.
        return cls(200, 50.0, 1_000, 1_000, Scale.national(), Load(seconds=5, warmup_seconds=2), 10_000, 0.1)

    @classmethod
    def full(cls) -> Sizes:
        return cls(2_000, 100.0, 10_000, 10_000, Scale.national(), Load(seconds=10, warmup_seconds=3), 40_000)

    @classmethod
    def tiny(cls) -> Sizes:
        # A smoke test: every code path once, no figure compared; no warm-up, and the bilans answer
        # in milliseconds at this size, so they get the load's own second.
        tiny_load = Load(seconds=1, warmup_seconds=0, connections=8, timeout_seconds=10, slow_min_seconds=1)
        return cls(5, 20.0, 10, 20, Scale.national().scaled(0.004), tiny_load, 20)


def _digest_members(data_members: list[Member], count: int) -> list[Member]:
    """``count`` members with deferred items: the dataset's, then more of the same councils."""
    members = list(data_members[:count])
    index = 0
    while len(members) < count:
        model = data_members[index % len(data_members)]
        members.append(
            Member(
                id=uuid.uuid5(model.id, f"digest-{index}"),
                council_id=model.council_id,
                role="member",
                themes=[],
                name=f"Membre supplémentaire {index + 1}",
                email=f"extra{index + 1}@bench.example",
            )
        )
        index += 1
    return members


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def http_results(
    figures: dict[str, dict[str, Any]], trivial: dict[str, float], load: Load, database: str
) -> list[Result]:
    """Three rows per endpoint: p50 and p99 beside the trivial endpoint's, throughput beside its."""
    rows = []
    label = f"FastAPI trivial, même uvicorn, même wrk ({load.connections} clients)"
    for key, ours in figures.items():
        details = {
            "path": ours["path"],
            "server": ours["server"],
            "requests": int(ours["count"]),
            "errors": int(ours["errors"]),
            "timeouts": int(ours["timeouts"]),
            "req_per_s": round(ours["per_second"], 1),
            "trivial_req_per_s": round(trivial["per_second"], 1),
            "clients": load.connections,
            "seconds": load.seconds,
            "settle_seconds": ours["settle_seconds"],
            "cpu_ms_per_request": ours.get("cpu_ms_per_request"),  # per server process
            "peak_rss_mib": ours.get("peak_rss_mib"),  # each server after the whole load (< 200 MB)
        }
        if ours.get("latency_lower_bound"):
            details["latency_lower_bound"] = True  # no answer within the run: latency ≥ its length
        for quantile in ("p50", "p99"):
            rows.append(
                Result(
                    scenario=f"http_{key}_{quantile}_{database}",
                    value=round(ours[quantile], 1),
                    unit="ms",
                    baseline=round(trivial[quantile], 1),
                    baseline_label=label,
                    higher_is_better=False,
                    details=details,
                    target=100.0 if quantile == "p99" else None,
                    target_label="p99 < 100 ms" if quantile == "p99" else "",
                )
            )
        rows.append(
            Result(
                scenario=f"http_{key}_throughput_{database}",
                value=round(ours["per_second"], 1),
                unit="req/s",
                baseline=round(trivial["per_second"], 1),
                baseline_label=label,
                details=details,
                target=0.3,
                target_on="ratio",
                target_label="≥ 0,3 × le point d'accès trivial",
            )
        )
    return rows


async def run_all(
    bootstrap: str,
    work_dir: Path,
    *,
    sizes: Sizes,
    database: str = "sqlite",
    postgres_url: str | None = None,
    progress: Progress,
    only: set[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> list[Result]:
    """Every wanted scenario; ``say`` tells what the bench does beyond the progress bar
    (the load generator, its installation, each HTTP endpoint); default: standard error."""
    say = say or _say
    results: list[Result] = []
    databases = Databases(database, work_dir, postgres_url)
    steps = ["hop", "fanout", "consumers", "replay", "seed", "bilan", "digest", "http"]
    wanted = [step for step in steps if only is None or step in only]
    total = len(wanted)

    def step(name: str, label: str) -> bool:
        if name not in wanted:
            return False
        progress(label, wanted.index(name), total)
        return True

    if "http" in wanted:
        ensure_wrk(say)  # before the long scenarios: fail early, in French, without wrk
    topics_before = await list_topics(bootstrap)
    try:
        if step("hop", "Saut d'événement (outbox → Kafka → autre service) et aller-retour aiokafka brut"):
            raw = summary(await raw_kafka_round_trip(bootstrap, sizes.hop_events, sizes.hop_rate))
            hop_databases = [("sqlite", Databases("sqlite", work_dir))]
            if postgres_url:
                hop_databases.append(("postgres", Databases("postgres", work_dir, postgres_url)))
            for kind, hop_db in hop_databases:
                try:
                    tag = uuid.uuid4().hex[:6]
                    ours = summary(
                        await event_hop(
                            bootstrap,
                            await hop_db.url(f"hop-{tag}-producer"),
                            await hop_db.url(f"hop-{tag}-consumer"),
                            sizes.hop_events,
                            sizes.hop_rate,
                        )
                    )
                finally:
                    await hop_db.drop_all()
                for quantile in ("p50", "p99"):
                    results.append(
                        Result(
                            scenario=f"event_hop_{quantile}_{kind}",
                            value=round(ours[quantile] * 1000, 2),
                            unit="ms",
                            baseline=round(raw[quantile] * 1000, 2),
                            baseline_label="aiokafka produce→consume",
                            higher_is_better=False,
                            details={"events": sizes.hop_events, "rate_per_s": sizes.hop_rate},
                            target=1 / 3 if quantile == "p99" else None,
                            target_on="ratio",
                            target_label="p99 ≤ 3 × aller-retour Kafka brut" if quantile == "p99" else "",
                        )
                    )

        if step("fanout", f"Diffusion : une instance, {sizes.fanout_members} membres, jusqu'au puits SMTP"):
            raw_rate = await raw_smtp_throughput(sizes.fanout_members, SMTP_CONNECTIONS, sample_parts())
            ours_fan = await fanout.fan_out(
                bootstrap, databases, work_dir, sizes.fanout_members, SMTP_CONNECTIONS
            )
            results.append(
                Result(
                    scenario=f"fanout_{sizes.fanout_members}_members_{database}",
                    value=round(ours_fan["per_second"], 1),
                    unit="emails/s",
                    baseline=round(raw_rate, 1),
                    baseline_label=f"aiosmtplib direct, {SMTP_CONNECTIONS} connexions, messages équivalents",
                    details={
                        "members": sizes.fanout_members,
                        "seconds": round(ours_fan["seconds"], 2),
                        "staff_request_ms": round(ours_fan["api_ms"], 1),
                        "smtp_connections": SMTP_CONNECTIONS,
                    },
                    target=0.8,
                    target_on="ratio",
                    target_label="≥ 0,8 × débit SMTP brut",
                )
            )

        if step("consumers", "Débit des consommateurs de chaque service (processus séparé, RSS max)"):
            for service in ("meetings", "notifications"):
                ours_tp, raw_tp = await throughput.consumer_throughput(
                    bootstrap, databases, work_dir, service, sizes.consumer_events
                )
                results.append(
                    Result(
                        scenario=f"consumer_throughput_{service}_{database}",
                        value=round(ours_tp["per_second"], 1),
                        unit="events/s",
                        baseline=round(raw_tp["per_second"], 1),
                        baseline_label="consommateur aiokafka brut (mêmes messages)",
                        details={
                            "events": sizes.consumer_events,
                            "event": "MemberJoined",
                            "peak_rss_mib": round(ours_tp["peak_rss_mib"], 1),
                            "raw_peak_rss_mib": round(raw_tp["peak_rss_mib"], 1),
                            "seconds_with_start": round(ours_tp["seconds_total"], 1),
                            "cpu_us_per_event": round(ours_tp["cpu_us_per_event"], 1)
                            if ours_tp.get("cpu_us_per_event")
                            else None,
                            "raw_cpu_us_per_event": round(raw_tp["cpu_us_per_event"], 1)
                            if raw_tp.get("cpu_us_per_event")
                            else None,
                        },
                        target=3000.0,
                        target_label="≥ 3 000 événements/s",
                    )
                )
                results.append(
                    Result(
                        scenario=f"peak_rss_{service}_{database}",
                        value=round(ours_tp["peak_rss_mib"], 1),
                        unit="MiB",
                        baseline=round(raw_tp["peak_rss_mib"], 1),
                        baseline_label="consommateur aiokafka brut (même processus séparé)",
                        higher_is_better=False,
                        details={"during": f"{sizes.consumer_events} MemberJoined consommés"},
                        target=200.0,
                        target_label="< 200 Mo",
                    )
                )

        if step("replay", "Reconstruction du modèle de lecture des rencontres depuis une année d'événements"):
            results.append(
                await replay.replay_year(
                    bootstrap, databases, work_dir, sizes.scale.scaled(sizes.replay_fraction)
                )
            )

        national_needed = any(name in wanted for name in ("bilan", "digest", "http"))
        if national_needed:
            step("seed", "Génération des données nationales (écriture directe dans les bases)")
            data = generate(sizes.scale, slug=own_name("bench-nat-"))
            territory_file = write_territory_file(data, work_dir / f"{data.slug}.yaml")
            meetings_url = await databases.url(f"{data.slug}-meetings")
            notifications_url = await databases.url(f"{data.slug}-notifications")
            await seed_meetings(meetings_url, data)
            registry_url = None
            if "http" in wanted:  # the site's pages also call the registry
                registry_url = await databases.url(f"{data.slug}-registry")
                await seed_registry(registry_url, data)
            await seed_notifications(
                notifications_url, data, digest_members=_digest_members(data.members, sizes.digest_members)
            )
            scale = {
                "councils": sizes.scale.councils,
                "members": sizes.scale.members,
                "instances": len(data.instances),
                "registrations": len(data.registrations),
            }

            if step("bilan", "Bilan d'une année nationale"):
                ours_bilan = await national.bilan_timing(meetings_url, data, territory_file)
                raw_bilan = await national.bilan_raw_sql(meetings_url, data)
                results.append(
                    Result(
                        scenario=f"bilan_year_{database}",
                        value=round(ours_bilan["seconds"], 3),
                        unit="s",
                        baseline=round(raw_bilan, 3),
                        baseline_label="3 agrégats SQL GROUP BY (par conseil seulement)",
                        higher_is_better=False,
                        details={
                            **scale,
                            "held": ours_bilan["held"],
                            "cpu_seconds": round(ours_bilan["cpu_seconds"], 2),
                        },
                        target=2.0,
                        target_label="< 2 s",
                    )
                )

            if step("digest", f"Résumé hebdomadaire pour {sizes.digest_members} membres"):
                raw_digest = await national.digest_raw(notifications_url)
                ours_digest = await national.digest_timing(notifications_url, data, territory_file)
                budget = 120.0 * sizes.digest_members / 40_000
                results.append(
                    Result(
                        scenario=f"digest_{sizes.digest_members}_members_{database}",
                        value=round(ours_digest["seconds"], 3),
                        unit="s",
                        baseline=round(raw_digest["seconds"], 3),
                        baseline_label="1 SELECT + boucle nue + INSERT groupé",
                        higher_is_better=False,
                        details={"members": ours_digest["members"], "items_per_member": 2},
                        target=budget,
                        target_label=f"< {budget:g} s (2 min pour 40 000)",
                    )
                )

            if step("http", f"HTTP (wrk, {sizes.http.connections} clients) : pages du site et API"):
                assert registry_url is not None
                figures, trivial = await http.http_load(
                    {"registry": registry_url, "meetings": meetings_url},
                    data,
                    territory_file,
                    bootstrap,
                    work_dir,
                    load=sizes.http,
                    say=say,
                )
                results.extend(http_results(figures, trivial, sizes.http, database))
    finally:
        await databases.drop_all()
        progress("Suppression des topics du banc d'essai", total, total)
        created = {name for name in await list_topics(bootstrap) - topics_before if is_own_topic(name)}
        await delete_topics(bootstrap, created)
    progress("Terminé", total, total)
    return results
