"""`conseils bilan`: the participation review as an HTML, CSV or JSON file.

Where the figures come from, in this order (the one used is printed on stderr):

* the database: `--database-url` > CONSEILS_MEETINGS_DATABASE_URL (environment
  or `.env`) > the meetings database of `conseils up` (`.var/up/meetings.db`,
  from the current directory or the repository root) if it exists > the
  service's embedded SQLite file (`.var/data/meetings.db`);
* with `--replay`, a scratch database rebuilt from the territory's events of
  the broker: `--bootstrap` > KAFKA_BOOTSTRAP_SERVERS > the local broker
  recorded by `conseils up` / `conseils kafka start` (its state directory's
  `broker.json`, checked reachable) > an error saying how to start one.

`--compare-from`/`--compare-to` add a second period: one HTML page (the key
totals side by side with their difference, then each period), one CSV file
(a first column « période »), or JSON `{"periods": [a, b]}`.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from sqlalchemy.engine import make_url

from conseils_meetings import bilan_outputs, reports
from conseils_meetings.bilan import Bilan
from conseils_meetings.replay import TruncatedLog, read_log, rebuild
from conseils_meetings.settings import MeetingsSettings
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_runtime.http import DomainError
from conseils_runtime.kafka_security import ENV_PASSWORD, ENV_USERNAME, KafkaSecurity

FORMATS = ("html", "csv", "json")
UP_DATABASE = Path(".var") / "up" / "meetings.db"  # where `conseils up` keeps the meetings database
CREDENTIALS_COMMAND = 'eval "$(conseils kafka credentials ops --env)"'  # the local broker's operator

bilan_app = typer.Typer(
    name="bilan", help="Bilan de participation des conseils citoyens sur une période.", no_args_is_help=True
)


@dataclass(frozen=True)
class Source:
    """A database URL or a broker address, and where it was found (said to the user)."""

    value: str
    origin: str

    def shown(self) -> str:
        try:
            return make_url(self.value).render_as_string(hide_password=True)
        except Exception:  # a broker address, not a URL
            return self.value


class BrokerNotFound(Exception):
    """No broker to replay from: the message says how to start one."""


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"date attendue au format AAAA-MM-JJ, reçu « {value} »") from None


def up_databases(cwd: Path | None = None) -> list[Path]:
    """Where `conseils up` (run from here or from the repository root) keeps the meetings database."""
    here = (cwd or Path.cwd()).resolve()
    candidates = [here / UP_DATABASE]
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            if directory / UP_DATABASE not in candidates:
                candidates.append(directory / UP_DATABASE)
            break
    return candidates


def resolve_database(settings: MeetingsSettings, option: str | None, *, cwd: Path | None = None) -> Source:
    if option:
        return Source(option, "option --database-url")
    if settings.database_url:
        return Source(settings.database_url, "CONSEILS_MEETINGS_DATABASE_URL")
    for path in up_databases(cwd):
        if path.is_file():
            return Source(f"sqlite+aiosqlite:///{path}", f"base de `conseils up` dans {path.parent}")
    return Source(
        settings.resolved_database_url(), "base embarquée du service (aucune base de `conseils up`)"
    )


def resolve_bootstrap(
    settings: MeetingsSettings, option: str | None, *, state_dir: Path | None = None
) -> Source:
    if option:
        return Source(option, "option --bootstrap")
    if "kafka_bootstrap_servers" in settings.model_fields_set:
        return Source(settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS")
    how = (
        "Démarrez la plateforme (`make up`) ou un broker (`conseils kafka start`), "
        "ou indiquez son adresse avec --bootstrap ou KAFKA_BOOTSTRAP_SERVERS."
    )
    try:
        from conseils_cli.kafka.discovery import recorded_broker
    except ImportError:  # the meetings package installed without the `conseils` command
        raise BrokerNotFound(f"Aucun broker Kafka indiqué. {how}") from None
    recorded = recorded_broker(state_dir)
    if recorded is None:
        raise BrokerNotFound(f"Aucun broker Kafka local en marche (aucun enregistré). {how}")
    if not recorded.reachable:
        where = f"Le broker Kafka local enregistré dans {recorded.state_dir} ({recorded.bootstrap})"
        if recorded.listening and recorded.secure:  # it runs, but refuses this client
            raise BrokerNotFound(f"{where} {credentials_problem()} {recorded.credentials_command()}")
        raise BrokerNotFound(f"{where} ne répond pas. {how}")
    return Source(
        recorded.bootstrap,
        f"broker local de `conseils up` / `conseils kafka start`, dossier d'état {recorded.state_dir}",
    )


def _given_security() -> KafkaSecurity | None:
    """The Kafka security settings of the environment (None when they cannot be read)."""
    try:
        return KafkaSecurity()
    except ValueError:
        return None


def credentials_problem() -> str:
    """Why a secured broker that runs refuses this client: no credentials in the environment,
    or credentials it refuses (French, ending with the invitation to the command that gives them)."""
    security = _given_security()
    if security is None or not security.sasl:
        return (
            "est sécurisé (SASL/SCRAM) et aucun identifiant Kafka n'est donné "
            f"({ENV_USERNAME}, {ENV_PASSWORD}). Donnez ceux du principal ops, puis relancez la commande :"
        )
    return (
        f"refuse les identifiants Kafka de « {security.sasl_username} » ({ENV_USERNAME}, {ENV_PASSWORD}) : "
        "ce ne sont pas ceux de ce broker (ou il démarre encore). "
        "Donnez ceux de son principal ops, puis relancez la commande :"
    )


def kafka_failure(bootstrap: str, error: KafkaError) -> str:
    """A broker named by --bootstrap or KAFKA_BOOTSTRAP_SERVERS failed: stopped, or secured and
    refusing this client (aiokafka says « Unable to bootstrap » for both)."""
    security = _given_security()
    if security is None or not security.sasl:
        return (
            f"le broker Kafka {bootstrap} n'a pas répondu ({error}) : vérifiez qu'il est démarré ; "
            f"s'il est sécurisé (SASL/SCRAM, comme celui de `make up`), aucun identifiant Kafka n'est "
            f"donné ({ENV_USERNAME}, {ENV_PASSWORD}) : {CREDENTIALS_COMMAND}, puis relancez la commande."
        )
    return (
        f"le broker Kafka {bootstrap} ne répond pas ou refuse les identifiants de "
        f"« {security.sasl_username} » ({error}) : vérifiez qu'il est démarré et que ce sont les siens "
        f"(broker local : {CREDENTIALS_COMMAND})."
    )


async def load_bilans(
    settings: MeetingsSettings,
    periods: list[tuple[date, date]],
    *,
    replay: bool = False,
    database_url: str | None = None,
    bootstrap: str | None = None,
) -> list[Bilan]:
    """The bilan of each period, from the database or from one replay of the log."""
    for period_from, period_to in periods:
        reports.check_period(period_from, period_to)
    with tempfile.TemporaryDirectory(prefix="conseils-bilan-") as scratch:
        if replay:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
        else:
            url = database_url or settings.resolved_database_url()
        database = Database(url)
        try:
            await database.create_all(metadata)
            if replay:
                events = await read_log(bootstrap or settings.kafka_bootstrap_servers, settings.territory)
                await rebuild(database, settings.territory_config, events)
            async with database.sessionmaker() as session:
                return [
                    await reports.load_bilan(session, settings.territory_config, period_from, period_to)
                    for period_from, period_to in periods
                ]
        finally:
            await database.dispose()


def format_bilans(bilans: list[Bilan], output: str, territory_name: str) -> str:
    if output == "csv":
        return "\ufeff" + bilan_outputs.bilans_csv(bilans)
    if output == "json":
        return bilan_outputs.bilans_json(bilans)
    return bilan_outputs.bilans_html(bilans, territory_name)


async def render_bilan(
    settings: MeetingsSettings,
    period_from: date,
    period_to: date,
    output: str,
    *,
    replay: bool = False,
    compare: tuple[date, date] | None = None,
    database_url: str | None = None,
    bootstrap: str | None = None,
) -> str:
    periods = [(period_from, period_to), *([compare] if compare else [])]
    bilans = await load_bilans(
        settings, periods, replay=replay, database_url=database_url, bootstrap=bootstrap
    )
    return format_bilans(bilans, output, settings.territory_config.territory.name)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Erreur : {message}", err=True)
    return typer.Exit(code=code)


@bilan_app.callback(invoke_without_command=True)
def bilan(
    *,
    period_from: Annotated[str, typer.Option("--from", help="Premier jour (AAAA-MM-JJ).")],
    period_to: Annotated[str, typer.Option("--to", help="Dernier jour (AAAA-MM-JJ).")],
    compare_from: Annotated[
        str | None, typer.Option("--compare-from", help="Premier jour d'une seconde période à comparer.")
    ] = None,
    compare_to: Annotated[
        str | None, typer.Option("--compare-to", help="Dernier jour de la seconde période.")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="html, csv ou json.")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="Fichier à écrire (sinon la sortie standard).")
    ] = None,
    replay: Annotated[
        bool,
        typer.Option("--replay", help="Recalculer à partir des seuls événements Kafka (base reconstruite)."),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Base des instances (défaut : voir la documentation)."),
    ] = None,
    bootstrap: Annotated[
        str | None, typer.Option("--bootstrap", help="Broker Kafka à rejouer (avec --replay).")
    ] = None,
) -> None:
    """Écrit le bilan de la période en HTML (avec graphiques), CSV ou JSON."""
    if output_format not in FORMATS:
        raise typer.BadParameter("format attendu : html, csv ou json", param_hint="--format")
    if (compare_from is None) != (compare_to is None):
        raise _fail("--compare-from et --compare-to vont ensemble : indiquez les deux, ou aucun.", 2)
    start, end = _parse_date(period_from), _parse_date(period_to)
    periods = [(start, end)]
    if compare_from is not None and compare_to is not None:
        periods.append((_parse_date(compare_from), _parse_date(compare_to)))
    settings = MeetingsSettings()
    try:
        for first, last in periods:
            reports.check_period(first, last)
        if replay:
            # aiokafka logs each refused connection; the error below says what happened
            logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
            source = resolve_bootstrap(settings, bootstrap)
            typer.echo(f"Broker Kafka : {source.shown()} ({source.origin}).", err=True)
            bilans = asyncio.run(load_bilans(settings, periods, replay=True, bootstrap=source.value))
        else:
            source = resolve_database(settings, database_url)
            typer.echo(f"Base de données : {source.shown()} ({source.origin}).", err=True)
            bilans = asyncio.run(load_bilans(settings, periods, database_url=source.value))
    except DomainError as error:
        raise _fail(error.message, 2) from None
    except BrokerNotFound as error:
        raise _fail(str(error), 1) from None
    except TruncatedLog as error:
        raise _fail(str(error), 3) from None
    except KafkaError as error:
        raise _fail(kafka_failure(source.value, error), 1) from None
    for result in bilans:
        if result.total.instances_concerned == 0:
            typer.echo(
                f"Aucune instance dans {'le journal' if replay else 'la base'} sur la période "
                f"{bilan_outputs.period_label(result)} : le bilan est vide.",
                err=True,
            )
    text = format_bilans(bilans, output_format, settings.territory_config.territory.name)
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Bilan écrit dans {out} ({datetime.now():%d/%m/%Y %H:%M}).", err=True)
