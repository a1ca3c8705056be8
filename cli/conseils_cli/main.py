"""Entry point of the ``conseils`` command: a thin assembly of sub-command groups.

Each group lives in its own package (``conseils_cli.<group>.commands``) and is
registered here with ``app.add_typer``.
"""

from __future__ import annotations

import typer

from conseils_cli.bench.commands import bench_command
from conseils_cli.kafka.commands import app as kafka_app
from conseils_cli.ops.commands import app as ops_app
from conseils_cli.sms.commands import app as sms_app
from conseils_cli.up import up_command
from conseils_meetings.cli import bilan_app
from conseils_registry.cli import territory_app

app = typer.Typer(
    name="conseils",
    help="Outils du projet conseils : broker Kafka local, territoires, exploitation.",
    no_args_is_help=True,
)
app.add_typer(kafka_app, name="kafka")
app.add_typer(ops_app, name="ops")
app.add_typer(territory_app, name="territory")
app.add_typer(bilan_app, name="bilan")
app.add_typer(sms_app, name="sms")
app.command("up")(up_command)
app.command("bench")(bench_command)


if __name__ == "__main__":
    app()
