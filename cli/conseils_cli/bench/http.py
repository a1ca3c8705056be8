"""HTTP latency of the meetings API on national-scale data: 50 concurrent clients
(httpx) against uvicorn on 127.0.0.1 in its own process; baseline: a trivial
FastAPI endpoint served the same way."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from conseils_cli.bench.dataset import Dataset
from conseils_cli.bench.results import summary

SECRET = "bench-secret"  # noqa: S105 - signs tokens for a throwaway benchmark server
# The measured calls go to the three services; a run may last longer than a service token.
TOKENS: dict[str, Any] = {"audience": ("registry", "meetings", "notifications"), "ttl_seconds": 3600}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """uvicorn in a child process; stopped with SIGTERM (by pid) on exit."""

    def __init__(self, target: str, env: dict[str, str], ready_path: str, *, factory: bool = False) -> None:
        self.target = target
        self.env = env
        self.ready_path = ready_path
        self.factory = factory
        self.port = _free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Server:
        args = [sys.executable, "-m", "uvicorn", self.target, "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--log-level", "warning", "--no-access-log"] + (["--factory"] if self.factory else [])
        self.process = await asyncio.create_subprocess_exec(
            *args,
            env={**os.environ, **self.env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.perf_counter() + 90
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            while True:
                try:
                    if (await client.get(self.ready_path)).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"{self.target} did not start")
                await asyncio.sleep(0.2)

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def load(
    base_url: str, requests: Sequence[tuple[str, dict[str, str]]], clients: int = 50
) -> dict[str, float]:
    """Send ``requests`` (path, headers) with ``clients`` concurrent clients; latency summary in ms."""
    queue: asyncio.Queue[tuple[str, dict[str, str]]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    errors = 0

    async with httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
        timeout=60,
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                path, headers = queue.get_nowait()
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    result = summary(latencies)
    result["errors"] = errors
    result["per_second"] = len(latencies) / elapsed
    return result


def meetings_env(url: str, data: Dataset, territory_file: Path, bootstrap: str) -> dict[str, str]:
    return {
        "CONSEILS_MEETINGS_DATABASE_URL": url,
        "CONSEILS_TERRITORY": data.slug,
        "CONSEILS_TERRITORY_FILE": str(territory_file),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "CONSEILS_AUTH_SECRET": SECRET,
        "CONSEILS_MEETINGS_LOG_LEVEL": "WARNING",
        "CONSEILS_MEETINGS_LOG_JSON": "false",
        "CONSEILS_MEETINGS_DOCUMENTS_DIR": str(territory_file.parent / "documents"),
    }


def endpoints(data: Dataset, per_endpoint: int, seed: int = 7) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """The requests of each measured call, for random councillors and instances of the dataset."""
    from conseils_runtime.auth import issue_token

    rng = random.Random(seed)
    members = rng.sample(data.members, min(len(data.members), 200))
    tokens = [
        {
            "Authorization": "Bearer "
            + issue_token(SECRET, subject=str(m.id), role="councillor", council_id=m.council_id, **TOKENS)
        }
        for m in members
    ]
    staff = {"Authorization": "Bearer " + issue_token(SECRET, subject="bench-staff", role="staff", **TOKENS)}
    visible = [i for i in data.instances if i.status != "draft"]
    month_from = data.now.date()
    month_to = month_from + timedelta(days=31)
    return {
        "agenda": [("/instances", rng.choice(tokens)) for _ in range(per_endpoint)],
        "instance_page": [
            (f"/instances/{rng.choice(visible).id}", rng.choice(tokens)) for _ in range(per_endpoint)
        ],
        "my_registrations": [("/me/registrations", rng.choice(tokens)) for _ in range(per_endpoint)],
        "staff_month": [(f"/instances?from={month_from}T00:00:00Z&to={month_to}T00:00:00Z", staff)]
        * per_endpoint,
    }


async def http_latency(
    url: str, data: Dataset, territory_file: Path, bootstrap: str, *, per_endpoint: int, clients: int = 50
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(figures per endpoint, trivial-endpoint baseline)."""
    results: dict[str, dict[str, float]] = {}
    async with Server(
        "conseils_meetings.app:create_app",
        meetings_env(url, data, territory_file, bootstrap),
        "/healthz",
        factory=True,
    ) as server:
        calls = endpoints(data, per_endpoint)
        await load(server.base_url, calls["agenda"][: clients * 2], clients)  # warm-up (connections, caches)
        for name, requests in calls.items():
            results[name] = await load(server.base_url, requests, clients)
    async with Server("conseils_cli.bench.trivial:app", {}, "/ping") as trivial:
        await load(trivial.base_url, [("/ping", {})] * clients * 2, clients)
        baseline = await load(trivial.base_url, [("/ping", {})] * per_endpoint, clients)
    return results, baseline


__all__: list[Any] = ["Server", "http_latency", "load"]
