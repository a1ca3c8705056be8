"""``conseils up``: the whole platform with a territory (Plaine Commune demo by default)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conseils_cli.kafka import launcher
from conseils_cli.kafka.grants import OPS, SERVICE_GRANTS
from conseils_cli.up_scenarios import scenario_refusal
from conseils_runtime.kafka_security import KafkaSecurity
from conseils_runtime.logs import logs_to_file

err = Console(stderr=True)


def up_command(  # noqa: PLR0917 - typer options
    territory_file: Annotated[
        Path | None,
        typer.Option("--territoire", help="Fichier du territoire (défaut : démo Plaine Commune)."),
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="Dossier des bases SQLite, documents et courriels.")] = Path(
        ".var/up"
    ),
    port: Annotated[int, typer.Option(help="Port du site.")] = 8000,
    smtp_port: Annotated[int, typer.Option(help="Port du serveur SMTP local (0 : libre).")] = 2525,
    service_ports: Annotated[
        str,
        typer.Option(
            "--ports-services",
            help="Ports du registre, des réunions et des notifications, séparés par des virgules "
            "(défaut : 8101,8102,8103, ou des ports libres s'ils sont pris ; 0 : libre).",
        ),
    ] = "",
    demo_year: Annotated[
        bool,
        typer.Option(
            "--annee-demo/--sans-annee-demo",
            help="Au premier démarrage d'un territoire de démonstration, rejouer une année passée "
            "(instances, inscriptions, présences, comptes rendus) pour que le bilan ait du contenu.",
        ),
    ] = True,
    kafka_plaintext: Annotated[
        bool,
        typer.Option(
            "--kafka-en-clair",
            help="Démarrer Kafka sans authentification ni ACL (par défaut : SASL/SCRAM et ACL, "
            "un principal par service, comme en production).",
        ),
    ] = False,
) -> None:
    """Démarre toute la plateforme : Kafka, les trois services, le site et un SMTP local."""
    from conseils_runtime.territory import TerritoryFileError, default_territory_path, load_territory
    from conseils_web.platform import PlatformOptions, run_platform

    path = territory_file or default_territory_path()
    try:
        territory = load_territory(path)
    except TerritoryFileError as error:
        err.print(f"[bold red]Fichier de territoire refusé[/] {escape(str(error))}")
        raise typer.Exit(2) from error

    try:
        ports = choose_ports(port, smtp_port, service_ports)
    except PortError as error:
        err.print(f"[bold red]{escape(str(error))}[/]")
        raise typer.Exit(2) from error
    log_file = data_dir / LOG_FILE
    with logs_to_file(log_file):  # the services' start-up lines go to the log, as when they start
        refusal = scenario_refusal(territory, path, data_dir)  # meetings' and notifications' own check
    if refusal is not None:
        err.print(f"[bold red]{escape(refusal)}[/]")
        raise typer.Exit(2)

    external = bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    running = None if external else launcher.status()
    already_running = external or running is not None
    # A broker already running keeps its mode (stop it to change); the environment's settings
    # (CONSEILS_KAFKA_*) serve an external one.
    secure = not external and (running.secure if running is not None else not kafka_plaintext)
    try:
        with err.status("Démarrage de Kafka…"):
            broker = launcher.start(
                secure=secure,
                tls=running.tls if running is not None else False,
                territories=[territory.territory.slug] if secure else (),
            )
            principals = platform_principals(broker) if secure else {}
    except launcher.KafkaLauncherError as error:
        err.print(f"[bold red]Kafka n'a pas démarré :[/] {escape(str(error))}")
        raise typer.Exit(1) from error
    mode = " (externe)" if external else " (SASL/SCRAM et ACL)" if secure else " (en clair)"
    err.print(f"[green]Kafka prêt[/] : {broker.bootstrap}{mode}")
    if secure:
        err.print("Un principal Kafka par service ; pour « conseils ops » :")
        # the command alone on its line, so that an 80-column terminal never splits it
        err.print('  [bold]eval "$(conseils kafka credentials ops --env)"[/]', soft_wrap=True)
    if running is not None and not secure and not kafka_plaintext:
        err.print(
            "Broker en clair déjà lancé : « conseils kafka stop » puis « conseils up » pour le sécuriser."
        )

    def ready(urls: dict[str, str]) -> None:
        table = Table(title=f"conseils — {territory.territory.name} (démonstration)")
        table.add_column("Rôle")
        table.add_column("Nom")
        table.add_column("Adresse de connexion")
        for person in territory.staff:
            table.add_row(
                "exploitation" if person.role == "operator" else "équipe", person.name, person.email
            )
        for member in territory.demo_members:
            role = "coordination" if member.role == "coordinator" else "conseiller·ère"
            table.add_row(role, member.display_name, member.email)
        if not err.is_terminal:  # a log file: do not cut the addresses at 80 columns
            err.width = 160
        err.print(table)
        err.print(f"Site : [bold]{urls['site']}[/]   courriels reçus : {urls['site']}/courriels")
        err.print(
            "Services : "
            + ", ".join(f"{name} {url}" for name, url in urls.items() if name not in {"site", "smtp"})
        )
        err.print(f"SMTP local : {urls['smtp']}. Arrêt : Ctrl-C.")

    options = PlatformOptions(
        territory=territory,
        territory_file=path,
        kafka_bootstrap=broker.bootstrap,
        data_dir=data_dir,
        site_port=port,
        smtp_port=smtp_port,
        service_ports=ports,
        on_ready=ready,
        demo_year=demo_year,
        kafka_security=principals,
    )
    err.print(f"Journal de la plateforme (Kafka, services, site) : {escape(str(log_file))}")
    try:
        # The console keeps this command's own lines; every log line goes to the file.
        with logs_to_file(log_file) as console:
            err.file = console
            # uvicorn applies `loop="uvloop"` only in its own `run()`: the platform serves from this loop.
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(run_platform(options))
    finally:
        err.file = None  # type: ignore[assignment]  # back to the current sys.stderr
        if not already_running:  # stop only the broker this command started
            with err.status("Arrêt de Kafka…"):
                launcher.stop()
        err.print("Plateforme arrêtée.")


LOG_FILE = "conseils.log"
"""The platform's log, in the data dir (FastStream, aiokafka, uvicorn, the services' and site's)."""


