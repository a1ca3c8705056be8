"""The kind of participation body is set per territory (issue 20, item 5): conseil citoyen by
default (two colleges, drawing by lot), or table de quartier, conseil de quartier, another body
named in the file; the site names the body accordingly; the demo keeps its conseils citoyens."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from conseils_runtime.territory import (
    TerritoryConfig,
    TerritoryFileError,
    default_territory_path,
    load_territory,
    parse_territory,
)
from conseils_runtime.territory_bodies import ParticipationBody
from conseils_web.site import create_site

from .helpers import ENDPOINTS, SECRET, session_for


def test_the_default_body_is_today_s_conseil_citoyen() -> None:
    demo = load_territory(default_territory_path())
    assert demo.body == ParticipationBody()
    assert (demo.body.kind, demo.body.colleges, demo.body.drawing_by_lot) == ("conseil_citoyen", True, True)
    assert (demo.body.singular, demo.body.plural, demo.body.menu) == (
        "conseil citoyen",
        "conseils citoyens",
        "Les conseils",
    )
    tables = ParticipationBody(kind="table_de_quartier", colleges=False, drawing_by_lot=False)
    assert (tables.plural, tables.menu) == ("tables de quartier", "Les tables de quartier")


def _with_body(section: str) -> str:
    text = default_territory_path().read_text(encoding="utf-8")
    return text.replace("\ndemo: true\n", f"\ndemo: true\n{section}", 1)


def test_another_body_needs_its_name_and_a_body_without_lots_has_no_member_drawn() -> None:
    assert "\ndemo: true\n" in default_territory_path().read_text(encoding="utf-8")
    with pytest.raises(TerritoryFileError) as unnamed:
        parse_territory(_with_body("body:\n  kind: autre\n"))
    assert "une instance « autre » a un nom" in str(unnamed.value)
    with pytest.raises(TerritoryFileError) as drawn:
        parse_territory(_with_body("body:\n  kind: table_de_quartier\n  drawing_by_lot: false\n"))
    assert "est tiré au sort (pas de tirage au sort)" in str(drawn.value)
    named = parse_territory(
        _with_body(
            "body:\n  kind: autre\n  name: assemblée de quartier\n  name_plural: assemblées de quartier\n"
        )
    )
    assert named.body.menu == "Les assemblées de quartier"


def _tables() -> TerritoryConfig:
    demo = load_territory(default_territory_path())
    body = ParticipationBody(kind="table_de_quartier", colleges=False, drawing_by_lot=False)
    return demo.model_copy(update={"body": body, "demo": False})


async def test_the_site_names_the_tables_de_quartier(tmp_path: Path) -> None:
    def registry(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps([]), headers={"content-type": "application/json"})

    app = create_site(
        _tables(), ENDPOINTS, tmp_path / "mail", auth_secret=SECRET, data_dir=tmp_path,
        http_transport=httpx.MockTransport(registry), kafka_bootstrap="127.0.0.1:9",
    )  # fmt: skip
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        home = await client.get("/")
        assert "<h1>Les tables de quartier dans les instances du contrat de ville</h1>" in home.text
        assert "20 tables de quartier du territoire" in home.text
        assert "conseils citoyens du territoire" not in home.text
        assert ">Les tables de quartier</a>" not in home.text  # the menu is for signed-in people
        client.cookies.set("conseils_session", session_for("staff"))
        councils = await client.get("/conseils")
        assert councils.status_code == 200, councils.text
        assert "<title>Les tables de quartier du territoire ·" in councils.text
        assert "<h1>Les tables de quartier du territoire</h1>" in councils.text
        client.cookies.set("conseils_session", session_for("councillor"))
        menu = await client.get("/")
        assert '<a href="/conseils" >Les tables de quartier</a>' in menu.text
