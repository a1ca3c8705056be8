"""``conseils kafka``: start, stop and inspect the local Kafka broker."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from conseils_cli.kafka import launcher
from conseils_cli.kafka.security import INTEGRATOR, provision_territory
from conseils_runtime.kafka_security import KafkaSecurity

app = typer.Typer(
    name="kafka",
    help="Broker Kafka local (KRaft, un seul nœud, sans Docker).",
    no_args_is_help=True,
)

# Everything for people goes to stderr: stdout carries only machine-readable output.
err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Dossier d'état du broker (défaut : $CONSEILS_STATE_DIR ou <dépôt>/.var/kafka).",
        file_okay=False,
    ),
]


def _quiet_aiokafka() -> None:
    # Connection-refused noise while the broker boots is expected.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _fail(error: launcher.KafkaLauncherError) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {escape(str(error))}")
    if error.log_tail:
        err.print("[dim]--- fin du journal ---[/]")
        err.print(escape(error.log_tail), markup=False, highlight=False)
    return typer.Exit(code=1)


TerritoryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--territory",
        help="Territoire dont créer les topics et les ACL (répétable ; défaut : $CONSEILS_TERRITORY "
        "ou plaine-commune).",
    ),
]


def _territories(values: list[str] | None) -> list[str]:
    return values or [os.environ.get("CONSEILS_TERRITORY", "").strip() or "plaine-commune"]


@app.command("start")
def start_command(
    state_dir: StateDirOption = None,
    timeout: Annotated[float, typer.Option(help="Délai maximal d'attente du broker, en secondes.")] = 90.0,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="Authentification SASL/SCRAM-SHA-512 et ACL : un principal par service, ops, integrator "
            "(mots de passe : conseils kafka credentials).",
        ),
    ] = False,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="Avec --secure : SASL_SSL, certificat signé par une autorité locale (<état>/tls/ca.pem, "
            "que les clients vérifient : CONSEILS_KAFKA_SSL_CAFILE).",
        ),
    ] = False,
    territory: TerritoryOption = None,
) -> None:
    """Démarre le broker (ou réutilise celui qui tourne) et affiche son adresse.

    La dernière ligne de la sortie standard est l'adresse bootstrap seule :
    BOOTSTRAP=$(conseils kafka start | tail -1)
    """
    _quiet_aiokafka()
    try:
        with err.status("Préparation du broker Kafka…") as spinner:
            info = launcher.start(
                state_dir,
                timeout=timeout,
                progress=lambda message: spinner.update(escape(message)),
                secure=secure,
                tls=tls,
                territories=_territories(territory) if secure else (),
            )
    except launcher.KafkaLauncherError as error:
        raise _fail(error) from error
    if info.secure:
        err.print(
            f"[green]SASL/SCRAM-SHA-512{' sur TLS' if info.tls else ''} et ACL actifs[/] ; "
            "identifiants d'un client : "
            "[bold]conseils kafka credentials <principal> --env[/] "
            f"(principaux : {', '.join(launcher.PRINCIPALS)})"
        )
    if info.external:
        err.print(f"[green]Broker externe joignable[/] (KAFKA_BOOTSTRAP_SERVERS) : {info.bootstrap}")
    else:
        err.print(
            f"[green]Broker Kafka {launcher.KAFKA_VERSION} prêt[/] "
            f"(pid {info.pid}, journal : {escape(str(info.log_file))})"
        )
    out.print(info.bootstrap)


@app.command("stop")
def stop_command(
    state_dir: StateDirOption = None,
    timeout: Annotated[float, typer.Option(help="Délai avant SIGKILL, en secondes.")] = 30.0,
) -> None:
    """Arrête le broker local (SIGTERM, puis SIGKILL après le délai)."""
    try:
        info = launcher.stop(state_dir, timeout=timeout)
    except launcher.KafkaLauncherError as error:
        raise _fail(error) from error
    if info is None:
        err.print("Aucun broker local en cours d'exécution.")
    else:
        err.print(f"[green]Broker arrêté[/] (pid {info.pid}, {info.bootstrap}).")


@app.command("status")
def status_command(
    state_dir: StateDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON sur la sortie standard.")] = False,
) -> None:
    """Indique si le broker tourne et répond (code 0), sinon code 1."""
    _quiet_aiokafka()
    info = launcher.status(state_dir)
    if as_json:
        payload = {"running": info is not None, **(info.to_json() if info else {})}
        out.print(json.dumps(payload), markup=False)
    elif info is None:
        out.print("Broker Kafka : arrêté (ou ne répond pas).")
    elif info.external:
        out.print(f"Broker Kafka externe : en marche sur {info.bootstrap}")
    else:
        out.print(
            f"Broker Kafka : en marche sur {info.bootstrap} (pid {info.pid})\nJournal : {info.log_file}",
            markup=False,
        )
    raise typer.Exit(code=0 if info is not None else 1)


PrincipalArgument = Annotated[
    str, typer.Argument(help="Principal : registry, meetings, notifications, ops, …")
]


@app.command("credentials")
def credentials_command(
    principal: PrincipalArgument,
    state_dir: StateDirOption = None,
    as_env: Annotated[
        bool, typer.Option("--env", help='Lignes `export CONSEILS_KAFKA_…=…` (eval "$(…)").')
    ] = False,
) -> None:
    """Affiche le mot de passe SASL d'un principal du broker sécurisé (--secure)."""
    try:
        security = launcher.credentials(state_dir, principal)
    except launcher.KafkaLauncherError as error:
        raise _fail(error) from error
    if as_env:
        for name, value in security.env().items():
            out.print(f"export {name}={shlex.quote(value)}", markup=False)
    else:
        out.print(security.sasl_password.get_secret_value(), markup=False)


