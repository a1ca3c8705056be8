"""A real Kannel for the SMS tests: bearerbox, smsbox and Kannel's fake SMSC on free 127.0.0.1
ports (conseils_cli.sms.kannel), started per test with the answers (get-url) pointed where the
test says, stopped after it. Missing Kannel is a failure in CI (`CI` or `CONSEILS_CI` set),
never a skip; elsewhere a skip that says how to install it (scripts/kannel.sh)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conseils_cli.sms import kannel

IN_CI = any(os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("CI", "CONSEILS_CI"))

StartKannel = Callable[[str], kannel.Kannel]


@pytest.fixture
def start_kannel(tmp_path: Path) -> Iterator[StartKannel]:
    """`start_kannel(mo_url)` -> a running gateway (its answers go to `mo_url`)."""
    if not kannel.available():
        message = (
            "Kannel is required for this test and is not installed "
            "(bash scripts/kannel.sh, or CONSEILS_KANNEL_BIN=<directory of bearerbox>)"
        )
        if IN_CI:
            pytest.fail(f"{message} (CI never skips it)")
        pytest.skip(message)
    started: list[Path] = []

    def start(mo_url: str = "") -> kannel.Kannel:
        state_dir = tmp_path / f"kannel-{len(started)}"
        started.append(state_dir)
        return kannel.start(state_dir, mo_url=mo_url)

    try:
        yield start
    finally:
        for state_dir in started:
            kannel.stop(state_dir)
