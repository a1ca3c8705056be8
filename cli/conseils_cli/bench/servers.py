"""The servers of the HTTP bench, each its own ``python -m …`` process on 127.0.0.1, started the
way production starts it (``python -m conseils_registry``, ``python -m conseils_meetings``,
``python -m conseils_web``: uvicorn with uvloop and httptools), and the trivial FastAPI endpoint
served by the same uvicorn (the baseline)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import httpx

from conseils_cli.bench.dataset import Dataset

SECRET = "bench-secret"  # noqa: S105 - signs tokens for throwaway benchmark servers
UVICORN_FAST = ["--loop", "uvloop", "--http", "httptools"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child (Linux): SIGTERM when the bench dies, so that no server outlives it."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stat(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` and of its direct children (uvicorn workers), from ``/proc``."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(pid):
                try:
                    if int(_stat(entry.name)[1]) == pid:
                        pids.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        total = 0
        for one in pids:
            try:
                fields = _stat(one)
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """A server in a child process (``args`` after ``python``); stopped with SIGTERM (by pid) on exit.

    Its output goes to ``<work_dir>/<name>.log``, whose end is shown when it does not start."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        ready_path: str,
        work_dir: Path,
        *,
        port: int | None = None,
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.args = [arg.replace("{port}", str(self.port)) for arg in args]
        self.env = {key: value.replace("{port}", str(self.port)) for key, value in env.items()}
        self.ready_path = ready_path
        self.work_dir = work_dir
        self.log_path = work_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.idle_seconds = 0.0  # how long its readiness check takes when nothing else runs
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def __aenter__(self) -> Server:
        self._log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            env={**os.environ, **self.env},
            cwd=self.work_dir,  # no stray .env of the current directory
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.perf_counter() + 120
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            while True:
                try:
                    if (await client.get(self.ready_path)).status_code == 200:
                        await self._measure_idle(client)
                        return self
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None or time.perf_counter() > deadline:
                    await self.__aexit__()
                    raise RuntimeError(f"{self.name} n'a pas démarré :\n{self.log_tail()}")
                await asyncio.sleep(0.2)

    @property
    def settle_path(self) -> str:
        """/readyz of a service goes through its database pool: slow while requests still queue."""
        return "/readyz" if self.ready_path == "/healthz" else self.ready_path

    async def _measure_idle(self, client: httpx.AsyncClient) -> None:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            await client.get(self.settle_path)
            timings.append(time.perf_counter() - started)
        self.idle_seconds = sorted(timings)[2]

    def cpu_seconds(self) -> float | None:
        """CPU seconds (user + system) spent so far by the server's process and its children
        (Linux ``/proc``; None elsewhere): the figure that holds on a loaded machine."""
        if self.process is None:
            return None
        return process_cpu_seconds(self.process.pid)

    def peak_rss_mib(self) -> float | None:
        """The server process's peak resident set (VmHWM), in MiB; None without ``/proc``."""
        if self.process is None:
            return None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _service_env(
    service: str, url: str, data: Dataset, territory_file: Path, bootstrap: str
) -> dict[str, str]:
    prefix = f"CONSEILS_{service.upper()}_"
    env = {
        f"{prefix}DATABASE_URL": url,
        f"{prefix}HOST": "127.0.0.1",
        f"{prefix}PORT": "{port}",
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}LOG_JSON": "false",
        f"{prefix}DATA_DIR": str(territory_file.parent / service),
        "CONSEILS_TERRITORY": data.slug,
        "CONSEILS_TERRITORY_FILE": str(territory_file),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "CONSEILS_AUTH_SECRET": SECRET,
    }
    if service == "meetings":
        env[f"{prefix}DOCUMENTS_DIR"] = str(territory_file.parent / "documents")
    return env


def service_server(  # noqa: PLR0917 - everything a service process needs
    service: str, url: str, data: Dataset, territory_file: Path, bootstrap: str, work_dir: Path
) -> Server:
    """``python -m conseils_<service>``, as in production."""
    env = _service_env(service, url, data, territory_file, bootstrap)
    return Server(service, ["-m", f"conseils_{service}"], env, "/healthz", work_dir)


def site_server(territory_file: Path, backends: dict[str, str], work_dir: Path) -> Server:
    """``python -m conseils_web``: the site alone in front of the services, as in production."""
    env = {
        "CONSEILS_WEB_HOST": "127.0.0.1",
        "CONSEILS_WEB_PORT": "{port}",
        "CONSEILS_WEB_PUBLIC_BASE_URL": "http://127.0.0.1:{port}",
        "CONSEILS_WEB_DATA_DIR": str(work_dir / "site"),
        "CONSEILS_WEB_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "CONSEILS_TERRITORY_FILE": str(territory_file),
        "CONSEILS_AUTH_SECRET": SECRET,
        **{f"CONSEILS_WEB_{name.upper()}_URL": url for name, url in backends.items()},
    }
    return Server("site", ["-m", "conseils_web"], env, "/", work_dir)


def trivial_server(work_dir: Path) -> Server:
    args = ["-m", "uvicorn", "conseils_cli.bench.trivial:app", "--host", "127.0.0.1", "--port", "{port}"]
    args += ["--log-level", "warning", "--no-access-log", *UVICORN_FAST]
    return Server("trivial", args, {}, "/ping", work_dir)
