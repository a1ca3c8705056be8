"""``conseils sms``: start, stop and inspect the local Kannel gateway (fake SMSC)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from conseils_cli.sms import kannel

app = typer.Typer(
    name="sms",
    help="Passerelle SMS Kannel locale (SMSC factice), pour le développement et les tests.",
    no_args_is_help=True,
)
err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

StateDir = Annotated[
    Path,
    typer.Option(
        "--state-dir", help="Dossier d'état de la passerelle (kannel.conf, journaux).", file_okay=False
    ),
]


@app.command("start")
def start_command(
    state_dir: StateDir = Path(".var/kannel"),
    mo_url: Annotated[
        str,
        typer.Option(
            "--mo-url",
            help="Où Kannel envoie les réponses (STOP), jeton compris, p. ex. "
            "http://127.0.0.1:8103/notifications/sms/mo?token=... (vide : ignorées).",
        ),
    ] = "",
    timeout: Annotated[float, typer.Option(help="Délai maximal de démarrage, en secondes.")] = 20.0,
) -> None:
    """Démarre bearerbox, smsbox et le SMSC factice (ou réutilise ceux qui tournent).

    La dernière ligne de la sortie standard est l'adresse sendsms, identifiants compris :
    URL=$(conseils sms start --state-dir .var/kannel | tail -1)
    """
    try:
        gateway = kannel.start(state_dir, mo_url=mo_url, timeout=timeout)
    except kannel.KannelError as error:
        err.print(f"[bold red]Erreur :[/] {escape(str(error))}")
        if error.log_tail:
            err.print(escape(error.log_tail), markup=False, highlight=False)
        raise typer.Exit(code=1) from error
    err.print(
        f"[green]Kannel prêt[/] (bearerbox {gateway.pids['bearerbox']}, smsbox {gateway.pids['smsbox']}, "
        f"SMSC factice {gateway.pids['fakesmsc']}) ; administration : {gateway.admin_url}/status.txt ; "
        f"messages reçus par le SMSC factice : {escape(str(gateway.fakesmsc_log))}"
    )
    err.print(
        "Service notifications : CONSEILS_NOTIFICATIONS_SMS_SENDSMS_URL, _USERNAME, _PASSWORD "
        "(conseils sms env --state-dir ...)"
    )
    out.print(f"{gateway.sendsms_url}?username={gateway.username}&password={gateway.password}")


@app.command("env")
def env_command(state_dir: StateDir = Path(".var/kannel")) -> None:
    """Les variables d'environnement du service notifications pour cette passerelle."""
    gateway = kannel.running(state_dir.resolve())
    if gateway is None:
        err.print("[bold red]Aucune passerelle en marche[/] dans ce dossier (conseils sms start).")
        raise typer.Exit(code=1)
    out.print(f"CONSEILS_NOTIFICATIONS_SMS_SENDSMS_URL={gateway.sendsms_url}")
    out.print(f"CONSEILS_NOTIFICATIONS_SMS_USERNAME={gateway.username}")
    out.print(f"CONSEILS_NOTIFICATIONS_SMS_PASSWORD={gateway.password}")


@app.command("received")
def received_command(state_dir: StateDir = Path(".var/kannel")) -> None:
    """Les SMS reçus par le SMSC factice (un par ligne : destinataire et texte)."""
    for message in kannel.received(state_dir.resolve()):
        out.print(f"{message.to}\t{message.text}", markup=False)


@app.command("answer")
def answer_command(
    sender: Annotated[str, typer.Argument(help="Numéro qui répond, p. ex. +33612345678.")],
    text: Annotated[str, typer.Argument(help="Texte de la réponse, p. ex. STOP.")],
    state_dir: StateDir = Path(".var/kannel"),
) -> None:
    """Simule la réponse d'un téléphone (p. ex. STOP) par le SMSC factice."""
    kannel.answer(state_dir.resolve(), sender, text)


@app.command("stop")
def stop_command(state_dir: StateDir = Path(".var/kannel")) -> None:
    """Arrête les trois processus de la passerelle de ce dossier."""
    if kannel.stop(state_dir.resolve()):
        err.print("[green]Kannel arrêté.[/]")
    else:
        err.print("Aucune passerelle en marche dans ce dossier.")