@app.command("grant")
def grant_command(
    territory: TerritoryOption = None,
    state_dir: StateDirOption = None,
    partitions: Annotated[int, typer.Option(help="Partitions des topics créés.")] = 3,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            help="Broker sécurisé à configurer (docker-compose) au lieu du broker local ; "
            "identifiants d'un super-utilisateur dans CONSEILS_KAFKA_*.",
        ),
    ] = None,
    integrator: Annotated[
        list[str] | None,
        typer.Option(
            "--integrator", help="Principal intégrateur (répétable ; avec --bootstrap, défaut : integrator)."
        ),
    ] = None,
) -> None:
    """Crée les topics et les ACL d'un territoire sur un broker sécurisé (idempotent)."""
    _quiet_aiokafka()
    territories = _territories(territory)
    try:
        if bootstrap:
            admin = KafkaSecurity()
            if not admin.sasl:
                raise launcher.KafkaLauncherError(
                    "--bootstrap needs a super user's credentials in CONSEILS_KAFKA_SECURITY_PROTOCOL, "
                    "CONSEILS_KAFKA_SASL_USERNAME and CONSEILS_KAFKA_SASL_PASSWORD."
                )
            for slug in territories:
                asyncio.run(
                    provision_territory(
                        bootstrap,
                        admin,
                        slug,
                        integrators=integrator or [INTEGRATOR],
                        partitions=partitions,
                    )
                )
        else:
            launcher.grant(state_dir, territories, partitions=partitions)
    except launcher.KafkaLauncherError as error:
        raise _fail(error) from error
    err.print(f"[green]Topics et ACL en place[/] : {', '.join(territories)}")


@app.command("add-integrator")
def add_integrator_command(
    name: Annotated[str, typer.Argument(help="Nom du principal (lettres, chiffres, - et _).")],
    territory: TerritoryOption = None,
    state_dir: StateDirOption = None,
) -> None:
    """Ajoute un intégrateur en lecture seule (ni coordonnées ni lettres mortes) et affiche son mot de passe.

    Ses groupes de consommateurs : <territoire>.<nom>.<application>.
    """
    _quiet_aiokafka()
    try:
        security = launcher.add_integrator(state_dir, name, _territories(territory))
    except launcher.KafkaLauncherError as error:
        raise _fail(error) from error
    err.print(
        f"[green]Intégrateur {escape(name)} créé[/] (groupes : "
        f"{escape(_territories(territory)[0])}.{escape(name)}.<application>)"
    )
    out.print(security.sasl_password.get_secret_value(), markup=False)
