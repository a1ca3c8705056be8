"""A local Kannel SMS gateway for development and tests: bearerbox (admin port, fake SMSC),
smsbox (sendsms port with a user and password, an sms-service posting answers to the
notifications service) and Kannel's fake SMSC (`fakesmsc`, which prints every message it gets
and sends the answers written into its pipe), all on free 127.0.0.1 ports.

Kannel is Debian's `kannel` package (`apt-get install kannel kannel-extras`, or
`scripts/kannel.sh`); `CONSEILS_KANNEL_BIN` names the directory of bearerbox and smsbox
(default /usr/sbin), `CONSEILS_KANNEL_FAKESMSC` the fake SMSC (default
/usr/lib/kannel/test/fakesmsc). In production the SMSC group is the operator's SMPP link
(docs/operations.md)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
USERNAME = "conseils"
SMSC_ID = "fake"
SHORT_CODE = "38000"
"""The number people answer to (the fake SMSC's `to` for answers)."""


class KannelError(RuntimeError):
    """Kannel is missing or did not start; `log_tail` says why."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


def binary(name: str) -> Path:
    if name == "fakesmsc":
        return Path(os.environ.get("CONSEILS_KANNEL_FAKESMSC", "/usr/lib/kannel/test/fakesmsc"))
    found = Path(os.environ.get("CONSEILS_KANNEL_BIN", "/usr/sbin")) / name
    if found.exists():
        return found
    return Path(shutil.which(name) or found)


def available() -> bool:
    return all(os.access(binary(name), os.X_OK) for name in ("bearerbox", "smsbox", "fakesmsc"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Kannel:
    """A running gateway: where to send, where its parts listen, their pids."""

    state_dir: str
    sendsms_url: str
    username: str
    password: str
    admin_url: str
    admin_password: str
    smsc_port: int
    pids: dict[str, int]

    @property
    def fakesmsc_log(self) -> Path:
        return Path(self.state_dir) / "fakesmsc.log"

    def received(self) -> list[FakeSms]:
        """Every message the fake SMSC got so far (what the phones would show)."""
        return received(Path(self.state_dir))

    def answer(self, sender: str, text: str) -> None:
        """A phone answers (e.g. STOP): the fake SMSC sends it to Kannel, which calls the get-url."""
        answer(Path(self.state_dir), sender, text)


@dataclass(frozen=True)
class FakeSms:
    sender: str
    to: str
    text: str


_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")


def received(state_dir: Path) -> list[FakeSms]:
    log = state_dir / "fakesmsc.log"
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _GOT.search(line)
        if match and match.group(3) == "text":
            found.append(FakeSms(match.group(1), match.group(2), match.group(4)))
    return found


def answer(state_dir: Path, sender: str, text: str) -> None:
    line = f"{sender} {SHORT_CODE} text {text}\n"
    fd = os.open(state_dir / "mo.fifo", os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def config(state_dir: Path, ports: dict[str, int], password: str, admin_password: str, mo_url: str) -> str:
    """kannel.conf of the local gateway."""
    get_url = f"{mo_url}{'&' if '?' in mo_url else '?'}from=%p&to=%P&text=%a" if mo_url else ""
    service = (
        f'get-url = "{get_url}"\nmax-messages = 1\nomit-empty = true'
        if get_url
        else 'text = ""\nmax-messages = 0'
    )
    return f"""# Written by `conseils sms start`: a local Kannel with a fake SMSC (never an operator).
group = core
admin-port = {ports["admin"]}
admin-interface = {HOST}
admin-password = {admin_password}
status-password = {admin_password}
admin-allow-ip = "{HOST}"
smsbox-port = {ports["smsbox"]}
smsbox-interface = {HOST}
box-allow-ip = "{HOST}"
log-file = "{state_dir / "bearerbox.log"}"
log-level = 1
dlr-storage = internal
store-type = file
store-location = "{state_dir / "store.bin"}"

group = smsc
smsc = fake
smsc-id = {SMSC_ID}
host = {HOST}
port = {ports["smsc"]}
connect-allow-ip = "{HOST}"

group = smsbox
bearerbox-host = {HOST}
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = {HOST}
log-file = "{state_dir / "smsbox.log"}"
log-level = 1

group = sendsms-user
username = {USERNAME}
password = {password}
user-allow-ip = "{HOST}"
max-messages = 1

group = sms-service
keyword-regex = .*
catch-all = yes
{service}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


def _status(admin_url: str, password: str) -> str:
    try:
        url = f"{admin_url}/status.txt?password={password}"  # http://127.0.0.1 from our own config
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return str(response.read().decode("utf-8", "replace"))
    except OSError:
        return ""


def _tail(state_dir: Path) -> str:
    parts = []
    for name in ("bearerbox.out", "smsbox.out", "fakesmsc.log"):
        path = state_dir / name
        if path.exists():
            parts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-10:]))
    return "\n".join(parts)


