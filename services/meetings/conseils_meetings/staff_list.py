"""The staff's list of instances as the site shows it (/equipe/instances): filtered by type,
theme, state, city and period, counted, one page of it, and the drafts apart (the SQL is in
`staff_list_queries.py`)."""

from __future__ import annotations

from conseils_meetings.staff_list_queries import InstanceFilters, StaffInstancePage, StaffListQueries
from conseils_meetings.use_cases import MeetingsCore


class StaffList(MeetingsCore):
    async def staff_instances(
        self, filters: InstanceFilters, *, limit: int, offset: int = 0
    ) -> StaffInstancePage:
        """One page of the instances (drafts apart) that match `filters`, by start then id,
        with how many match (one read transaction: the count and the page agree)."""
        async with self.units.reading() as repo:
            return await StaffListQueries(repo.session).staff_page(filters, limit=limit, offset=offset)
