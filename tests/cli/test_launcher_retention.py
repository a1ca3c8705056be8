"""The local broker's own defaults: nothing it holds expires after 7 days."""

from __future__ import annotations

from pathlib import Path

from conseils_cli.kafka.broker_config import server_properties


def test_the_local_broker_keeps_topics_forever_and_cleans_promptly(tmp_path: Path) -> None:
    lines = server_properties(tmp_path, 9092, 9093).splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert settings["log.retention.ms"] == "-1"
    assert settings["log.retention.bytes"] == "-1"
    assert int(settings["log.cleaner.backoff.ms"]) <= 1000
