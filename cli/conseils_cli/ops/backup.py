"""Backups of a territory: the three services' databases and the meetings documents.

Each service's database is its source of truth (Kafka need not be saved: what a
service still has to publish is in its outbox, what it learnt is in its read models).
A backup is one folder `<destination>/<UTC time>/` holding:

- per service, `<service>.sqlite` (SQLite's online backup API: a consistent copy even while
  the service writes) or `<service>.pgdump` (`pg_dump --format=custom`);
- `documents.tar.gz`, the dossiers and minutes files (when the folder exists);
- `manifest.json`: when, which sources (passwords removed), and each file's size and SHA-256.

`verify` checks the hashes, `restore` verifies then puts everything back (services stopped),
`prune` keeps the N most recent backups: the registry's holds contact cards, so an erased
person must also leave the backups after a bounded time (GDPR).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

SERVICES = ("registry", "meetings", "notifications")
MANIFEST = "manifest.json"
DOCUMENTS = "documents.tar.gz"
FORMAT_VERSION = 1

Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on (message in French, for the operator)."""


@dataclass(frozen=True)
class Source:
    service: str
    url: str

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    def sqlite_path(self) -> Path:
        database = make_url(self.url).database
        if not database:
            raise BackupError(f"{self.service} : base SQLite sans fichier ({self.public_url()}).")
        return Path(database)

    def libpq_url(self) -> str:
        """The URL for pg_dump/pg_restore (no SQLAlchemy driver name)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def public_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def filename(self) -> str:
        return f"{self.service}.sqlite" if self.is_sqlite else f"{self.service}.pgdump"


def sources_from_environment(data_dir: Path, env: dict[str, str] | None = None) -> list[Source]:
    """Each service's database: `CONSEILS_<SERVICE>_DATABASE_URL`, else `<data dir>/<service>.db`
    (where `conseils up` keeps them)."""
    env = dict(os.environ if env is None else env)
    found = []
    for service in SERVICES:
        url = env.get(f"CONSEILS_{service.upper()}_DATABASE_URL")
        if not url:
            url = f"sqlite+aiosqlite:///{(data_dir / f'{service}.db').resolve()}"
        found.append(Source(service, url))
    return found


def documents_from_environment(data_dir: Path, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    return Path(env.get("CONSEILS_MEETINGS_DOCUMENTS_DIR") or data_dir / "documents")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} est introuvable : installez le client PostgreSQL (paquet Debian postgresql-client)."
        )
    return tool


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # pg_dump's messages name tables and options, never row contents.
        raise BackupError(f"{what} a échoué : {result.stderr.strip()[:500]}")


def _backup_sqlite(source: Source, target: Path) -> None:
    path = source.sqlite_path()
    if not path.exists():
        raise BackupError(
            f"{source.service} : la base {path} n'existe pas (la plateforme a-t-elle démarré ?)."
        )
    with (
        closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as origin,
        closing(sqlite3.connect(target)) as copy,
    ):
        origin.backup(copy)


def _restore_sqlite(source: Source, backup: Path) -> None:
    path = source.sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(backup)) as origin, closing(sqlite3.connect(path)) as target:
        origin.backup(target)
    for suffix in ("-wal", "-shm"):  # the copy is complete: no stale journal may be replayed over it
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_backup(
    destination: Path,
    sources: Iterable[Source],
    documents: Path | None,
    *,
    now: datetime | None = None,
    progress: Progress = lambda _step: None,
) -> Path:
    """Write one backup folder under `destination`; returns it."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    folder = destination / when.strftime("%Y%m%dT%H%M%SZ")
    number = 1
    while folder.exists():  # two backups in the same second
        number += 1
        folder = destination / f"{when.strftime('%Y%m%dT%H%M%SZ')}-{number}"
    partial = folder.with_name(folder.name + ".partiel")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    files: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {"format": FORMAT_VERSION, "created_at": when.isoformat(), "sources": {}}
    for source in sources:
        progress(f"base {source.service}")
        target = partial / source.filename
        if source.is_sqlite:
            _backup_sqlite(source, target)
        else:
            _run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(target),
                    source.libpq_url(),
                ],
                f"pg_dump ({source.service})",
            )
        manifest["sources"][source.service] = {"url": source.public_url(), "file": source.filename}
    if documents is not None and documents.is_dir():
        progress("documents")
        with tarfile.open(partial / DOCUMENTS, "w:gz") as archive:
            archive.add(documents, arcname="documents")
        manifest["documents"] = {"path": str(documents), "file": DOCUMENTS}
    for path in sorted(partial.iterdir()):
        files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    manifest["files"] = files
    (partial / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    partial.rename(folder)  # a backup folder without `.partiel` is complete
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} n'est pas une sauvegarde complète ({MANIFEST} absent).")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Format de sauvegarde inconnu : {manifest.get('format')!r}.")
    return manifest


def verify_backup(folder: Path) -> dict[str, Any]:
    """Check every file against the manifest; raises BackupError on the first difference."""
    manifest = read_manifest(folder)
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.exists():
            raise BackupError(f"Fichier manquant dans la sauvegarde : {name}.")
        if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"Fichier altéré dans la sauvegarde : {name} (empreinte SHA-256 différente).")
    return manifest


def restore_backup(
    folder: Path,
    sources: Iterable[Source],
    documents: Path | None,
    *,
    progress: Progress = lambda _step: None,
) -> list[str]:
    """Put the backup back into `sources` (and the documents folder); returns what was restored.

    The services must be stopped: a running service would keep writing to the old files.
    """
    manifest = verify_backup(folder)
    restored = []
    for source in sources:
        entry = manifest["sources"].get(source.service)
        if entry is None:
            raise BackupError(f"La sauvegarde ne contient pas la base {source.service}.")
        backup = folder / entry["file"]
        progress(f"base {source.service}")
        if backup.suffix == ".sqlite":
            if not source.is_sqlite:
                raise BackupError(f"{source.service} : sauvegarde SQLite, base cible PostgreSQL.")
            _restore_sqlite(source, backup)
        else:
            if source.is_sqlite:
                raise BackupError(f"{source.service} : sauvegarde PostgreSQL, base cible SQLite.")
            _run(
                [
                    _pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--dbname",
                    source.libpq_url(),
                    str(backup),
                ],
                f"pg_restore ({source.service})",
            )
        restored.append(source.service)
    if documents is not None and "documents" in manifest:
        progress("documents")
        shutil.rmtree(documents, ignore_errors=True)
        documents.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / DOCUMENTS, "r:gz") as archive:
            archive.extractall(documents.parent, filter="data")  # no absolute paths, no links outside
        if documents.name != "documents":
            (documents.parent / "documents").rename(documents)
        restored.append("documents")
    return restored


def list_backups(destination: Path) -> list[Path]:
    """Complete backups, oldest first."""
    if not destination.is_dir():
        return []
    return sorted(p for p in destination.iterdir() if p.is_dir() and (p / MANIFEST).exists())


def prune_backups(destination: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` most recent complete backups (and unfinished ones); returns the deleted."""
    if keep < 1:
        raise BackupError("Il faut garder au moins une sauvegarde.")
    complete = list_backups(destination)
    doomed = complete[:-keep]
    doomed += [p for p in destination.glob("*.partiel") if p.is_dir()]
    for path in doomed:
        shutil.rmtree(path)
    return doomed
