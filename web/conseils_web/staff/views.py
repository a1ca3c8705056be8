"""What the staff pages show that no single service answers: registrations and the attendance
sheet with the members' names and councils (registry) joined to the meetings' rows."""

from __future__ import annotations

from typing import Any

from conseils_web.clients.meetings import Attendance, Instance, Registration
from conseils_web.clients.registry import Council, Member


def council_names(councils: list[Council]) -> dict[str, str]:
    return {str(council.id): council.name for council in councils}


def members_by_id(members: list[Member]) -> dict[str, Member]:
    return {str(member.id): member for member in members}


def display_name(member: Member | None, missing: str = "—") -> str:
    return (member.display_name if member else None) or missing


def _sort_name(member: Member | None) -> str:
    return (member.display_name or "") if member else ""


def instance_view(
    instance: Instance,
    registrations: list[Registration],
    attendance: list[Attendance],
    members: dict[str, Member],
    councils: dict[str, str],
) -> dict[str, Any]:
    """The staff's instance page: its registrations (named), its councils, the attendance
    sheet (the confirmed first, then the other members of the councils concerned)."""
    concerned = {str(c) for c in instance.concerned_council_ids}
    registered = [r for r in registrations if r.status != "cancelled"]
    confirmed = {str(r.member_id) for r in registered if r.status == "confirmed"}
    sheet = [
        {"id": member_id, "name": display_name(members.get(member_id)), "registered": True}
        for member_id in sorted(confirmed, key=lambda m: _sort_name(members.get(m)))
    ] + [
        {"id": str(m.id), "name": display_name(m), "registered": False}
        for m in sorted(members.values(), key=_sort_name)
        if str(m.council_id) in concerned and str(m.id) not in confirmed
    ]
    return {
        "registrations": [
            {
                **r.model_dump(),
                "name": display_name(members.get(str(r.member_id))),
                "council": councils.get(str(r.council_id), "—"),
            }
            for r in registered
        ],
        "concerned": [councils.get(c, c) for c in concerned],
        "sheet": sheet,
        "present": {str(a.member_id) for a in attendance},
    }


def registration_rows(
    registrations: list[Registration], members: dict[str, Member], councils: dict[str, str]
) -> list[list[Any]]:
    """The registrations' CSV: name, council, mode, status, waiting rank, date."""
    return [
        [
            display_name(members.get(str(row.member_id)), ""),
            councils.get(str(row.council_id), ""),
            row.mode,
            row.status,
            row.position or "",
            row.model_dump(mode="json")["created_at"],
        ]
        for row in registrations
    ]
