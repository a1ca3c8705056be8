"""`conseils ops sauvegarde`: a backup of the three services' databases (with their real
schemas, on SQLite and PostgreSQL) and of the documents comes back identical after a
restore; a tampered backup is refused before anything is overwritten; pruning keeps the N
most recent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from conseils_cli.main import app as cli
from conseils_cli.ops.backup import (
    SERVICES,
    BackupError,
    Source,
    create_backup,
    list_backups,
    prune_backups,
    restore_backup,
    verify_backup,
)
from conseils_meetings.tables import metadata as meetings_metadata
from conseils_notifications.tables import metadata as notifications_metadata
from conseils_registry.tables import metadata as registry_metadata
from conseils_runtime.database import Database
from tests.conftest import _fresh_postgres_database

METADATA = {
    "registry": registry_metadata,
    "meetings": meetings_metadata,
    "notifications": notifications_metadata,
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def sources(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Source]]:
    if request.param == "sqlite":
        yield [Source(s, f"sqlite+aiosqlite:///{tmp_path / 'data' / f'{s}.db'}") for s in SERVICES]
        return
    generators = [_fresh_postgres_database() for _ in SERVICES]
    urls = [await generator.__anext__() for generator in generators]
    try:
        yield [Source(service, url) for service, url in zip(SERVICES, urls, strict=True)]
    finally:
        for generator in generators:
            await generator.aclose()  # type: ignore[attr-defined]


async def fill(source: Source, marker: str) -> None:
    if source.is_sqlite:
        source.sqlite_path().parent.mkdir(parents=True, exist_ok=True)
    database = Database(source.url)
    try:
        await database.create_all(METADATA[source.service])
        async with database.sessionmaker() as session, session.begin():
            await session.execute(text("CREATE TABLE IF NOT EXISTS probe (value TEXT)"))
            await session.execute(text("DELETE FROM probe"))
            await session.execute(text("INSERT INTO probe VALUES (:v)"), {"v": marker})
    finally:
        await database.dispose()


async def marker_of(source: Source) -> list[str]:
    database = Database(source.url)
    try:
        async with database.sessionmaker() as session:
            return [row[0] for row in await session.execute(text("SELECT value FROM probe"))]
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_backup_then_restore_gives_back_databases_and_documents(
    sources: list[Source], tmp_path: Path
) -> None:
    documents = tmp_path / "data" / "documents"
    (documents / "abc").mkdir(parents=True)
    (documents / "abc" / "dossier.pdf").write_bytes(b"%PDF-1.7 dossier")
    for source in sources:
        await fill(source, f"avant-{source.service}")

    folder = create_backup(tmp_path / "sauvegardes", sources, documents)
    manifest = verify_backup(folder)
    assert set(manifest["sources"]) == set(SERVICES)
    assert "documents.tar.gz" in manifest["files"]
    assert all("password" not in entry["url"] for entry in manifest["sources"].values())

    for source in sources:
        await fill(source, "après, à perdre")
    (documents / "abc" / "dossier.pdf").write_bytes(b"abime")
    (documents / "de-trop.txt").write_text("x")

    assert restore_backup(folder, sources, documents) == [*SERVICES, "documents"]
    for source in sources:
        assert await marker_of(source) == [f"avant-{source.service}"]
    assert (documents / "abc" / "dossier.pdf").read_bytes() == b"%PDF-1.7 dossier"
    assert not (documents / "de-trop.txt").exists()


async def test_a_tampered_backup_is_refused_before_anything_is_overwritten(tmp_path: Path) -> None:
    sources = [Source(s, f"sqlite+aiosqlite:///{tmp_path / 'data' / f'{s}.db'}") for s in SERVICES]
    for source in sources:
        await fill(source, "original")
    folder = create_backup(tmp_path / "sauvegardes", sources, None)
    with (folder / "meetings.sqlite").open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01")
    for source in sources:
        await fill(source, "actuel")
    with pytest.raises(BackupError, match=r"altéré.*meetings\.sqlite"):
        restore_backup(folder, sources, None)
    for source in sources:
        assert await marker_of(source) == ["actuel"]


async def test_prune_keeps_the_most_recent_and_the_cli_reports_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    sources = [Source(s, f"sqlite+aiosqlite:///{data / f'{s}.db'}") for s in SERVICES]
    for source in sources:
        await fill(source, "x")
    destination = tmp_path / "sauvegardes"
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for day in range(3):
        create_backup(destination, sources, None, now=start + timedelta(days=day))
    assert [p.name for p in prune_backups(destination, 2)] == ["20261101T000000Z"]
    assert len(list_backups(destination)) == 2

    for service in SERVICES:
        monkeypatch.delenv(f"CONSEILS_{service.upper()}_DATABASE_URL", raising=False)
    runner = CliRunner()
    args = ["--destination", str(destination)]
    made = runner.invoke(cli, ["ops", "sauvegarde", "creer", *args, "--donnees", str(data), "--garder", "2"])
    assert made.exit_code == 0, made.output
    assert "Sauvegarde écrite et vérifiée" in made.output
    listed = runner.invoke(cli, ["ops", "sauvegarde", "liste", *args])
    assert listed.exit_code == 0
    assert "20261103T000000Z" in listed.output
    assert "notifications" in listed.output
    assert len(list_backups(destination)) == 2
    missing = runner.invoke(cli, ["ops", "sauvegarde", "creer", *args, "--donnees", str(tmp_path / "vide")])
    assert missing.exit_code == 1
    assert "n'existe pas" in missing.output
