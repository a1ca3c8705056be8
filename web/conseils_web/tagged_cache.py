"""What the site renders from a service's answer that carries an entity tag (ETag), kept with
that tag: the next request asks the service with `If-None-Match` and, on 304, reuses what it
rendered instead of parsing and rendering the same answer again (the bilan's figures: 944 KiB of
JSON and 1,200 councils at national size, 120-200 ms of the site's CPU). Bounded: the last
`size` keys asked for."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class TaggedCache(Generic[T]):
    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[str, T]] = OrderedDict()
        self.hits = 0
        """How many requests reused what was kept (for tests)."""

    def tag(self, key: Hashable) -> str | None:
        """The tag kept for `key`, to send as If-None-Match (None: nothing kept)."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def get(self, key: Hashable, tag: str | None) -> T | None:
        """What was kept for `key` under exactly this `tag`."""
        entry = self._entries.get(key)
        if entry is None or tag is None or entry[0] != tag:
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, tag: str | None, value: T) -> T:
        """Keeps `value` under `tag` (an answer without a tag is not kept)."""
        if tag is not None:
            self._entries[key] = (tag, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
