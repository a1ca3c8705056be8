"""``conseils ops``: the operator's view of a territory's event flows, in French.

Tables and timelines go to the standard output, progress bars and messages to
the error output; ``--json`` prints one JSON document on the standard output.
The Kafka work is done by :mod:`conseils_runtime.flows`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from conseils_cli.ops.backup_commands import app as backup_app
from conseils_runtime import flows
from conseils_schemas import topics as wire
from conseils_schemas.topics import validate_territory_slug

app = typer.Typer(
    name="ops",
    help="Exploitation d'un territoire : flux d'événements, traces, lettres mortes, sauvegardes.",
    no_args_is_help=True,
)
dlq_app = typer.Typer(
    name="dlq",
    help="Lettres mortes : lister, afficher, rejouer vers le topic d'origine.",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")
app.add_typer(backup_app, name="sauvegarde")

out = Console(highlight=False)
err = Console(stderr=True)

_T = TypeVar("_T")

BootstrapOption = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        envvar="KAFKA_BOOTSTRAP_SERVERS",
        help="Adresse du broker Kafka (défaut : $KAFKA_BOOTSTRAP_SERVERS, sinon le broker local).",
        show_default=False,
    ),
]
TerritoryOption = Annotated[
    str,
    typer.Option("--territory", envvar="CONSEILS_TERRITORY", help="Territoire (préfixe des topics)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON sur la sortie standard.")]

DEFAULT_TERRITORY = "plaine-commune"


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {escape(message)}")
    return typer.Exit(code=2)


def _context(bootstrap: str | None, territory: str) -> tuple[str, str]:
    """The broker address and the validated territory, or a French error."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        validate_territory_slug(territory)
    except ValueError as error:
        raise _fail(f"territoire invalide {territory!r} (lettres minuscules, chiffres et tirets)") from error
    if bootstrap:
        typer.echo(f"Broker Kafka : {bootstrap} (--bootstrap ou KAFKA_BOOTSTRAP_SERVERS)", err=True)
        return bootstrap, territory
    from conseils_cli.kafka import launcher

    info = launcher.status()
    if info is None:
        raise _fail(
            "aucun broker Kafka : donnez --bootstrap, définissez KAFKA_BOOTSTRAP_SERVERS "
            "ou lancez « conseils kafka start »."
        )
    typer.echo(
        f"Broker Kafka : {info.bootstrap} (broker local de « conseils kafka start » ou « conseils up »)",
        err=True,
    )
    return info.bootstrap, territory


