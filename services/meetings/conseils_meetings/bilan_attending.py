"""The bilan of the barriers lifted, for a period: needs asked and booked per kind, cost claims
(counts and amounts by status) per council and per instance type, and the dossiers published
with or without their easy-to-read version. Read only from tables that the events fill
(`needs_counts`, `cost_claims`, `easy_read_dossiers`, `attendance_confirmations`), so a database
rebuilt from the log gives the same figures; and the venues confirmed with « Je viens »."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.attending_rules import CLAIM_STATUS_LABELS, NEED_LABELS
from conseils_meetings.attending_tables import cost_claims, easy_read_dossiers, needs_counts
from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_meetings.reports import check_period, local_bounds
from conseils_runtime.territory import TerritoryConfig


@dataclass
class ClaimFigures:
    """Claims of one group: how many and how much (cents), per status."""

    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLAIM_STATUS_LABELS, 0))
    cents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLAIM_STATUS_LABELS, 0))

    def add(self, status: str, cents: int) -> None:
        self.count[status] = self.count.get(status, 0) + 1
        self.cents[status] = self.cents.get(status, 0) + cents

    def as_dict(self) -> dict[str, Any]:
        return {"nombre": dict(self.count), "montant_centimes": dict(self.cents)}


@dataclass
class AttendingBilan:
    period_from: date
    period_to: date
    needs_requested: dict[str, int]
    needs_booked: dict[str, int]
    claims_by_council: dict[str, ClaimFigures]
    claims_by_type: dict[str, ClaimFigures]
    claims_total: ClaimFigures
    dossiers_with_easy_read: int
    dossiers_without_easy_read: int
    venues_confirmed: int = 0
    """« Je viens » answered (and not undone) for the period's instances."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "periode": {"du": self.period_from.isoformat(), "au": self.period_to.isoformat()},
            "besoins": {
                kind: {
                    "libelle": NEED_LABELS[kind],
                    "demandes": count,
                    "reserves": self.needs_booked.get(kind, 0),
                }
                for kind, count in sorted(self.needs_requested.items())
            },
            "remboursements": {
                "total": self.claims_total.as_dict(),
                "par_conseil": {name: f.as_dict() for name, f in sorted(self.claims_by_council.items())},
                "par_type_instance": {name: f.as_dict() for name, f in sorted(self.claims_by_type.items())},
            },
            "venues_confirmees": self.venues_confirmed,
            "facile_a_lire": {
                "dossiers_avec": self.dossiers_with_easy_read,
                "dossiers_sans": self.dossiers_without_easy_read,
            },
        }


async def load_attending_bilan(
    session: AsyncSession, territory: TerritoryConfig, period_from: date, period_to: date
) -> AttendingBilan:
    check_period(period_from, period_to)
    start, end = local_bounds(period_from, period_to, territory.territory.timezone)
    inst = tables.instances
    in_period = (inst.c.starts_at >= start) & (inst.c.starts_at < end)
    requested: dict[str, int] = defaultdict(int)
    booked: dict[str, int] = defaultdict(int)
    for row in await session.execute(
        select(needs_counts).join(inst, inst.c.id == needs_counts.c.instance_id).where(in_period)
    ):
        for kind, count in dict(row.requested).items():
            requested[kind] += int(count)
        for kind, count in dict(row.booked).items():
            booked[kind] += int(count)
    councils: dict[uuid.UUID, str] = {
        row.council_id: row.name
        for row in await session.execute(select(tables.councils.c.council_id, tables.councils.c.name))
    }
    types = {kind.slug: kind.name for kind in territory.instance_types}
    by_council: dict[str, ClaimFigures] = defaultdict(ClaimFigures)
    by_type: dict[str, ClaimFigures] = defaultdict(ClaimFigures)
    total = ClaimFigures()
    query = (
        select(cost_claims, inst.c.instance_type)
        .join(inst, inst.c.id == cost_claims.c.instance_id)
        .where(in_period)
    )
    for claim in (await session.execute(query)).mappings():
        council = (
            councils.get(claim["council_id"], "(conseil inconnu)")
            if claim["council_id"]
            else "(sans conseil)"
        )
        for figures in (
            by_council[council],
            by_type[str(types.get(claim["instance_type"], claim["instance_type"]))],
            total,
        ):
            figures.add(claim["status"], int(claim["amount_cents"]))
    with_easy, without_easy = 0, 0
    query = (
        select(easy_read_dossiers.c.has_summary)
        .join(inst, inst.c.id == easy_read_dossiers.c.instance_id)
        .where(in_period)
    )
    for has_summary in await session.scalars(query):
        if has_summary:
            with_easy += 1
        else:
            without_easy += 1
    confirmed = await session.scalar(
        select(func.count())
        .select_from(attendance_confirmations)
        .join(inst, inst.c.id == attendance_confirmations.c.instance_id)
        .where(in_period)
    )
    return AttendingBilan(
        period_from,
        period_to,
        dict(requested),
        dict(booked),
        dict(by_council),
        dict(by_type),
        total,
        with_easy,
        without_easy,
        int(confirmed or 0),
    )
