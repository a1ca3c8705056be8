"""Use cases of knowing each other: the councils of the whole territory as every councillor
sees them (city, neighbourhood, referents per theme, vacant themes, the names of those who
chose to be shown) and a member's choice to show her name to the other councils.

Names only, never contact details; a member's name is shown to the councillors of other
councils only once she said so (`shown_to_councillors`, off by default, on her contact card:
erasure takes it away with the card).
"""

from __future__ import annotations

import uuid

from conseils_registry.domain import check_member_active, name_for_other_councillors
from conseils_registry.records import CouncilOverviewRecord, MemberRecord, ReferentShown
from conseils_registry.use_cases import RegistryCore


class Community(RegistryCore):
    async def councils_overview(self) -> list[CouncilOverviewRecord]:
        """Every council not dissolved, with what any councillor of the territory may see."""
        async with self.units.reading() as repo:
            councils = await repo.councils()
            members = await repo.members()
            referents = await repo.referents()
            themes = await repo.theme_slugs()
        by_council: dict[uuid.UUID, list[MemberRecord]] = {}
        for member in members:
            by_council.setdefault(member.council_id, []).append(member)
        shown = {m.id: name_for_other_councillors(m.display_name, m.shown_to_councillors) for m in members}
        overview = []
        for council in councils:
            if council.dissolved_on is not None:
                continue
            current = {r.theme: r for r in referents if r.council_id == council.id}
            overview.append(
                CouncilOverviewRecord(
                    council=council,
                    members=len(by_council.get(council.id, [])),
                    referents=[
                        ReferentShown(theme=theme, name=shown.get(current[theme].member_id))
                        for theme in themes
                        if theme in current
                    ],
                    vacant_themes=[theme for theme in themes if theme not in current],
                    names_shown=sorted(
                        name for m in by_council.get(council.id, []) if (name := shown[m.id]) is not None
                    ),
                )
            )
        return overview

    async def show_to_councillors(self, member_id: uuid.UUID, shown: bool) -> MemberRecord:
        """Her choice (or the staff recording it): her name shown, or no longer, to the other councils."""
        async with self.units.begin() as unit:
            member = await self._existing_member(unit.repo, member_id)
            check_member_active(member.state)
            if member.shown_to_councillors == shown:
                return member
            return await unit.repo.show_to_councillors(member_id, shown, self.clock())
