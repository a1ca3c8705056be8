"""`conseils territory …`: set up a territory's registry from its YAML file, and its DKIM key.

`territory_app` is a typer sub-app; the `conseils` command mounts it as
`conseils territory`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer

from conseils_registry.seed import SeedReport, seed_territory
from conseils_registry.settings import RegistrySettings
from conseils_registry.tables import metadata
from conseils_runtime import ServiceRuntime
from conseils_runtime.territory import TerritoryConfig, TerritoryFileError, load_territory
from conseils_runtime.territory_periods import past_period_changes

territory_app = typer.Typer(
    name="territory",
    help="Territoire : création et mise à jour à partir du fichier YAML.",
    no_args_is_help=True,
)


def _refused(error: TerritoryFileError) -> typer.Exit:
    typer.echo(f"Fichier refusé : {error.path}", err=True)
    for problem in error.problems:
        typer.echo(f"  - {problem}", err=True)
    return typer.Exit(code=2)


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
        raise _refused(error) from None
    report = asyncio.run(_seed(config, database_url))
    typer.echo(report.summary_fr())
    if report.events:
        typer.echo("Les événements partiront vers Kafka au démarrage du registre (boîte d'envoi).")


@territory_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Fichier du territoire à déployer (YAML)")],
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", help="Fichier actuellement déployé : les périodes déjà commencées ne changent pas"
        ),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Date de la vérification, AAAA-MM-JJ (défaut : aujourd'hui)")
    ] = None,
) -> None:
    """Vérifie le fichier sans rien écrire ; avec --previous, refuse un scénario changé dans le passé."""
    try:
        config = load_territory(file)
        before = load_territory(previous) if previous is not None else None
    except TerritoryFileError as error:
        raise _refused(error) from None
    try:
        today = date.fromisoformat(on) if on else _today(config)
    except ValueError:
        typer.echo(f"Date illisible : {on} (AAAA-MM-JJ attendu)", err=True)
        raise typer.Exit(code=2) from None
    if before is not None:
        problems = past_period_changes(before, config, today)
        if problems:
            raise _refused(TerritoryFileError(str(file), problems)) from None
    typer.echo(f"Fichier valide : {file}")


def _today(config: TerritoryConfig) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(config.territory.timezone)).date()


def dkim_txt_record(public_key: str) -> str:
    """`v=DKIM1; k=rsa; p=…` (RFC 6376 §3.6.1) as a zone file value: strings of at most 255 characters."""
    value = f"v=DKIM1; k=rsa; h=sha256; p={public_key}"
    return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))


def _dkim_public_key(key_file: Path) -> str:
    import dkim.dknewkey  # type: ignore[import-untyped]  # dkimpy's own key tool (it runs openssl)

    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "record"
        dkim.dknewkey.ExtractRSADnsPublicKey(str(key_file), str(record), verbose=False)
        return record.read_text().rpartition("p=")[2].strip()


@territory_app.command("dkim-key")
def dkim_key(
    file: Annotated[Path, typer.Argument(help="Fichier du territoire (YAML)")],
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Clé privée (défaut : dkim/<sélecteur>.pem)")
    ] = None,
    selector: Annotated[
        str | None, typer.Option(help="Sélecteur DKIM (défaut : conseils-<territoire>)")
    ] = None,
) -> None:
    """Crée la clé DKIM du territoire (RSA 2048) si elle n'existe pas et affiche l'enregistrement DNS."""
    try:
        config = load_territory(file)
    except TerritoryFileError as error:
        raise _refused(error) from None
    chosen = selector or f"conseils-{config.territory.slug}"
    domain = parseaddr(config.mail.sender)[1].rpartition("@")[2]
    path = key_file or Path("dkim") / f"{chosen}.pem"
    if path.exists():
        typer.echo(f"Clé existante gardée : {path}", err=True)
    else:
        import dkim.dknewkey

        path.parent.mkdir(parents=True, exist_ok=True)
        previous = os.umask(0o077)  # the private key is readable by its owner only
        try:
            dkim.dknewkey.GenRSAKeys(str(path), verbose=False)
        finally:
            os.umask(previous)
        typer.echo(f"Clé créée : {path}", err=True)
    typer.echo(f"; à publier dans la zone DNS de {domain}")
    typer.echo(f"{chosen}._domainkey.{domain}. IN TXT ( {dkim_txt_record(_dkim_public_key(path))} )")
    typer.echo(f"; puis CONSEILS_NOTIFICATIONS_DKIM_KEY_FILE={path.resolve()}")
    typer.echo(f"; et CONSEILS_NOTIFICATIONS_DKIM_SELECTOR={chosen}")
