"""`conseils territory …`: set up a territory's registry from its YAML file.

`territory_app` is a typer sub-app; the `conseils` command mounts it as
`conseils territory`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from conseils_registry.seed import SeedReport, seed_territory
from conseils_registry.settings import RegistrySettings
from conseils_registry.tables import metadata
from conseils_runtime import ServiceRuntime
from conseils_runtime.territory import TerritoryConfig, TerritoryFileError, load_territory

territory_app = typer.Typer(
    name="territory",
    help="Territoire : création et mise à jour à partir du fichier YAML.",
    no_args_is_help=True,
)


async def _seed(config: TerritoryConfig, database_url: str | None) -> SeedReport:
    overrides = {"database_url": database_url} if database_url else {}
    # Topics are prefixed with the territory of the file being seeded, whatever the environment says.
    settings = RegistrySettings(territory=config.territory.slug, **overrides)  # type: ignore[arg-type]
    runtime = ServiceRuntime(settings, metadata)
    try:
        # Events wait in the outbox: the registry relays them to Kafka when it runs.
        await runtime.database.create_all(metadata)
        return await seed_territory(runtime, config)
    finally:
        await runtime.database.dispose()


@territory_app.command("init")
def init(
    file: Annotated[
        Path, typer.Argument(help="Fichier du territoire (YAML), ex. territories/plaine-commune.yaml")
    ],
    database_url: Annotated[
        str | None, typer.Option(help="Base du registre (défaut : CONSEILS_REGISTRY_DATABASE_URL ou SQLite)")
    ] = None,
) -> None:
    """Crée ou met à jour le territoire ; relancer la commande ne change rien."""
    try:
        config = load_territory(file)
    except TerritoryFileError as error:
        typer.echo(f"Fichier refusé : {error.path}", err=True)
        for problem in error.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(code=2) from None
    report = asyncio.run(_seed(config, database_url))
    typer.echo(report.summary_fr())
    if report.events:
        typer.echo("Les événements partiront vers Kafka au démarrage du registre (boîte d'envoi).")
