"""``conseils ops`` without a broker: argument errors in French, and the formatting helpers."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conseils_cli.main import app
from conseils_cli.ops import commands


def test_invalid_territory_is_refused_in_french_before_any_connection() -> None:
    result = CliRunner().invoke(app, ["ops", "status", "--territory", "Plaine Commune", "--bootstrap", "x:1"])
    assert result.exit_code == 2
    assert "territoire invalide 'Plaine Commune'" in result.output


def test_unreachable_broker_is_an_error_not_a_stack_trace() -> None:
    result = CliRunner().invoke(app, ["ops", "dlq", "list", "--bootstrap", "127.0.0.1:1"])
    assert result.exit_code == 2
    assert "Broker Kafka injoignable sur 127.0.0.1:1" in result.output
    assert "Traceback" not in result.output


def test_territory_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSEILS_TERRITORY", "Not A Slug")
    result = CliRunner().invoke(app, ["ops", "trace", "abc", "--bootstrap", "x:1"])
    assert result.exit_code == 2
    assert "territoire invalide 'Not A Slug'" in result.output


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.4, "0 s"), (59, "59 s"), (61, "1 min"), (5400, "1.5 h"), (2 * 86400, "2.0 j")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert commands._duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-03-10T17:30:00.123456Z", "2026-03-10 17:30:00.123"),
        ("2026-03-10T18:30:00+01:00", "2026-03-10 17:30:00.000"),
        ("pas une date", "pas une date"),
        (None, "—"),
    ],
)
def test_when_prints_utc(value: str | None, text: str) -> None:
    assert commands._when(value) == text


def test_short_and_type() -> None:
    assert commands._short("0123456789abcdef", 8) == "0123456…"
    assert commands._short("abc") == "abc"
    assert commands._short(None) == "—"
    assert commands._type("fr.conseils.meetings.instance.scheduled.v1") == "meetings.instance.scheduled.v1"
