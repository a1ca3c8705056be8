"""The bilan's per-council arithmetic on plain integer vectors (used by `bilan.compute_bilan`).

A national year adds 75,000 (instance, council) shares to the council rows and their cities':
each is a list of counts added with one `map(add, ...)` (C), not three Python calls and a
dataclass per pair; the rows get their fields once, at the end (`Accumulator.fold`).
"""

from __future__ import annotations

from operator import add
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conseils_meetings.bilan import BilanInstance, Row

SHARE_FIELDS = (
    "invited",
    "registered",
    "registered_participants",
    "registered_observers",
    "registered_absent",
    "present",
    "present_unregistered",
    "referents_expected",
    "referents_present",
)
"""One instance's figures for one council (or the whole instance), in this order."""

COMMON_FIELDS = (
    "instances_held",
    "political_held",
    "political_evening",
    "political_saturday",
    "political_sunday",
    "dossiers_missing",
)
"""What each held instance adds to every row it counts in, whatever its councils."""

NOTHING = (0,) * len(SHARE_FIELDS)


def council_shares(instance: BilanInstance) -> tuple[dict[Any, list[int]], list[int]]:
    """The instance's figures per council and for the whole instance, in one pass over its rows.
    Fields in `SHARE_FIELDS` order; the `None` council (present, unknown council) keeps only its
    presences, while the whole instance counts everything."""
    counts: dict[Any, list[int]] = {
        key: [n, 0, 0, 0, 0, 0, 0, 0, 0] for key, n in instance.invited_by_council.items()
    }
    present = instance.present
    registered_ids = set()
    for registration in instance.registrations:
        if registration.status != "confirmed":
            continue
        member_id = registration.member_id
        registered_ids.add(member_id)
        row = counts.get(registration.council_id)
        if row is None:
            row = counts[registration.council_id] = [0] * 9
        row[1] += 1
        mode = registration.mode
        row[2] += mode == "participant"
        row[3] += mode == "observer"
        row[4] += member_id not in present
    for member_id, council_id in present.items():
        row = counts.get(council_id)
        if row is None:
            row = counts[council_id] = [0] * 9
        row[5] += 1
        row[6] += member_id not in registered_ids
    for council_id, member_id in instance.referents:
        row = counts.get(council_id)
        if row is None:
            row = counts[council_id] = [0] * 9
        row[7] += 1
        row[8] += member_id in present
    whole = [sum(column) for column in zip(*counts.values(), strict=True)] if counts else list(NOTHING)
    unknown = counts.get(None)
    if unknown is not None:
        counts[None] = [0, 0, 0, 0, 0, unknown[5], unknown[6], 0, 0]
    return counts, whole


def common_of(instance: BilanInstance) -> tuple[list[int], float | None]:
    """The instance's `COMMON_FIELDS` and its dossier notice in days (None: no dossier)."""
    slot = instance.time_slot
    political = instance.political
    common = [
        1,
        int(political),
        int(political and slot == "weekday_evening"),
        int(political and slot == "saturday"),
        int(political and slot == "sunday"),
        int(instance.dossier_published_at is None),
    ]
    if instance.dossier_published_at is None:
        return common, None
    notice = (instance.starts_at - instance.dossier_published_at).total_seconds() / 86400
    return common, round(notice, 1)


class Accumulator:
    """The held instances' figures of one council or city row, added as vectors."""

    __slots__ = ("common", "councils", "notices", "share")

    def __init__(self) -> None:
        self.common = [0] * len(COMMON_FIELDS)
        self.share = [0] * len(SHARE_FIELDS)
        self.notices: list[float] = []
        self.councils: set[Any] = set()

    def add(self, common: list[int], notice: float | None, share: list[int] | tuple[int, ...]) -> None:
        self.common[:] = map(add, self.common, common)
        self.share[:] = map(add, self.share, share)
        if notice is not None:
            self.notices.append(notice)

    def add_share(self, share: list[int] | tuple[int, ...]) -> None:
        self.share[:] = map(add, self.share, share)

    def fold(self, row: Row) -> None:
        """Write the sums into the row (which had no held instance added yet)."""
        for name, value in zip(COMMON_FIELDS, self.common, strict=True):
            setattr(row, name, getattr(row, name) + value)
        for name, value in zip(SHARE_FIELDS, self.share, strict=True):
            setattr(row, name, getattr(row, name) + value)
        row.dossier_notice_days.extend(self.notices)
        row._councils.update(self.councils)
        row.councils_concerned = len(row._councils)