def _run(work: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    try:
        return asyncio.run(work())
    except flows.OpsError as error:
        raise _fail(str(error)) from error
    except KafkaError as error:
        raise _fail(f"le broker Kafka a répondu par une erreur : {error!r}") from error


@contextmanager
def _progress(description: str, enabled: bool = True) -> Iterator[flows.Progress]:
    """A rich progress bar on the error output, fed by ``(done, total)`` callbacks."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not enabled,
    )
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def _print_json(data: Any) -> None:
    out.print(json.dumps(data, ensure_ascii=False, indent=2), markup=False, highlight=False, soft_wrap=True)


def _short(text: str | None, width: int = 12) -> str:
    if not text:
        return "—"
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} j"


def _when(text: str | None) -> str:
    """An RFC 3339 time as ``2026-03-10 18:30:00.123`` (UTC), or the text itself if it is not one."""
    if not text:
        return "—"
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return text
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _type(ce_type: str | None) -> str:
    # "fr.conseils.meetings.instance.scheduled.v1" reads better as "meetings.instance.scheduled.v1".
    return (ce_type or "—").removeprefix("fr.conseils.")


# --------------------------------------------------------------------------- status


@app.command("status")
def status_command(
    bootstrap: BootstrapOption = None,
    territory: TerritoryOption = DEFAULT_TERRITORY,
    window: Annotated[float, typer.Option(min=0, help="Durée de mesure du débit récent, en secondes.")] = 2.0,
    fail_on_dead_letters: Annotated[
        bool, typer.Option("--fail-on-dead-letters", help="Code de sortie 1 s'il reste des lettres mortes.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Messages et débit par topic, retard des groupes de consommateurs, lettres mortes."""
    bootstrap, territory = _context(bootstrap, territory)
    with err.status(f"Mesure des flux de {territory} ({window:g} s)…") if not as_json else _nothing():
        report = _run(lambda: flows.collect_status(bootstrap, territory, window=window))
    if as_json:
        _print_json(report.to_json())
    else:
        _render_status(report)
    if fail_on_dead_letters and report.has_dead_letters:
        raise typer.Exit(code=1)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _render_status(report: flows.StatusReport) -> None:
    prefix = f"{report.territory}."
    topics = Table(title=f"Topics du territoire {report.territory}", title_justify="left")
    topics.add_column("Topic")
    topics.add_column("Partitions", justify="right")
    topics.add_column("Messages", justify="right")
    topics.add_column(f"Débit (msg/s sur {report.window_seconds:g} s)", justify="right")
    for stats in report.topics:
        if stats.dead_letter:
            continue
        if not stats.exists:
            topics.add_row(stats.topic.removeprefix(prefix), "—", "[dim]absent[/]", "—")
            continue
        topics.add_row(
            stats.topic.removeprefix(prefix),
            str(stats.partitions),
            str(stats.messages),
            f"{stats.rate_per_second:g}",
        )
    out.print(topics)

    groups = Table(title=f"Groupes de consommateurs « {prefix}* »", title_justify="left")
    groups.add_column("Groupe")
    groups.add_column("Topic")
    groups.add_column("Retard (messages)", justify="right")
    groups.add_column("Plus ancien non lu", justify="right")
    groups.add_column("Retard (temps)", justify="right")
    for lag in report.groups:
        style = "yellow" if lag.lag_messages else ""
        groups.add_row(
            lag.group.removeprefix(prefix),
            lag.topic.removeprefix(prefix),
            f"[{style}]{lag.lag_messages}[/]" if style else str(lag.lag_messages),
            _when(lag.oldest_unconsumed_at),
            _duration(lag.lag_seconds),
        )
    if report.groups:
        out.print(groups)
    else:
        out.print(f"Aucun groupe de consommateurs « {report.territory}.* ».")

    dead = report.dead_letters
    total = sum(dead.values())
    if total:
        letters = Table(title="Lettres mortes", title_justify="left")
        letters.add_column("Topic")
        letters.add_column("Messages", justify="right")
        letters.add_column("Non rejouées", justify="right")
        for topic, count in dead.items():
            if count:
                pending = report.dead_letters_not_replayed.get(topic, count)
                letters.add_row(
                    topic.removeprefix(prefix),
                    f"[bold red]{count}[/]",
                    f"[bold red]{pending}[/]" if pending else "0",
                )
        out.print(letters)
        out.print("Détail : conseils ops dlq list ; rejeu : conseils ops dlq replay <topic>.")
    else:
        out.print("[green]Aucune lettre morte.[/]")


# --------------------------------------------------------------------------- trace


@app.command("trace")
def trace_command(
    ident: Annotated[
        str, typer.Argument(help="Identifiant d'instance (ou d'un autre agrégat) ou de corrélation.")
    ],
    bootstrap: BootstrapOption = None,
    territory: TerritoryOption = DEFAULT_TERRITORY,
    as_json: JsonOption = False,
) -> None:
    """Chronologie des événements liés à un identifiant, sur tous les topics du territoire."""
    bootstrap, territory = _context(bootstrap, territory)
    with _progress(f"Lecture des topics de {territory}", enabled=not as_json) as progress:
        entries = _run(lambda: flows.trace(bootstrap, territory, ident, progress=progress))
    if as_json:
        _print_json({"id": ident, "territory": territory, "events": [e.to_json() for e in entries]})
    elif not entries:
        out.print(f"Aucun événement pour « {escape(ident)} » dans le territoire {territory}.")
    if not entries:
        raise typer.Exit(code=1)  # like grep: nothing found
    if as_json:
        return
    prefix = f"{territory}."
    table = Table(title=f"Chronologie de {escape(ident)}", title_justify="left")
    table.add_column("Heure (UTC)")
    table.add_column("Topic")
    table.add_column("Type")
    table.add_column("ce_id")
    table.add_column("Clé")
    table.add_column("Corrélation")
    for entry in entries:
        topic = entry.topic.removeprefix(prefix)
        dead = entry.topic.endswith(".dlq")
        table.add_row(
            _when(entry.time or entry.kafka_time),
            f"[red]{topic}[/]" if dead else topic,
            _type(entry.ce_type),
            _short(entry.ce_id),
            _short(entry.key),
            _short(entry.correlation_id),
        )
    out.print(table)
    chains = {e.correlation_id for e in entries if e.correlation_id}
    out.print(f"{len(entries)} événement(s), {len(chains)} chaîne(s) de corrélation.")


# --------------------------------------------------------------------------- dlq


@dlq_app.command("list")
def dlq_list_command(
    topic: Annotated[
        str | None, typer.Option("--topic", help="Un seul topic (de lettres mortes ou d'origine).")
    ] = None,
    last: Annotated[int, typer.Option(min=0, help="Nombre de derniers messages montrés par topic.")] = 5,
    bootstrap: BootstrapOption = None,
    territory: TerritoryOption = DEFAULT_TERRITORY,
    as_json: JsonOption = False,
) -> None:
    """Nombre de lettres mortes par topic et les dernières, avec leur origine et leur erreur."""
    bootstrap, territory = _context(bootstrap, territory)
    topics = _run(lambda: flows.list_dead_letters(bootstrap, territory, topic=topic, last=last))
    if as_json:
        _print_json({"territory": territory, "topics": [t.to_json() for t in topics]})
        return
    if not topics:
        out.print(f"Aucun topic de lettres mortes pour le territoire {territory}.")
        return
    prefix = f"{territory}."
    empty = [dlq.topic.removeprefix(prefix) for dlq in topics if not dlq.count]
    for dlq in topics:
        if not dlq.count:
            continue
        # One block per letter rather than a wide table: errors are long and terminals narrow.
        out.print(
            f"[bold]{dlq.topic}[/] : [bold red]{dlq.count}[/] lettre(s) morte(s), "
            f"dont {dlq.not_replayed} non rejouée(s) ; dernières :"
        )
        for letter in dlq.last:
            h = letter.headers
            origin = ":".join(
                (
                    h.get(wire.DLQ_ORIGIN_TOPIC, "?").removeprefix(prefix),
                    h.get(wire.DLQ_ORIGIN_PARTITION, "?"),
                    h.get(wire.DLQ_ORIGIN_OFFSET, "?"),
                )
            )
            out.print(
                f"  [bold]partition {letter.partition} offset {letter.offset}[/]  "
                f"{_when(h.get('dlq_failed_at') or letter.timestamp)}  {escape(_type(h.get('ce_type')))}"
                + ("  [green](rejouée)[/]" if letter.replayed else "")
            )
            out.print(
                f"    origine : {escape(origin)} · groupe : "
                f"{escape(h.get('dlq_consumer_group', '—').removeprefix(prefix))} · "
                f"essais : {escape(h.get(wire.DLQ_ATTEMPTS, '—'))}"
            )
            out.print(f"    erreur : {escape(_short(h.get(wire.DLQ_ERROR), 300))}")
    if any(dlq.count for dlq in topics):
        out.print(
            "Détail : conseils ops dlq show <topic> <offset> --partition <p> ; "
            "rejeu : conseils ops dlq replay <topic>."
        )
    if empty:
        out.print(f"[green]Vides :[/] {', '.join(empty)}")


@dlq_app.command("show")
def dlq_show_command(
    topic: Annotated[str, typer.Argument(help="Topic de lettres mortes (ou son topic d'origine).")],
    offset: Annotated[int, typer.Argument(min=0, help="Offset du message.")],
    *,
    partition: Annotated[int, typer.Option(min=0, help="Partition du message.")] = 0,
    bootstrap: BootstrapOption = None,
    territory: TerritoryOption = DEFAULT_TERRITORY,
    as_json: JsonOption = False,
) -> None:
    """En-têtes et contenu d'une lettre morte."""
    bootstrap, territory = _context(bootstrap, territory)
    letter = _run(lambda: flows.show_dead_letter(bootstrap, territory, topic, offset, partition=partition))
    if as_json:
        _print_json(letter.to_json())
        return
    table = Table(
        title=f"{letter.topic} partition {letter.partition} offset {letter.offset}", title_justify="left"
    )
    table.add_column("En-tête")
    table.add_column("Valeur", overflow="fold")
    table.add_row("(clé)", escape(letter.key or "—"))
    table.add_row("(horodatage Kafka)", letter.timestamp or "—")
    for name, value in letter.headers.items():
        table.add_row(escape(name), escape(value))
    out.print(table)
    if letter.truncated:
        out.print(
            f"[yellow]Lettre tronquée :[/] {letter.headers.get(wire.DLQ_ORIGINAL_SIZE, '?')} octets à "
            f"l'origine, sha256 {letter.headers.get(wire.DLQ_ORIGINAL_SHA256, '?')} ; le contenu ci-dessous "
            "est incomplet et la lettre ne peut pas être rejouée."
        )
    out.print("[bold]Contenu :[/]")
    body = letter.to_json()["body"]
    if isinstance(body, str) or body is None:
        out.print(escape(body or "(vide)"), markup=False)
    else:
        out.print_json(data=body)


@dlq_app.command("replay")
def dlq_replay_command(
    topic: Annotated[str, typer.Argument(help="Topic de lettres mortes (ou son topic d'origine).")],
    *,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Ne pas demander de confirmation.")] = False,
    include_replayed: Annotated[
        bool, typer.Option("--all", help="Rejouer aussi les lettres mortes déjà rejouées.")
    ] = False,
    bootstrap: BootstrapOption = None,
    territory: TerritoryOption = DEFAULT_TERRITORY,
    as_json: JsonOption = False,
) -> None:
    """Republie les lettres mortes vers leur topic d'origine (en-têtes CloudEvents et clé d'origine).

    Sans risque à relancer : ce qui est rejoué est noté dans le groupe
    « <territoire>.ops.dlq-replay », et un second rejeu ne republie que les
    nouvelles lettres mortes.
    """
    bootstrap, territory = _context(bootstrap, territory)
    plan = _run(lambda: flows.plan_replay(bootstrap, territory, topic, include_replayed=include_replayed))
    if not plan.pending:
        if as_json:
            _print_json(flows.ReplayResult(dlq_topic=plan.dlq_topic).to_json())
        else:
            out.print(f"Rien à rejouer : {plan.dlq_topic} n'a pas de nouvelle lettre morte.")
        return
    origin = plan.dlq_topic.removesuffix(".dlq")
    if not yes and not typer.confirm(
        f"Rejouer {plan.pending} lettre(s) morte(s) de {plan.dlq_topic} vers {origin} ?", err=True
    ):
        err.print("Abandon : rien n'a été rejoué.")
        raise typer.Exit(code=1)
    with _progress(f"Rejeu vers {origin}", enabled=not as_json) as progress:
        result = _run(lambda: flows.replay_dead_letters(bootstrap, territory, plan, progress=progress))
    if as_json:
        _print_json(result.to_json())
    else:
        out.print(f"[green]{len(result.replayed)} lettre(s) morte(s) rejouée(s)[/] vers {origin}.")
        for skipped in result.skipped:
            out.print(
                f"[yellow]Ignorée[/] partition {skipped['partition']} offset {skipped['offset']} : "
                f"{escape(str(skipped['reason']))}"
            )
    if result.skipped:
        raise typer.Exit(code=1)
