"""``conseils ops sauvegarde …``: back up, verify, list, prune and restore a territory's data.

The work is in :mod:`conseils_cli.ops.backup`; this module is the French command line.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from conseils_cli.ops.backup import (
    BackupError,
    create_backup,
    documents_from_environment,
    list_backups,
    prune_backups,
    read_manifest,
    restore_backup,
    sources_from_environment,
    verify_backup,
)

app = typer.Typer(
    name="sauvegarde",
    help=(
        "Sauvegardes du territoire : les bases des trois services et les documents. "
        "Bases : CONSEILS_<SERVICE>_DATABASE_URL, sinon les fichiers SQLite de `conseils up`."
    ),
    no_args_is_help=True,
)
out = Console(highlight=False)
err = Console(stderr=True)

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--donnees",
        help="Bases SQLite et documents de `conseils up` (quand les variables ne sont pas définies).",
    ),
]
DestinationOption = Annotated[
    Path,
    typer.Option(
        "--destination",
        envvar="CONSEILS_BACKUP_DIR",
        help="Dossier des sauvegardes (un sous-dossier par sauvegarde).",
    ),
]
DEFAULT_DATA = Path(".var") / "up"
DEFAULT_DESTINATION = Path(".var") / "sauvegardes"


def _fail(error: BackupError) -> typer.Exit:
    err.print(f"[red]Erreur :[/] {error}")
    return typer.Exit(code=1)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("o", "Ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return str(count)


@app.command("creer")
def create_command(
    destination: DestinationOption = DEFAULT_DESTINATION,
    data_dir: DataDirOption = DEFAULT_DATA,
    keep: Annotated[
        int | None,
        typer.Option("--garder", min=1, help="Puis ne garder que les N sauvegardes les plus récentes."),
    ] = None,
) -> None:
    """Sauvegarde cohérente des trois bases et des documents, avec empreintes SHA-256."""
    sources = sources_from_environment(data_dir)
    documents = documents_from_environment(data_dir)
    try:
        with err.status("Sauvegarde…") as status:
            folder = create_backup(
                destination, sources, documents, progress=lambda step: status.update(f"Sauvegarde : {step}…")
            )
        manifest = verify_backup(folder)
        pruned = prune_backups(destination, keep) if keep else []
    except BackupError as error:
        raise _fail(error) from None
    total = sum(f["bytes"] for f in manifest["files"].values())
    out.print(
        f"Sauvegarde écrite et vérifiée : {folder} ({len(manifest['files'])} fichiers, {_size(total)})."
    )
    for path in pruned:
        out.print(f"Ancienne sauvegarde supprimée : {path.name}")


@app.command("liste")
def list_command(destination: DestinationOption = DEFAULT_DESTINATION) -> None:
    """Les sauvegardes complètes, de la plus ancienne à la plus récente."""
    backups = list_backups(destination)
    if not backups:
        out.print(f"Aucune sauvegarde dans {destination}.")
        return
    table = Table(title=f"Sauvegardes dans {destination}", title_justify="left")
    for column in ("Sauvegarde", "Date (UTC)", "Contenu", "Taille"):
        table.add_column(column)
    for folder in backups:
        manifest = read_manifest(folder)
        when = datetime.fromisoformat(manifest["created_at"]).strftime("%d/%m/%Y %H:%M")
        content = ", ".join([*manifest["sources"], *(["documents"] if "documents" in manifest else [])])
        table.add_row(folder.name, when, content, _size(sum(f["bytes"] for f in manifest["files"].values())))
    out.print(table)


@app.command("verifier")
def verify_command(folder: Annotated[Path, typer.Argument(help="Dossier d'une sauvegarde.")]) -> None:
    """Vérifie chaque fichier d'une sauvegarde (taille et empreinte SHA-256)."""
    try:
        manifest = verify_backup(folder)
    except BackupError as error:
        raise _fail(error) from None
    out.print(f"Sauvegarde intacte : {len(manifest['files'])} fichiers vérifiés.")


@app.command("restaurer")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="Dossier de la sauvegarde à restaurer.")],
    data_dir: DataDirOption = DEFAULT_DATA,
    yes: Annotated[bool, typer.Option("--oui", help="Ne pas demander de confirmation.")] = False,
) -> None:
    """Remet les bases et les documents d'une sauvegarde (arrêtez d'abord les services)."""
    sources = sources_from_environment(data_dir)
    documents = documents_from_environment(data_dir)
    targets = "\n".join(f"  {s.service} : {s.public_url()}" for s in sources)
    if not yes and not typer.confirm(
        f"Les bases actuelles seront remplacées par la sauvegarde {folder.name} :\n{targets}\n"
        "Les services sont-ils arrêtés ?"
    ):
        raise typer.Exit(code=1)
    try:
        with err.status("Restauration…") as status:
            restored = restore_backup(
                folder, sources, documents, progress=lambda step: status.update(f"Restauration : {step}…")
            )
    except BackupError as error:
        raise _fail(error) from None
    out.print(f"Restauré depuis {folder.name} : {', '.join(restored)}. Redémarrez les services.")
    out.print("Les consommateurs reprendront à leur dernier offset ; ce qui est déjà traité est ignoré.")


@app.command("elaguer")
def prune_command(
    keep: Annotated[int, typer.Option("--garder", min=1, help="Nombre de sauvegardes à garder.")],
    destination: DestinationOption = DEFAULT_DESTINATION,
) -> None:
    """Supprime les sauvegardes au-delà des N plus récentes (durée de conservation, RGPD)."""
    try:
        pruned = prune_backups(destination, keep)
    except BackupError as error:
        raise _fail(error) from None
    out.print(f"{len(pruned)} sauvegarde(s) supprimée(s)." if pruned else "Rien à supprimer.")
