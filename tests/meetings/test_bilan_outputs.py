"""The bilan's outputs (CSV, HTML, JSON, two periods side by side) and `conseils bilan`:
its options, and where it finds the database and the broker."""

from __future__ import annotations

import csv
import io
import json
import socket
import uuid
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conseils_meetings import bilan_outputs, cli
from conseils_meetings.bilan import (
    Bilan,
    BilanInstance,
    BilanOutcome,
    BilanRegistration,
    Vacancy,
    compute_bilan,
)
from conseils_meetings.cli import BrokerNotFound, bilan_app, resolve_bootstrap, resolve_database
from conseils_meetings.replay import TruncatedLog
from conseils_meetings.settings import MeetingsSettings

A, B = uuid.UUID(int=1), uuid.UUID(int=2)
M = [uuid.UUID(int=100 + i) for i in range(6)]
COUNCILS = {A: '=HYPERLINK("https://example.org","clic")', B: "Conseil Cosmonautes"}
CITIES = {A: ("93066", "Saint-Denis"), B: ("93001", "Aubervilliers")}
THEMES = {"emploi": "Emploi, insertion", "sante": "Santé"}


def held(starts: datetime, slot: str, *, political: bool = True) -> BilanInstance:
    return BilanInstance(
        id=uuid.uuid4(),
        instance_type="copil",
        type_name="COPIL",
        political=political,
        theme="emploi",
        starts_at=starts,
        status="held",
        is_evening=slot == "weekday_evening",
        concerned=(A, B),
        invited_by_council={A: 3, B: 2},
        registrations=(
            BilanRegistration(M[0], A, "participant", "confirmed"),
            BilanRegistration(M[1], A, "observer", "confirmed"),
            BilanRegistration(M[2], B, "participant", "confirmed"),
        ),
        present={M[0]: A, M[3]: B},  # M[1] and M[2] registered but absent; M[3] came unregistered
        referents=((A, M[0]),),
        dossier_published_at=None,
        dossier_notice_required_days=10,
        day=starts.date(),
        slot=slot,
    )


def make_bilan(period_from: date, period_to: date, *instances: BilanInstance) -> Bilan:
    days = [date(period_from.year, month, 1) for month in range(1, 13)] + [period_to]
    return compute_bilan(
        period_from,
        period_to,
        list(instances),
        councils=COUNCILS,
        themes=THEMES,
        outcomes=[
            BilanOutcome("proposal", "done", "emploi"),
            BilanOutcome("commitment", "in_progress", None),
        ],
        cities=CITIES,
        vacancies=[Vacancy("emploi", day, 2, 1 if day.month >= 6 else 0) for day in days]
        + [Vacancy("sante", day, 2, 2) for day in days],
    )


def saturdays_only() -> Bilan:
    return make_bilan(
        date(2027, 1, 1),
        date(2027, 12, 31),
        held(datetime(2027, 4, 3, 8, tzinfo=UTC), "saturday"),  # Saturday 10:00 Paris
        held(datetime(2027, 5, 8, 8, tzinfo=UTC), "saturday"),
    )