def _spawn(state_dir: Path, name: str, args: list[str], stdin: int | None = None) -> subprocess.Popen[bytes]:
    log = (
        (state_dir / f"{name}.out").open("ab")
        if name != "fakesmsc"
        else (state_dir / "fakesmsc.log").open("ab")
    )
    with log:
        return subprocess.Popen(
            args, stdin=stdin, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def state_file(state_dir: Path) -> Path:
    return state_dir / "kannel.json"


def running(state_dir: Path) -> Kannel | None:
    path = state_file(state_dir)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    kannel = Kannel(**data)
    if all(_alive(pid) for pid in kannel.pids.values()) and "online" in _status(
        kannel.admin_url, kannel.admin_password
    ):
        return kannel
    return None


def start(state_dir: Path, *, mo_url: str = "", password: str = "", timeout: float = 20.0) -> Kannel:
    """Starts the three processes (or returns the gateway already running in `state_dir`)."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    already = running(state_dir)
    if already is not None:
        return already
    if not available():
        raise KannelError(
            "Kannel est absent : apt-get install kannel kannel-extras (ou scripts/kannel.sh), "
            "ou CONSEILS_KANNEL_BIN=<dossier de bearerbox>"
        )
    stop(state_dir)
    for stale in ("fakesmsc.log", "mo.fifo"):
        (state_dir / stale).unlink(missing_ok=True)
    ports = {name: _free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
    password = password or secrets.token_urlsafe(12)
    admin_password = secrets.token_urlsafe(12)
    conf = state_dir / "kannel.conf"
    conf.write_text(config(state_dir, ports, password, admin_password, mo_url))
    conf.chmod(0o600)
    admin_url = f"http://{HOST}:{ports['admin']}"
    pids = {"bearerbox": _spawn(state_dir, "bearerbox", [str(binary("bearerbox")), str(conf)]).pid}
    deadline = time.monotonic() + timeout
    while not _status(admin_url, admin_password):
        if time.monotonic() > deadline or not _alive(pids["bearerbox"]):
            stop_pids(pids)
            raise KannelError("bearerbox n'a pas démarré", _tail(state_dir))
        time.sleep(0.1)
    pids["smsbox"] = _spawn(state_dir, "smsbox", [str(binary("smsbox")), str(conf)]).pid
    os.mkfifo(state_dir / "mo.fifo", 0o600)
    fifo = os.open(state_dir / "mo.fifo", os.O_RDWR)  # read-write: never EOF when a writer leaves
    try:
        fake = [str(binary("fakesmsc")), "-H", HOST, "-r", str(ports["smsc"])]
        pids["fakesmsc"] = _spawn(state_dir, "fakesmsc", fake, stdin=fifo).pid
    finally:
        os.close(fifo)
    kannel = Kannel(
        state_dir=str(state_dir),
        sendsms_url=f"http://{HOST}:{ports['sendsms']}/cgi-bin/sendsms",
        username=USERNAME,
        password=password,
        admin_url=admin_url,
        admin_password=admin_password,
        smsc_port=ports["smsc"],
        pids=pids,
    )
    state_file(state_dir).write_text(json.dumps(asdict(kannel)))
    state_file(state_dir).chmod(0o600)
    while not _ready(kannel):
        if time.monotonic() > deadline or not all(_alive(pid) for pid in pids.values()):
            stop(state_dir)
            raise KannelError("Kannel n'est pas prêt (smsbox ou SMSC factice)", _tail(state_dir))
        time.sleep(0.1)
    return kannel


def _ready(kannel: Kannel) -> bool:
    status = _status(kannel.admin_url, kannel.admin_password)
    if "online" not in status or "smsbox" not in status.split("Box connections")[-1]:
        return False
    port = int(kannel.sendsms_url.split(":")[2].split("/")[0])
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def stop_pids(pids: dict[str, int], timeout: float = 10.0) -> None:
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid in pids.values():
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def stop(state_dir: Path) -> bool:
    """Stops the gateway of `state_dir` (only the pids it recorded); True when one was running."""
    path = state_file(state_dir)
    if not path.exists():
        return False
    pids = dict(json.loads(path.read_text()).get("pids", {}))
    stop_pids(pids)
    path.unlink(missing_ok=True)
    return bool(pids)
