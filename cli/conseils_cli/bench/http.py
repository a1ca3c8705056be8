"""HTTP on national-scale data, measured with a native load generator (wrk, see
:mod:`conseils_cli.bench.wrk`): the pages users load on the site, each going through
the site to the services as in production, and the services' APIs beneath them.

Every server is its own ``python -m …`` process on 127.0.0.1, started the way production
starts it (``python -m conseils_registry``, ``python -m conseils_meetings``, ``python -m
conseils_web``: uvicorn with uvloop and httptools). The baseline is a trivial FastAPI
endpoint served by the same uvicorn, driven by the same wrk in the same run (the processes:
:mod:`conseils_cli.bench.servers`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from conseils_cli.bench import wrk
from conseils_cli.bench.dataset import Dataset
from conseils_cli.bench.servers import SECRET, Server, free_port, service_server, site_server, trivial_server

SESSION_COOKIE = "conseils_session"  # the site's session cookie (conseils_web.security)

Request = tuple[str, dict[str, str]]
# A run may outlast a service token (5 minutes): the bench's tokens are good for an hour, for the
# three services and, carrying a session id, as the site's session cookie too.
TOKENS: dict[str, Any] = {
    "audience": ("site", "registry", "meetings", "notifications"),
    "ttl_seconds": 3600,
    "session_id": "bench",
}


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint: a site page (``kind="page"``) or a service's API call."""

    kind: str
    name: str
    server: str
    requests: list[Request]
    description: str
    connections: int | None = None
    slow: bool = False
    """Seconds per request at national size (the bilans): no wrk warm-up (the check request warms
    it up), since a warm-up would leave ``connections`` requests running into the measurement."""

    @property
    def key(self) -> str:
        return f"{self.kind}_{self.name}"


def endpoints(data: Dataset, seed: int = 7, count: int = 400) -> list[Endpoint]:
    """The measured calls for random councillors (each opening instances of her council) and a staff
    member; the pages first, then the APIs beneath them; the bilans last (they are the slowest)."""
    from conseils_runtime.auth import issue_token

    rng = random.Random(seed)
    members = rng.sample(data.members, min(len(data.members), 200))
    visible = [i for i in data.instances if i.status != "draft"]
    by_council: dict[Any, list[Any]] = defaultdict(list)
    for instance in visible:
        for council_id in instance.council_ids:
            by_council[council_id].append(instance)

    councillors = []
    for member in members:
        token = issue_token(
            SECRET, subject=str(member.id), role="councillor", council_id=member.council_id, **TOKENS
        )
        councillors.append((member, token))
    staff = issue_token(SECRET, subject="bench-staff", role="staff", **TOKENS)

    def cookie(token: str) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={token}"}

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def instance_for(member: Any) -> Any:
        return rng.choice(by_council.get(member.council_id) or visible)

    def each(make: Callable[[Any, str], Request]) -> list[Request]:
        return [make(*rng.choice(councillors)) for _ in range(count)]

    since = f"{(data.now - timedelta(days=90)).date()}T00:00:00Z"
    month_from = data.now.date()
    month = f"from={month_from}T00:00:00Z&to={month_from + timedelta(days=31)}T00:00:00Z"
    year = f"from={data.year_from}&to={data.year_to}"
    return [
        Endpoint("page", "agenda", "site", each(lambda _m, t: ("/agenda", cookie(t))), "/agenda"),
        Endpoint(
            "page",
            "instance_page",
            "site",
            each(lambda m, t: (f"/instances/{instance_for(m).id}", cookie(t))),
            "/instances/{id}",
        ),
        Endpoint(
            "page",
            "my_registrations",
            "site",
            each(lambda _m, t: ("/mes-inscriptions", cookie(t))),
            "/mes-inscriptions",
        ),
        Endpoint(
            "page", "staff_instances", "site", [("/equipe/instances", cookie(staff))], "/equipe/instances"
        ),
        Endpoint(
            "api",
            "meetings_agenda",
            "meetings",
            each(lambda _m, t: ("/instances", bearer(t))),
            "GET /instances",
        ),
        Endpoint(
            "api",
            "meetings_agenda_page",
            "meetings",
            each(lambda _m, t: ("/instances?scope=all&when=upcoming&limit=31", bearer(t))),
            "GET /instances?scope=all&limit=31 (ce que demande la page /agenda)",
        ),
        Endpoint(
            "api",
            "meetings_instance",
            "meetings",
            each(lambda m, t: (f"/instances/{instance_for(m).id}", bearer(t))),
            "GET /instances/{id}",
        ),
        Endpoint(
            "api",
            "meetings_my_registrations",
            "meetings",
            each(lambda _m, t: ("/me/registrations", bearer(t))),
            "GET /me/registrations",
        ),
        Endpoint(
            "api",
            "meetings_my_council",
            "meetings",
            each(lambda m, t: (f"/instances/{instance_for(m).id}/registrations/my-council", bearer(t))),
            "GET /instances/{id}/registrations/my-council",
        ),
        Endpoint(
            "api",
            "meetings_staff_instances",
            "meetings",
            [(f"/instances?from={since}", bearer(staff))],
            "GET /instances?from=(J-90)",
        ),
        Endpoint(
            "api",
            "meetings_staff_list",
            "meetings",
            [(f"/staff/instances?from={since}&limit=50", bearer(staff))],
            "GET /staff/instances?from=(J-90)&limit=50 (ce que demande la page /equipe/instances)",
        ),
        Endpoint(
            "api",
            "meetings_staff_month",
            "meetings",
            [(f"/instances?{month}", bearer(staff))],
            "GET /instances?from=…&to=… (un mois)",
        ),
        Endpoint(
            "api",
            "registry_councils",
            "registry",
            each(lambda _m, t: ("/councils", bearer(t))),
            "GET /councils",
        ),
        Endpoint(
            "api",
            "registry_council_members",
            "registry",
            each(lambda m, t: (f"/councils/{m.council_id}/members", bearer(t))),
            "GET /councils/{id}/members",
        ),
        Endpoint(
            "api",
            "meetings_bilan",
            "meetings",
            [(f"/bilan?{year}&format=html", bearer(staff))],
            "GET /bilan (une année)",
            slow=True,
        ),
        Endpoint(
            "page",
            "bilan_page",
            "site",
            [(f"/equipe/bilan?{year}", cookie(staff))],
            "/equipe/bilan (une année)",
            slow=True,
        ),
    ]