class WellFormed(HTMLParser):
    """Every non-void element is closed in order; ids are unique; aria-labelledby points to ids."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "source", "wbr", "col", "area"})
    SVG_EMPTY = frozenset({"line", "circle", "rect", "polyline", "path"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.labelledby: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if values.get("aria-labelledby"):
            self.labelledby.extend(str(values["aria-labelledby"]).split())
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def check(self, html: str) -> None:
        self.feed(html)
        self.close()
        assert not self.errors, self.errors[:5]
        assert not self.stack, self.stack
        assert len(self.ids) == len(set(self.ids)), sorted(i for i in self.ids if self.ids.count(i) > 1)
        assert set(self.labelledby) <= set(self.ids)


def csv_lines(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))


# --------------------------------------------------------------------------- CSV


def test_csv_has_the_new_columns_and_neutralises_formulas() -> None:
    lines = csv_lines(bilan_outputs.bilan_csv(saturdays_only()))
    header = lines[0]
    for title in (
        "inscrits participants",
        "inscrits observateurs",
        "inscrits absents",
        "présents non inscrits",
        "instances politiques le samedi",
        "instances politiques le dimanche",
        "part des instances politiques hors temps de travail",
        "conseils sans référent (fin de période)",
    ):
        assert title in header, title
    rows = {(line[0], line[1]): dict(zip(header, line, strict=False)) for line in lines[1:] if len(line) > 3}
    total = rows[("total", "total")]
    assert (total["inscrits participants"], total["inscrits observateurs"], total["inscrits absents"]) == (
        "4",
        "2",
        "4",
    )
    assert total["présents non inscrits"] == "2"
    assert total["instances politiques le samedi"] == "2"
    assert total["part des instances politiques hors temps de travail"] == "1"
    assert rows[("thematique", "sante")]["conseils sans référent (fin de période)"] == "2"
    assert rows[("ville", "93066")]["libellé"] == "Saint-Denis"
    council = rows[("conseil", str(A))]
    assert council["libellé"] == '\'=HYPERLINK("https://example.org","clic")'
    assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line)
    text = bilan_outputs.bilan_csv(saturdays_only())
    assert "Emploi, insertion;01/06/2027;2;1" in text  # the vacancies over time
    assert "Engagements des élus;en cours;1" in text  # outcomes with their status at the period's end


def test_csv_cells_of_people_never_start_like_a_formula() -> None:
    assert bilan_outputs._csv_value("-1+1") == "'-1+1"
    assert bilan_outputs._csv_value("@SUM(A1)") == "'@SUM(A1)"
    assert bilan_outputs._csv_value("\tx") == "'\tx"
    assert bilan_outputs._csv_value("Conseil") == "Conseil"
    assert bilan_outputs._csv_value(-2) == "-2"  # a number we computed (a difference) stays a number
    assert bilan_outputs._csv_value(0.5) == "0,5"


# --------------------------------------------------------------------------- HTML


def test_html_saturday_only_is_never_called_evening() -> None:
    html = bilan_outputs.bilan_html(saturdays_only(), "Plaine Commune")
    WellFormed().check(html)
    assert html.startswith("<!doctype html>")
    assert "Par ville" in html
    assert "Saint-Denis" in html
    assert "Aubervilliers" in html
    assert "le samedi" in html
    assert "soirée" not in html.lower()
    assert "hors temps de travail" in html
    assert "Instances politiques tenues hors temps de travail" in html
    assert "Inscrits absents" in html
    assert "(participants : 4 ;" in html
    assert "observateurs : 2)" in html
    assert "composition des conseils à la date de chaque instance" in html
    assert "composition actuelle" not in html
    assert "Propositions et engagements (statut au 31/12/2027)" in html


def test_html_weekday_evening_is_named_and_split() -> None:
    bilan = make_bilan(
        date(2027, 1, 1),
        date(2027, 12, 31),
        held(datetime(2027, 4, 6, 17, tzinfo=UTC), "weekday_evening"),  # Tuesday 19:00 Paris
        held(datetime(2027, 4, 10, 8, tzinfo=UTC), "saturday"),
        held(datetime(2027, 4, 11, 8, tzinfo=UTC), "sunday"),
        held(datetime(2027, 4, 12, 8, tzinfo=UTC), "working_hours"),
    )
    html = bilan_outputs.bilan_html(bilan, "Plaine Commune")
    WellFormed().check(html)
    assert "en soirée (semaine, ≥ 18 h) 1 ; le samedi 1 ; le dimanche 1" in html
    assert "75 % (3 sur 4)" in html


def test_html_vacancy_section_has_an_accessible_chart_per_theme_and_its_data() -> None:
    html = bilan_outputs.bilan_html(saturdays_only(), "Plaine Commune")
    section = html[html.index("Thématiques sans référent") :]
    for slug, label in (("emploi", "Emploi, insertion"), ("sante", "Santé")):
        assert (
            f'<svg class="chart line" role="img" aria-labelledby="p-vac-{slug}-t p-vac-{slug}-d"' in section
        )
        assert f'<title id="p-vac-{slug}-t">Conseils sans référent « {label} »' in section
        assert f"<caption>Conseils sans référent « {label} », par date de relevé</caption>" in section
    assert "<polyline" in section
    assert '<tr><th scope="row">01/06/2027</th><td>2</td><td>1</td></tr>' in section
    assert "1 conseil sur 2 sans référent le 31/12/2027" in section


# --------------------------------------------------------------------------- two periods


def two_periods() -> list[Bilan]:
    first = make_bilan(
        date(2016, 9, 1), date(2017, 8, 31), held(datetime(2016, 10, 4, 17, tzinfo=UTC), "weekday_evening")
    )
    second = make_bilan(
        date(2017, 9, 1),
        date(2018, 8, 31),
        held(datetime(2017, 10, 7, 8, tzinfo=UTC), "saturday"),
        held(datetime(2017, 11, 4, 8, tzinfo=UTC), "saturday"),
    )
    return [first, second]


def test_compare_html_shows_the_totals_side_by_side_then_each_period() -> None:
    html = bilan_outputs.bilans_html(two_periods(), "Plaine Commune")
    WellFormed().check(html)
    assert "du 01/09/2016 au 31/08/2017 et du 01/09/2017 au 31/08/2018" in html  # the page title
    comparison = html[html.index("Comparaison des principaux chiffres") : html.index("<section")]
    assert (
        '<tr><th scope="row">Instances tenues</th>\n    <td>1</td>\n    <td>2</td>\n    <td>+1</td></tr>'
        in (comparison)
    )
    assert '<th scope="row">Instances politiques le samedi</th>\n    <td>0</td>\n    <td>2</td>' in comparison
    assert html.count("<section") == 2
    assert html.index('id="p1-titre">Période du 01/09/2016') < html.index(
        'id="p2-titre">Période du 01/09/2017'
    )
    assert html.count("<h3>Par ville</h3>") == 2
    assert html.startswith("<!doctype html>")


def test_compare_csv_and_json() -> None:
    bilans = two_periods()
    lines = csv_lines(bilan_outputs.bilans_csv(bilans))
    assert lines[0][:3] == ["période", "niveau", "identifiant"]
    assert lines[1][:4] == ["du 01/09/2016 au 31/08/2017", "total", "total", "Ensemble du territoire"]
    assert any(
        line[:4] == ["du 01/09/2017 au 31/08/2018", "total", "total", "Ensemble du territoire"]
        for line in lines
    )
    assert ["Instances tenues", "1", "2", "1"] in lines
    assert ["Inscrits absents", "2", "4", "2"] in lines
    payload = json.loads(bilan_outputs.bilans_json(bilans))
    assert list(payload) == ["periods"]
    assert [p["period"] for p in payload["periods"]] == [
        {"from": "2016-09-01", "to": "2017-08-31"},
        {"from": "2017-09-01", "to": "2018-08-31"},
    ]
    text = bilan_outputs.bilans_json(bilans[:1])
    assert text == json.dumps(bilans[0].as_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- the command


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, in a repository of its own, with no database or broker configured."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    for name in ("CONSEILS_MEETINGS_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "CONSEILS_MEETINGS_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSEILS_STATE_DIR", str(tmp_path / "kafka-state"))
    return repo


def test_compare_options_go_together(elsewhere: Path) -> None:
    result = CliRunner().invoke(
        bilan_app, ["--from", "2016-09-01", "--to", "2017-08-31", "--compare-from", "2017-09-01"]
    )
    assert result.exit_code == 2
    assert "--compare-from et --compare-to vont ensemble" in result.stderr
    wrong = CliRunner().invoke(
        bilan_app,
        [
            "--from",
            "2016-09-01",
            "--to",
            "2017-08-31",
            "--compare-from",
            "2018-08-31",
            "--compare-to",
            "2017-09-01",
        ],
    )
    assert wrong.exit_code == 2
    assert "La fin de la période doit être après son début" in wrong.stderr


def test_the_command_writes_json_for_one_or_two_periods(elsewhere: Path) -> None:
    url = f"sqlite+aiosqlite:///{elsewhere / 'meetings.db'}"
    one = CliRunner().invoke(
        bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--format", "json", "--database-url", url]
    )
    assert one.exit_code == 0, one.output
    payload = json.loads(one.stdout)
    assert payload["period"] == {"from": "2027-01-01", "to": "2027-06-30"}
    assert one.stdout == json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "Aucune instance dans la base sur la période du 01/01/2027 au 30/06/2027" in one.stderr
    target = elsewhere / "two.json"
    two = CliRunner().invoke(
        bilan_app,
        [
            "--from", "2016-09-01", "--to", "2017-08-31", "--compare-from", "2017-09-01",
            "--compare-to", "2018-08-31", "--format", "json", "--database-url", url, "--out", str(target),
        ],
    )  # fmt: skip
    assert two.exit_code == 0, two.output
    assert [p["period"]["from"] for p in json.loads(target.read_text())["periods"]] == [
        "2016-09-01",
        "2017-09-01",
    ]


def test_database_resolution_order(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = resolve_database(MeetingsSettings(), None)
    assert embedded.value.endswith("/.var/data/meetings.db")
    assert "embarquée" in embedded.origin

    up_db = elsewhere / ".var" / "up" / "meetings.db"  # `conseils up` run from the repository root
    up_db.parent.mkdir(parents=True)
    up_db.write_bytes(b"")
    found = resolve_database(MeetingsSettings(), None)
    assert found.value == f"sqlite+aiosqlite:///{up_db}"
    assert "conseils up" in found.origin

    monkeypatch.setenv("CONSEILS_MEETINGS_DATABASE_URL", "postgresql+asyncpg://bilan:secret@db/meetings")
    from_env = resolve_database(MeetingsSettings(), None)
    assert from_env.value == "postgresql+asyncpg://bilan:secret@db/meetings"
    assert from_env.origin == "CONSEILS_MEETINGS_DATABASE_URL"
    assert "secret" not in from_env.shown()

    assert resolve_database(MeetingsSettings(), "sqlite+aiosqlite:///x.db").origin == "option --database-url"


def test_the_command_reads_the_database_of_conseils_up(elsewhere: Path) -> None:
    up_db = elsewhere / ".var" / "up" / "meetings.db"
    up_db.parent.mkdir(parents=True)
    up_db.write_bytes(b"")
    result = CliRunner().invoke(bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert f"Base de données : sqlite+aiosqlite:///{up_db} (base de `conseils up`" in result.stderr
    assert up_db.stat().st_size > 0  # the bilan read (and created the tables of) that file
    assert result.stdout.lstrip("\ufeff").startswith("niveau;identifiant")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _record_broker(state_dir: Path, bootstrap: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "broker.json").write_text(
        json.dumps({"bootstrap": bootstrap, "pid": 1, "state_dir": str(state_dir)})
    )


def test_broker_resolution_order(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str
) -> None:
    state_dir = elsewhere.parent / "kafka-state"
    with pytest.raises(BrokerNotFound, match=r"Aucun broker Kafka local en marche.*conseils kafka start"):
        resolve_bootstrap(MeetingsSettings(), None)

    _record_broker(state_dir, f"127.0.0.1:{_closed_port()}")
    with pytest.raises(BrokerNotFound, match=r"ne répond pas.*make up"):
        resolve_bootstrap(MeetingsSettings(), None)

    _record_broker(state_dir, kafka_bootstrap)
    local = resolve_bootstrap(MeetingsSettings(), None)
    assert local.value == kafka_bootstrap
    assert str(state_dir) in local.origin

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker.example:9092")
    assert resolve_bootstrap(MeetingsSettings(), None) == cli.Source(
        "broker.example:9092", "KAFKA_BOOTSTRAP_SERVERS"
    )
    assert resolve_bootstrap(MeetingsSettings(), "other:9092").origin == "option --bootstrap"


def test_replay_finds_the_local_broker(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str, territory: str
) -> None:
    monkeypatch.setenv("CONSEILS_TERRITORY", territory)  # no topic yet: an empty log
    _record_broker(elsewhere.parent / "kafka-state", kafka_bootstrap)
    result = CliRunner().invoke(
        bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--replay", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert f"Broker Kafka : {kafka_bootstrap} (broker local de `conseils up`" in result.stderr
    assert "Aucune instance dans le journal" in result.stderr
    assert json.loads(result.stdout)["total"]["instances_held"] == 0


def test_replay_without_a_broker_says_how_to_start_one(elsewhere: Path) -> None:
    result = CliRunner().invoke(bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--replay"])
    assert result.exit_code == 1
    assert "Erreur : Aucun broker Kafka local en marche" in result.stderr
    assert "make up" in result.stderr
    assert result.stdout == ""


def test_a_truncated_log_exits_3_without_a_bilan(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def truncated(bootstrap: str, territory: str) -> list[object]:
        raise TruncatedLog(
            "Le journal ne commence plus au début (rétention) : t.meetings.instances[0] starts at 5."
        )

    monkeypatch.setattr(cli, "read_log", truncated)
    result = CliRunner().invoke(
        bilan_app, ["--from", "2027-01-01", "--to", "2027-06-30", "--replay", "--bootstrap", "127.0.0.1:1"]
    )
    assert result.exit_code == 3
    assert "Erreur : Le journal ne commence plus au début (rétention)" in result.stderr
    assert result.stdout == ""


def test_the_html_templates_are_compiled_once_a_process() -> None:
    """`bilan_html` reuses one Jinja environment (its compiled templates) across renders."""
    from conseils_meetings import bilan_html as module

    assert module._environment() is module._environment()
    assert module._environment().get_template("bilan.html.j2") is module._environment().get_template(
        "bilan.html.j2"
    )
