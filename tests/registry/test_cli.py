"""`conseils territory init <file>` as mounted by the conseils command: a French
summary, idempotent, and a malformed file refused with its line (exit code 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer
from typer.testing import CliRunner

from conseils_registry.cli import territory_app
from conseils_runtime.territory import default_territory_path

conseils = typer.Typer()
conseils.add_typer(territory_app, name="territory")


def test_init_seeds_the_demo_territory_then_has_nothing_to_do(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["territory", "init", str(default_territory_path()), "--database-url"]
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"

    first = runner.invoke(conseils, [*args, url])
    assert first.exit_code == 0, first.output
    assert "créés : 9 villes, 20 quartiers, 6 thématiques, 20 conseils" in first.output
    assert "événements publiés : 69" in first.output  # 44 + 25 directory entries

    second = runner.invoke(conseils, [*args, url])
    assert second.exit_code == 0, second.output
    assert "événements publiés : 0" in second.output
    assert "Rien à faire" in second.output
    with sqlite3.connect(tmp_path / "registry.db") as database:
        topics = {row[0] for row in database.execute("SELECT topic FROM outbox_messages")}
    # events wait in the outbox for the registry to relay them, on the file's territory topics
    assert topics == {
        "plaine-commune.registry.councils",
        "plaine-commune.registry.members",
        "plaine-commune.registry.member-contacts",
        "plaine-commune.registry.directory",  # the directory's entries of the file
    }


def test_a_malformed_file_is_refused_with_its_line_and_reason(tmp_path: Path) -> None:
    text = default_territory_path().read_text(encoding="utf-8")
    broken = tmp_path / "territoire.yaml"
    broken.write_text(
        text.replace('- {slug: sante, name: "Santé"}', '- {slug: Santé, name: "Santé"}'), encoding="utf-8"
    )
    line = next(
        number
        for number, content in enumerate(broken.read_text().splitlines(), 1)
        if "Santé, name" in content
    )

    result = CliRunner().invoke(
        conseils, ["territory", "init", str(broken), "--database-url", "sqlite+aiosqlite://"]
    )

    assert result.exit_code == 2
    assert f"ligne {line}, themes.3.slug : format invalide" in result.output
    assert not (tmp_path / "registry.db").exists()
