"""The SQL of the staff's list of instances (the site's /equipe/instances): the filters, the
count, one page in order and the drafts apart, on the caller's session (one read transaction).

At national size the 90 past days and what is scheduled are about 2,400 instances: the database
filters, counts and cuts the page, so only the 50 rows shown (and the drafts) are read and
serialised instead of all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.records import InstanceRecord


@dataclass(frozen=True)
class InstanceFilters:
    """What the staff's list is filtered by (None: no filter). `city_code` is the instance's own
    city, else, for a council's instance, the city of its council in the registry read model;
    the window is `starts_from` <= starts_at < `starts_before`."""

    instance_type: str | None = None
    theme: str | None = None
    status: str | None = None
    city_code: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None


@dataclass(frozen=True)
class StaffInstancePage:
    """`total` instances (not drafts) match the filters; `instances` is the page asked of them,
    by start then id; `drafts` are every draft that matches, in the same order."""

    total: int
    instances: list[InstanceRecord]
    drafts: list[InstanceRecord]


class StaffListQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def staff_page(self, filters: InstanceFilters, *, limit: int, offset: int) -> StaffInstancePage:
        table = tables.instances
        matching = _conditions(filters)
        listed = [*matching, table.c.status != "draft"]
        total = await self.session.scalar(select(func.count()).select_from(table).where(*listed))
        order = (table.c.starts_at, table.c.id)
        page = select(table).where(*listed).order_by(*order).limit(limit).offset(offset)
        drafts: list[InstanceRecord] = []
        if filters.status in (None, "draft"):
            query = select(table).where(*matching, table.c.status == "draft").order_by(*order)
            drafts = [InstanceRecord.of(row) for row in (await self.session.execute(query)).mappings()]
        return StaffInstancePage(
            total=int(total or 0),
            instances=[InstanceRecord.of(row) for row in (await self.session.execute(page)).mappings()],
            drafts=drafts,
        )


def _conditions(filters: InstanceFilters) -> list[ColumnElement[bool]]:
    table = tables.instances
    conditions: list[ColumnElement[bool]] = []
    if filters.starts_from is not None:
        conditions.append(table.c.starts_at >= filters.starts_from)
    if filters.starts_before is not None:
        conditions.append(table.c.starts_at < filters.starts_before)
    if filters.instance_type is not None:
        conditions.append(table.c.instance_type == filters.instance_type)
    if filters.theme is not None:
        conditions.append(table.c.theme == filters.theme)
    if filters.status is not None:
        conditions.append(table.c.status == filters.status)
    if filters.city_code is not None:
        councils = tables.councils
        council_city = (
            select(councils.c.city_code).where(councils.c.council_id == table.c.council_id).scalar_subquery()
        )
        # the instance's own city ("" counts as none), else its council's
        city = func.coalesce(func.nullif(table.c.city_code, ""), council_city)
        conditions.append(city == filters.city_code)
    return conditions