class PortError(ValueError):
    """A port asked for is taken or invalid: said in French, before anything starts."""


SERVICES = ("registry", "meetings", "notifications")
PREFERRED_PORTS = (8101, 8102, 8103)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port(taken: set[int]) -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            found: int = probe.getsockname()[1]
        if found not in taken:
            return found


def choose_ports(site_port: int, smtp_port: int, services: str) -> dict[str, int]:
    """The services' ports: those asked for (each checked free), else 8101-8103 when free, else free
    ones. The site's and the SMTP server's ports are checked too, so a taken port is said at once, in
    French, instead of a traceback once Kafka and the services have started."""
    for name, option, value in (("du site", "--port", site_port), ("SMTP", "--smtp-port", smtp_port)):
        if value and not port_free(value):
            raise PortError(f"Le port {name} {value} est déjà pris : choisissez-en un autre avec {option}.")
    taken = {site_port, smtp_port}
    asked: list[int] = []
    if services.strip():
        try:
            asked = [int(part) for part in services.split(",")]
        except ValueError:
            asked = []
        if len(asked) != len(SERVICES) or any(not 0 <= value < 65536 for value in asked):
            raise PortError(
                "--ports-services attend trois ports séparés par des virgules (registre, réunions, "
                "notifications), par exemple 8101,8102,8103 (0 : un port libre)."
            )
    chosen: dict[str, int] = {}
    for index, name in enumerate(SERVICES):
        wanted = asked[index] if asked else PREFERRED_PORTS[index]
        if wanted and wanted not in taken and port_free(wanted):
            chosen[name] = wanted
        elif asked and wanted:
            raise PortError(f"Le port {wanted} (service {name}) est déjà pris : changez --ports-services.")
        else:
            chosen[name] = _any_free_port(taken)
        taken.add(chosen[name])
    return chosen


def platform_principals(broker: launcher.BrokerInfo) -> dict[str, KafkaSecurity]:
    """Each service as its own principal; the site as the operator's (it reads every flow)."""
    state_dir = broker.state_dir
    principals = {name: launcher.credentials(state_dir, name) for name in SERVICE_GRANTS}
    principals["site"] = launcher.credentials(state_dir, OPS)
    return principals


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not on this platform (Windows): asyncio's own loop
        return None
    return uvloop.new_event_loop
