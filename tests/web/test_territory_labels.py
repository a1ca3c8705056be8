"""The pages name a territory's themes, cities and instance types from an index built once per
territory (`SiteContext._labels`), with what a scan of the territory's lists gave: the first
entry of a code, the code itself when unknown, "—" for none; a new territory object is indexed
again (issue 17: a national agenda page asks a city's name a dozen times, among 600 cities)."""

from __future__ import annotations

from pathlib import Path

from tests.web.helpers import build_site


def test_names_by_code_as_the_lists_give_them(tmp_path: Path) -> None:
    ctx = build_site(tmp_path).state.site
    territory = ctx.territory
    theme, city, kind = territory.themes[0], territory.cities[0], territory.instance_types[0]
    assert ctx.theme_name(theme.slug) == theme.name
    assert ctx.city_name(city.code) == city.name
    assert ctx.type_name(kind.slug) == kind.name
    assert (ctx.theme_name("inconnu"), ctx.city_name("99999"), ctx.type_name("autre")) == (
        "inconnu",
        "99999",
        "autre",
    )
    assert (ctx.theme_name(None), ctx.city_name(None)) == ("—", "—")
    assert ctx._labels() is ctx._labels()  # one index while the territory is the same

    renamed = territory.model_copy(
        update={"cities": [city.model_copy(update={"name": "Ville renommée"}), *territory.cities[1:]]}
    )
    ctx.territory = renamed
    assert ctx.city_name(city.code) == "Ville renommée"
