"""The staff list's long `<select>` lists (councils, cities) are rendered once per list the site
keeps (`option_lists`), then a page only marks its chosen option: escaped as the template
escaped them, one option selected at most, none for an empty or unknown value (issue 17)."""

from __future__ import annotations

import gc

from conseils_web.option_lists import OptionLists, Options

PAIRS = [("a1", "Franc-Moisin"), ("b2", 'Quartier "<script>alert(1)</script>" & Co'), ("c3", "Pleyel")]


def test_one_option_is_marked_and_everything_is_escaped() -> None:
    options = Options.of(PAIRS)
    html = str(options.chosen("b2"))
    assert html.count(" selected") == 1
    assert (
        '<option value="b2" selected>Quartier &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; Co'
        in html
    )
    assert "<script>" not in html
    assert str(options.chosen("")) == str(options.chosen(None)) == str(options.chosen("zz")) == options.html
    assert " selected" not in options.html


def test_a_value_that_needs_escaping_is_found_escaped() -> None:
    options = Options.of([('x"y', "guillemet"), ("plain", "simple")])
    assert '<option value="x&#34;y" selected>guillemet</option>' in str(options.chosen('x"y'))


def test_built_once_per_source_object_and_dropped_with_it() -> None:
    lists = OptionLists()
    built: list[int] = []

    class Source:
        pass

    def pairs() -> list[tuple[str, str]]:
        built.append(1)
        return PAIRS

    source = Source()
    first = lists.of(source, "councils", pairs)
    assert lists.of(source, "councils", pairs) is first
    assert len(built) == 1
    other = Source()
    assert lists.of(other, "councils", pairs) is not first  # a new list kept: built again
    assert len(built) == 2
    del source
    gc.collect()
    assert len(lists._kept) == 1  # the options went with the list they were built from
