"""`conseils bilan`: the participation review as an HTML or CSV file.

Reads the meetings database named by the service's settings
(CONSEILS_MEETINGS_DATABASE_URL, or the embedded SQLite file), or, with
`--replay`, a scratch database rebuilt from the territory's events alone.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from conseils_meetings import reports
from conseils_meetings.replay import read_log, rebuild
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_runtime.http import DomainError

bilan_app = typer.Typer(
    name="bilan", help="Bilan de participation des conseils citoyens sur une période.", no_args_is_help=True
)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"date attendue au format AAAA-MM-JJ, reçu « {value} »") from None


async def render_bilan(
    settings: MeetingsSettings, period_from: date, period_to: date, output: str, *, replay: bool = False
) -> str:
    with tempfile.TemporaryDirectory(prefix="conseils-bilan-") as scratch:
        url = (
            f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
            if replay
            else settings.resolved_database_url()
        )
        database = Database(url)
        try:
            await database.create_all(metadata)
            if replay:
                events = await read_log(settings.kafka_bootstrap_servers, settings.territory)
                await rebuild(database, settings.territory_config, events)
            async with database.sessionmaker() as session:
                result = await reports.load_bilan(session, settings.territory_config, period_from, period_to)
        finally:
            await database.dispose()
    if output == "csv":
        return "\ufeff" + reports.bilan_csv(result)
    return reports.bilan_html(result, settings.territory_config.territory.name)


@bilan_app.callback(invoke_without_command=True)
def bilan(
    period_from: Annotated[str, typer.Option("--from", help="Premier jour (AAAA-MM-JJ).")],
    period_to: Annotated[str, typer.Option("--to", help="Dernier jour (AAAA-MM-JJ).")],
    output_format: Annotated[str, typer.Option("--format", help="html ou csv.")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="Fichier à écrire (sinon la sortie standard).")
    ] = None,
    replay: Annotated[
        bool,
        typer.Option("--replay", help="Recalculer à partir des seuls événements Kafka (base reconstruite)."),
    ] = False,
) -> None:
    """Écrit le bilan de la période en HTML (avec graphiques) ou en CSV."""
    if output_format not in ("html", "csv"):
        raise typer.BadParameter("format attendu : html ou csv", param_hint="--format")
    start, end = _parse_date(period_from), _parse_date(period_to)
    try:
        text = asyncio.run(render_bilan(MeetingsSettings(), start, end, output_format, replay=replay))
    except DomainError as error:
        typer.echo(f"Erreur : {error.message}", err=True)
        raise typer.Exit(code=2) from None
    if out is None:
        typer.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Bilan écrit dans {out} ({datetime.now():%d/%m/%Y %H:%M}).", err=True)
