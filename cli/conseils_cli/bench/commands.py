"""``conseils bench``: benchmarks on the real broker, each beside its raw baseline."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from conseils_cli.bench.results import Result, write_results
from conseils_cli.kafka import launcher

err = Console(stderr=True)
if not err.is_terminal:
    err = Console(stderr=True, width=200)
SCENARIOS = ("hop", "fanout", "consumers", "replay", "bilan", "digest", "http")


def bench_command(  # noqa: PLR0917 - typer options
    quick: Annotated[bool, typer.Option("--quick", help="Version courte (moins de 5 minutes).")] = False,
    out: Annotated[Path, typer.Option(help="Fichier des résultats.")] = Path("bench-results.json"),
    database: Annotated[
        str, typer.Option(help="Base des services : sqlite ou postgres.", case_sensitive=False)
    ] = "sqlite",
    postgres_url: Annotated[
        str | None,
        typer.Option(
            help="URL de base PostgreSQL (une base est créée par service puis supprimée) ; "
            "défaut : CONSEILS_TEST_POSTGRES_URL. Le saut d'événement est aussi mesuré "
            "sur PostgreSQL si elle est connue.",
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(help=f"Scénarios à lancer, séparés par des virgules : {', '.join(SCENARIOS)}."),
    ] = None,
    svg: Annotated[Path | None, typer.Option(help="Graphique des figures face aux objectifs (SVG).")] = Path(
        "docs/performance.svg"
    ),
    http_seconds: Annotated[
        int | None,
        typer.Option(
            help="Durée de mesure par point d'accès HTTP, en secondes (défaut : 10, 5 avec --quick).", min=1
        ),
    ] = None,
) -> None:
    """Mesure les performances (Kafka réel, SMTP local) et les compare aux bibliothèques brutes."""
    from conseils_cli.bench.plot import TITLE, write_svg
    from conseils_cli.bench.suite import Sizes, run_all
    from conseils_cli.bench.wrk import LoadGeneratorMissing, ensure_wrk

    database = database.lower()
    if database not in ("sqlite", "postgres"):
        raise typer.BadParameter("sqlite ou postgres", param_hint="--database")
    postgres_url = postgres_url or os.environ.get("CONSEILS_TEST_POSTGRES_URL") or None
    if database == "postgres" and not postgres_url:
        raise typer.BadParameter(
            "--postgres-url (ou CONSEILS_TEST_POSTGRES_URL) est requis", param_hint="--database"
        )
    selected = None
    if only:
        selected = {name.strip() for name in only.split(",") if name.strip()}
        unknown = selected - set(SCENARIOS)
        if unknown:
            raise typer.BadParameter(f"inconnu(s) : {', '.join(sorted(unknown))}", param_hint="--only")
    sizes = Sizes.quick() if quick else Sizes.full()
    if http_seconds is not None:
        sizes = dataclasses.replace(sizes, http=dataclasses.replace(sizes.http, seconds=http_seconds))
    if selected is None or "http" in selected:
        try:  # before Kafka and the long scenarios: the HTTP figures need the native load generator
            ensure_wrk(err.print)
        except LoadGeneratorMissing as error:
            err.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
    # The services log their consumers' rebalances and aiokafka its retries: not benchmark output.
    # Failures still surface as exceptions.
    logging.disable(logging.ERROR)
    with err.status("Démarrage de Kafka…"):
        broker = launcher.start()

    with (
        tempfile.TemporaryDirectory(prefix="conseils-bench-") as work_dir,
        Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as progress,
    ):
        task = progress.add_task("Préparation", total=1)

        def report(description: str, done: int, total: int) -> None:
            progress.update(task, description=description, completed=done, total=total)

        results = asyncio.run(
            run_all(
                broker.bootstrap,
                Path(work_dir),
                sizes=sizes,
                database=database,
                postgres_url=postgres_url,
                progress=report,
                only=selected,
                say=progress.console.print,
            )
        )
    write_results(results, out)
    err.print(render(results))
    err.print(f"Résultats écrits dans {out}")
    if svg is not None:
        base = "PostgreSQL" if database == "postgres" else "SQLite"
        title = TITLE.replace("conseils", f"conseils ({base}{', --quick' if quick else ''})", 1)
        write_svg(results, svg, title=title)
        err.print(f"Graphique écrit dans {svg}")


def render(results: list[Result]) -> Table:
    table = Table(title="conseils — bancs d'essai")
    for column in ("scénario", "valeur", "référence brute", "ratio", "objectif", "détails"):
        table.add_column(column)
    for result in results:
        baseline = f"{result.baseline} {result.unit} ({result.baseline_label})" if result.baseline else "—"
        ratio = f"{result.ratio:.2f}" if result.ratio is not None else "—"
        if result.target_met is None:
            goal = "—"
        else:
            goal = f"{'[green]atteint' if result.target_met else '[red]manqué'}[/] {result.target_label}"
        details = ", ".join(f"{k}={v}" for k, v in result.details.items())
        table.add_row(result.scenario, f"{result.value} {result.unit}", baseline, ratio, goal, details)
    return table
