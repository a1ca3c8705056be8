"""``conseils bench``: benchmarks on the real broker, each beside its raw baseline."""

from __future__ import annotations

import asyncio
import logging
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


def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="Version courte (moins de 5 minutes).")] = False,
    out: Annotated[Path, typer.Option(help="Fichier des résultats.")] = Path("bench-results.json"),
) -> None:
    """Mesure les performances (Kafka réel, SMTP local) et les compare aux bibliothèques brutes."""
    from conseils_cli.bench.scenarios import run_generic

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with err.status("Démarrage de Kafka…"):
        broker = launcher.start()

    with (
        tempfile.TemporaryDirectory(prefix="conseils-bench-") as work_dir,
        Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as progress,
    ):
        task = progress.add_task("Préparation", total=1)

        def report(description: str, done: int, total: int) -> None:
            progress.update(task, description=description, completed=done, total=total)

        results = asyncio.run(run_generic(broker.bootstrap, Path(work_dir), quick=quick, progress=report))
    write_results(results, out)
    err.print(render(results))
    err.print(f"Résultats écrits dans {out}")


def render(results: list[Result]) -> Table:
    table = Table(title="conseils — bancs d'essai")
    for column in ("scénario", "valeur", "référence brute", "ratio", "détails"):
        table.add_column(column)
    for result in results:
        baseline = f"{result.baseline} {result.unit} ({result.baseline_label})" if result.baseline else "—"
        ratio = f"{result.ratio:.2f}" if result.ratio is not None else "—"
        details = ", ".join(f"{k}={v}" for k, v in result.details.items())
        table.add_row(result.scenario, f"{result.value} {result.unit}", baseline, ratio, details)
    return table
