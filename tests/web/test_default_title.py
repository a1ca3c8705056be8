"""An instance scheduled with its title left empty is named after its type, its city (with the
French « de » / « d' ») and its theme, as staff and councillors read it in the agenda and the
emails — not after its type alone (found by trying `make up` as a new user)."""

from __future__ import annotations

from pathlib import Path

from conseils_web.staff.forms import default_title
from tests.web.helpers import build_site


def test_the_city_and_the_theme_name_an_untitled_instance(tmp_path: Path) -> None:
    ctx = build_site(tmp_path).state.site
    city = ctx.territory.cities[0]
    theme = ctx.territory.themes[0]
    kind = "Commission locale inter-partenariale (CLIP)"
    titled = default_title(ctx, kind, {"city_code": city.code, "theme": ""})
    assert titled in (f"{kind} de {city.name}", f"{kind} d'{city.name}")
    assert default_title(ctx, kind, {"city_code": "", "theme": theme.slug}) == f"{kind} — {theme.name}"
    assert default_title(ctx, kind, {"city_code": "", "theme": ""}) == kind


def test_elision_before_a_vowel(tmp_path: Path) -> None:
    ctx = build_site(tmp_path).state.site
    renamed = ctx.territory.model_copy(
        update={
            "cities": [
                ctx.territory.cities[0].model_copy(update={"name": "Aubervilliers"}),
                *ctx.territory.cities[1:],
            ]
        }
    )
    ctx.territory = renamed
    code = renamed.cities[0].code
    assert default_title(ctx, "CLIP", {"city_code": code, "theme": ""}) == "CLIP d'Aubervilliers"