async def _check(client: httpx.AsyncClient, base_url: str, endpoint: Endpoint) -> None:
    """One request before the load: the endpoint answers 200 (a redirect to /connexion would
    otherwise be measured as a fast page)."""
    path, headers = endpoint.requests[0]
    response = await client.get(f"{base_url}{path}", headers=headers)
    if response.status_code != 200:
        raise RuntimeError(
            f"{endpoint.description} ({endpoint.server}) a répondu {response.status_code} au lieu de 200 : "
            f"{response.text[:300]}"
        )


async def _settle(client: httpx.AsyncClient, servers: Sequence[Server], budget: float = 180.0) -> float:
    """Wait until every server (the site too: its home page calls no service) answers its readiness
    check about as fast as when idle: requests that wrk left unanswered when it stopped (slow bilans,
    the pages still waiting for their calls) keep running in the server and must not
    weigh on the next endpoint. Returns the seconds waited."""
    started = time.perf_counter()
    for server in servers:
        quick = 3 * server.idle_seconds + 0.05
        while time.perf_counter() - started < budget:
            begin = time.perf_counter()
            try:
                response = await client.get(f"{server.base_url}{server.settle_path}", timeout=budget)
                if response.status_code == 200 and time.perf_counter() - begin < quick:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    return time.perf_counter() - started


def _line(figures: dict[str, Any]) -> str:
    return (
        f"  → {figures['per_second']:.0f} req/s, p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
        f"{int(figures['count'])} requêtes, {int(figures['errors'])} erreurs"
    )


