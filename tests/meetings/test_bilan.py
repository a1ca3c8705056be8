"""The bilan as a pure function: figures per council, theme and instance type."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from conseils_meetings.bilan import BilanInstance, BilanOutcome, BilanRegistration, compute_bilan

A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))
M = [uuid.UUID(int=100 + i) for i in range(8)]
COUNCILS = {A: "Conseil A", B: "Conseil B", C: "Conseil C"}
THEMES = {"emploi": "Emploi", "sante": "Santé"}


def instance(
    *,
    kind: str = "copil",
    political: bool = True,
    theme: str | None = None,
    status: str = "held",
    evening: bool = True,
    starts: datetime = datetime(2027, 4, 6, 16, 30, tzinfo=UTC),
    concerned: tuple[uuid.UUID, ...] = (A, B),
    registrations: tuple[BilanRegistration, ...] = (),
    present: dict[uuid.UUID, uuid.UUID | None] | None = None,
    referents: tuple[tuple[uuid.UUID, uuid.UUID], ...] = (),
    dossier_days: float | None = 12,
    required: int = 10,
) -> BilanInstance:
    return BilanInstance(
        id=uuid.uuid4(),
        instance_type=kind,
        type_name=kind.upper(),
        political=political,
        theme=theme,
        starts_at=starts,
        status=status,
        is_evening=evening,
        concerned=concerned,
        invited_by_council=dict.fromkeys(concerned, 4),
        registrations=registrations,
        present=present or {},
        referents=referents,
        dossier_published_at=None if dossier_days is None else starts - timedelta(days=dossier_days),
        dossier_notice_required_days=required,
    )


def confirmed(member: uuid.UUID, council: uuid.UUID, status: str = "confirmed") -> BilanRegistration:
    return BilanRegistration(member, council, "participant", status)


def bilan(*instances: BilanInstance, outcomes: tuple[BilanOutcome, ...] = ()):  # type: ignore[no-untyped-def]
    return compute_bilan(
        date(2027, 1, 1),
        date(2027, 12, 31),
        list(instances),
        councils=COUNCILS,
        themes=THEMES,
        outcomes=outcomes,
    )


def test_totals_and_per_council_figures() -> None:
    held = instance(
        registrations=(
            confirmed(M[0], A),
            confirmed(M[1], A),
            confirmed(M[2], B),
            confirmed(M[3], B, "waitlisted"),
        ),
        present={M[0]: A, M[2]: B, M[4]: A},  # M[4] came without registering
    )
    result = bilan(held)
    assert (result.total.instances_held, result.total.registered, result.total.present) == (1, 3, 3)
    assert result.total.invited == 8
    assert result.total.councils_concerned == 2
    rows = {row.label: row for row in result.by_council}
    assert (rows["Conseil A"].registered, rows["Conseil A"].present, rows["Conseil A"].invited) == (2, 2, 4)
    assert (rows["Conseil B"].registered, rows["Conseil B"].present) == (1, 1)
    assert (rows["Conseil C"].instances_concerned, rows["Conseil C"].present) == (0, 0)


def test_referent_presence_rate_per_theme_and_council() -> None:
    technical = instance(
        kind="comite-technique",
        political=False,
        theme="emploi",
        referents=((A, M[0]), (B, M[1])),
        present={M[0]: A},
    )
    result = bilan(technical)
    emploi = next(row for row in result.by_theme if row.key == "emploi")
    assert (emploi.referents_expected, emploi.referents_present) == (2, 1)
    assert emploi.referent_presence_rate == 0.5
    assert next(row for row in result.by_theme if row.key == "sante").referent_presence_rate is None
    per_council = {row.label: row.referent_presence_rate for row in result.by_council}
    assert per_council == {"Conseil A": 1.0, "Conseil B": 0.0, "Conseil C": None}


def test_evening_share_counts_political_instances_only() -> None:
    result = bilan(
        instance(evening=True),
        instance(evening=False),
        instance(evening=True),
        instance(kind="clip", political=False, evening=False),
    )
    assert result.total.political_held == 3
    assert result.total.evening_share == pytest.approx(2 / 3)
    clip = next(row for row in result.by_type if row.key == "clip")
    assert clip.evening_share is None


@pytest.mark.parametrize(
    ("notices", "average", "late", "missing"),
    [([12, 14], 13.0, 0, 0), ([3, 12], 7.5, 1, 0), ([None, 9], 9.0, 1, 1), ([None], None, 0, 1)],
)
def test_dossier_notice_against_policy(
    notices: list[float | None], average: float | None, late: int, missing: int
) -> None:
    result = bilan(*(instance(dossier_days=days, required=10) for days in notices))
    copil = result.by_type[0]
    assert copil.dossier_notice_required_days == 10
    assert (copil.average_dossier_notice_days, copil.dossiers_late, copil.dossiers_missing) == (
        average,
        late,
        missing,
    )


def test_only_held_instances_of_the_period_count() -> None:
    result = bilan(
        instance(),
        instance(status="cancelled"),
        instance(status="scheduled"),
        instance(status="minutes_published"),
        instance(starts=datetime(2026, 12, 30, 18, tzinfo=UTC)),  # before the period
    )
    assert result.total.instances_held == 2
    assert result.total.instances_concerned == 4
    assert (result.instances_cancelled, result.instances_not_held) == (1, 1)


def test_outcomes_by_status() -> None:
    result = bilan(
        outcomes=(
            BilanOutcome("commitment", "done", None),
            BilanOutcome("commitment", "in_progress", "emploi"),
            BilanOutcome("commitment", "done", None),
            BilanOutcome("proposal", "proposed", None),
        )
    )
    assert result.outcomes["commitment"] == {"proposed": 0, "in_progress": 1, "done": 2, "abandoned": 0}
    assert result.outcomes["proposal"]["proposed"] == 1
    assert result.as_dict()["period"] == {"from": "2027-01-01", "to": "2027-12-31"}
