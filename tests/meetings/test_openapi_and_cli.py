"""The OpenAPI document covers the journeys; `conseils bilan` writes
HTML and CSV files from the meetings database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conseils_meetings.app import create_app
from conseils_meetings.cli import bilan_app
from conseils_meetings.settings import MeetingsSettings


def test_openapi_documents_the_councillor_and_staff_journeys() -> None:
    settings = MeetingsSettings(database_url="sqlite+aiosqlite:///:memory:")
    paths = create_app(settings).openapi()["paths"]
    for path in (
        "/instances",
        "/instances/{instance_id}/reschedule",
        "/instances/{instance_id}/cancel",
        "/instances/{instance_id}/registrations",
        "/instances/{instance_id}/registrations/me",
        "/me/registrations",
        "/instances/{instance_id}/documents",
        "/documents/{document_id}/download",
        "/instances/{instance_id}/attendance",
        "/instances/{instance_id}/minutes",
        "/outcomes",
        "/bilan",
    ):
        assert path in paths, path


@pytest.mark.parametrize(("output", "marker"), [("html", "<svg"), ("csv", "niveau;identifiant")])
def test_bilan_command_writes_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, marker: str
) -> None:
    monkeypatch.setenv("CONSEILS_MEETINGS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}")
    target = tmp_path / "out" / f"bilan.{output}"
    result = CliRunner().invoke(
        bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--format", output, "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert marker in text
    if output == "html":
        assert "du 01/01/2027 au 30/06/2027" in text
        assert "<script" not in text


def test_bilan_command_refuses_bad_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSEILS_MEETINGS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'meetings.db'}")
    bad = CliRunner().invoke(bilan_app, ["--from", "01/01/2027", "--to", "2027-06-30"])
    assert bad.exit_code == 2
    assert "AAAA-MM-JJ" in bad.output
    reversed_period = CliRunner().invoke(bilan_app, ["--from", "2027-06-30", "--to", "2027-01-01"])
    assert reversed_period.exit_code == 2
    assert "La fin de la période doit être après son début" in reversed_period.output