async def http_load(
    urls: dict[str, str],
    data: Dataset,
    territory_file: Path,
    bootstrap: str,
    work_dir: Path,
    *,
    load: wrk.Load,
    say: Callable[[str], None] = lambda _line: None,
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """(figures per endpoint key, trivial-endpoint baseline), every figure from wrk.

    ``urls``: the registry's and the meetings service's database URLs (already seeded)."""
    wrk_path = wrk.ensure_wrk(say)
    say(f"Générateur de charge : {wrk_path}, {load.describe()}, sur 127.0.0.1 seulement")
    results: dict[str, dict[str, Any]] = {}
    async with trivial_server(work_dir) as trivial:
        say(f"Référence : FastAPI trivial GET /ping ({trivial.base_url})")
        requests: list[Request] = [("/ping", {})]
        if load.warmup_seconds > 0:
            await wrk.run(wrk_path, trivial.base_url, requests, load, work_dir, seconds=load.warmup_seconds)
        baseline = await wrk.run(wrk_path, trivial.base_url, requests, load, work_dir)
        say(_line(baseline))
    async with (
        service_server("registry", urls["registry"], data, territory_file, bootstrap, work_dir) as registry,
        service_server("meetings", urls["meetings"], data, territory_file, bootstrap, work_dir) as meetings,
        site_server(
            territory_file,
            {
                "registry": registry.base_url,
                "meetings": meetings.base_url,
                "notifications": f"http://127.0.0.1:{free_port()}",  # not used by the measured pages
            },
            work_dir,
        ) as site,
        httpx.AsyncClient(timeout=120) as client,
    ):
        servers = {"registry": registry, "meetings": meetings, "site": site}
        for endpoint in endpoints(data):
            server = servers[endpoint.server]
            say(f"{endpoint.kind} {endpoint.description} ({server.name} {server.base_url})")
            await _check(client, server.base_url, endpoint)
            if not endpoint.slow and load.warmup_seconds > 0:
                await wrk.run(
                    wrk_path,
                    server.base_url,
                    endpoint.requests,
                    load,
                    work_dir,
                    seconds=load.warmup_seconds,
                    connections=endpoint.connections,
                )
                await _settle(client, [registry, meetings, site])
            cpu_before = {name: one.cpu_seconds() for name, one in servers.items()}
            figures: dict[str, Any] = await wrk.run(
                wrk_path,
                server.base_url,
                endpoint.requests,
                load,
                work_dir,
                # a slow page gets the time to answer at least once, even on a busy machine
                seconds=max(load.seconds, load.slow_min_seconds) if endpoint.slow else None,
                connections=endpoint.connections,
            )
            figures["cpu_ms_per_request"] = _cpu_per_request(servers, cpu_before, figures["count"])
            if not figures["count"]:  # nothing answered within the run: the latency is at least its length
                for quantile in ("p50", "p90", "p99", "max", "mean"):
                    figures[quantile] = load.seconds * 1000.0
                figures["latency_lower_bound"] = True
            budget = 900.0 if endpoint.slow else 180.0
            figures["settle_seconds"] = round(await _settle(client, [registry, meetings, site], budget), 1)
            figures["path"] = endpoint.description
            figures["server"] = endpoint.server
            results[endpoint.key] = figures
            say(_line(figures))
        # Item 6 of issue 17: each server's peak resident set after the whole national load.
        peaks = {name: _rounded(one.peak_rss_mib()) for name, one in servers.items()}
        say(
            "  RSS max après la charge (objectif < 200 Mo) : "
            + ", ".join(f"{n} {v} Mo" for n, v in peaks.items())
        )
        for figures in results.values():
            figures["peak_rss_mib"] = peaks
    return results, baseline


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _cpu_per_request(
    servers: dict[str, Server], before: dict[str, float | None], count: float
) -> dict[str, float | None]:
    """CPU ms per answered request of each server during the run (wrk's own CPU apart). Other
    endpoints' leftovers are settled before the run; background work (consumers) is included."""
    spent: dict[str, float | None] = {}
    for name, server in servers.items():
        now, then = server.cpu_seconds(), before[name]
        spent[name] = (
            None if now is None or then is None or not count else round((now - then) * 1000 / count, 2)
        )
    return spent


__all__ = [
    "SECRET",
    "Endpoint",
    "Server",
    "endpoints",
    "http_load",
    "service_server",
    "site_server",
    "trivial_server",
]
