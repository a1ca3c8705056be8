"""A form's long `<select>` lists (1,200 councils, the territory's cities), rendered once per
list the site keeps and reused by every page that shows them: a page then only marks the chosen
option, instead of escaping and rendering each option again (issue 17: 7 ms of the staff list
page's CPU at national size)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Options:
    """Every `<option>` of a list, none selected; `chosen(value)` marks one."""

    html: str

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Options:
        return cls(
            "".join(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in pairs)
        )

    def chosen(self, value: object) -> Markup:
        """The options with `value` selected (none when it is empty or not in the list)."""
        if value is None or value == "":
            return Markup(self.html)  # noqa: S704  # escaped when built (`of`)
        needle = f'<option value="{escape(str(value))}">'
        marked = f'<option value="{escape(str(value))}" selected>'
        return Markup(self.html.replace(needle, marked, 1))  # noqa: S704  # the same escaped parts


class OptionLists:
    """The `Options` of each list, kept as long as the object they were built from (the kept list
    of councils, the territory's labels): a new list from the registry builds them again."""

    def __init__(self) -> None:
        self._kept: WeakKeyDictionary[object, dict[str, Options]] = WeakKeyDictionary()

    def of(self, source: object, name: str, pairs: Callable[[], Iterable[tuple[str, str]]]) -> Options:
        lists = self._kept.setdefault(source, {})
        options = lists.get(name)
        if options is None:
            options = lists[name] = Options.of(pairs())
        return options
