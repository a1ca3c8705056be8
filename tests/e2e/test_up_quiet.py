"""A quiet start (issue 18, item 7): `conseils up` on the secured broker, run as a person runs it.

* No TopicAuthorizationFailed anywhere: a service's principal may not create topics, and its
  subscribers no longer ask to (the topics are provisioned before any consumer starts).
* The console keeps the command's own French lines: no FastStream, aiokafka or uvicorn line, no
  structlog line; every log line is in `<data dir>/conseils.log`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conseils_web.mailbox import _free_port
from tests.browser.platform_helpers import territory_file_with_slug
from tests.e2e.secured_kafka import SecuredKafka

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

LIBRARY_LINE = re.compile(
    r"faststream|aiokafka|uvicorn|TopicAuthorization|assigned to partitions|coordinator"
    r"|\b(DEBUG|INFO|WARNING|ERROR)\b|\[(debug|info|warning|error)\s*\]",
    re.IGNORECASE,
)


def _read_until(path: Path, marker: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        if marker in text:
            return text
        if process.poll() is not None:
            raise AssertionError(f"conseils up ended ({process.returncode}) before « {marker} »:\n{text}")
        time.sleep(0.5)
    raise AssertionError(f"no « {marker} » within {timeout} s:\n{path.read_text(encoding='utf-8')}")


def test_conseils_up_keeps_library_logs_off_the_console(secured_kafka: SecuredKafka, tmp_path: Path) -> None:
    slug = f"q{os.urandom(6).hex()}"
    territory = territory_file_with_slug(tmp_path, slug)
    data_dir = tmp_path / "up"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSEILS_KAFKA_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # `conseils up`'s own (secured) broker: the running one
    env["CONSEILS_STATE_DIR"] = str(secured_kafka.state_dir)
    env["COLUMNS"] = "80"
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [
        sys.executable,
        "-m",
        "conseils_cli.main",
        "up",
        "--territoire",
        str(territory),
        "--data-dir",
        str(data_dir),
        "--port",
        str(_free_port()),
        "--smtp-port",
        "0",
        "--ports-services",
        "0,0,0",
        "--sans-annee-demo",
    ]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=tmp_path)
        try:
            _read_until(stderr, "Arrêt : Ctrl-C.", process, timeout=150)
            time.sleep(3)  # the consumers join their groups after the ready line: let them log
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            asyncio.run(secured_kafka.delete_topics(slug))

    console = stdout.read_text(encoding="utf-8") + stderr.read_text(encoding="utf-8")
    assert "Kafka prêt" in console
    assert "(SASL/SCRAM et ACL)" in console
    assert "Plateforme arrêtée." in console
    noisy = [line for line in console.splitlines() if LIBRARY_LINE.search(line)]
    assert noisy == [], noisy
    assert "Traceback" not in console
    # the operator's command is whole on one line of an 80-column terminal, ready to copy
    command = 'eval "$(conseils kafka credentials ops --env)"'
    assert any(line.strip() == command for line in console.splitlines()), console

    log = (data_dir / "conseils.log").read_text(encoding="utf-8")
    assert "TopicAuthorizationFailed" not in log, log
    assert "Failed to create topic" not in log, log
    # the services' own warnings are there, not on the console
    assert "mail sent without DKIM signature" in log
    assert "Journal de la plateforme" in console
