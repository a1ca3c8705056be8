"""How a council is represented, end to end on the real (secured) broker, the three services with
their own PostgreSQL databases (issue 20):

- the council's coordinator designates the substitute (suppléant·e) of its emploi referent; the
  referent registers then cancels: her substitute is emailed the instance's invitation, and
  registers in the council's seat; a substitute from another council is refused in French;
- under the rotation scenario (dated in the territory file), the next member of the council's rota
  is invited when a comité technique is scheduled; a swap for that instance gives it to another
  member of the rota, who is emailed; a rota or a swap with an outsider is refused; a council
  whose rota has nobody eligible raises a staff alert instead of inviting nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conseils_runtime.territory import default_territory_path
from conseils_web.mailbox import MailCatcher, read_mailbox
from tests.e2e.secured_kafka import SecuredKafka
from tests.e2e.stack import Stack, eventually, running_stack, seed_people
from tests.e2e.test_erasure_everywhere import databases  # noqa: F401 - the fixture

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[MailCatcher]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


def rotation_later(directory: Path, since: date) -> Path:
    """The demo territory, its comités techniques by referent per theme, then by rotation."""
    text = default_territory_path().read_text(encoding="utf-8")
    old = "    - {scenario: vivier_ouvert, since: 2026-05-01}\n"
    assert old in text
    text = text.replace(old, f"    - {{scenario: rotation, since: {since.isoformat()}}}\n", 1)
    path = directory / "territoire.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def deliveries(stack: Stack, member_id: uuid.UUID, reason: str) -> list[dict[str, Any]]:
    rows = await stack.rows("notifications", "deliveries")
    return [r for r in rows if str(r["member_id"]) == str(member_id) and r["reason"] == reason]


async def mailed(mailbox: MailCatcher, address: str) -> bool:
    return any(address in mail.recipients for mail in read_mailbox(mailbox.directory))


async def test_substitutes_and_the_rota_invite_who_represents_the_council(  # noqa: PLR0917
    kafka_bootstrap: str,
    secured_kafka: SecuredKafka,
    territory: str,
    databases: dict[str, str],  # noqa: F811
    mailbox: MailCatcher,
    tmp_path: Path,
) -> None:
    switch = (datetime.now(UTC) + timedelta(days=55)).date()
    path = rotation_later(tmp_path, switch)
    async with running_stack(
        kafka_bootstrap,
        territory,
        databases,
        tmp_path,
        smtp_port=mailbox.port,
        kafka=secured_kafka,
        territory_file=path,
    ) as stack:
        await seed_people(stack)  # a comité technique « emploi » in 40 days: referent per theme
        council, other_council = stack.data["council_a"], stack.data["council_b"]
        referent, coordinator, outsider = (stack.data[k] for k in ("councillor", "coordinator", "other"))
        people = {p["id"]: p for p in stack.data["people"]}
        as_coordinator = stack.headers("coordinator", member_id=coordinator, council_id=council)
        as_referent = stack.headers("councillor", member_id=referent, council_id=council)
        instance = stack.data["instance"]

        # --- substitutes
        await stack.ok(
            "registry", "PUT", f"/councils/{council}/referents/emploi", json={"member_id": str(referent)}
        )
        refused = await stack.call(
            "registry",
            "PUT",
            f"/councils/{council}/substitutes/emploi",
            as_coordinator,
            json={"member_id": str(outsider)},
        )
        assert refused.status_code == 422
        assert "membre actif de ce conseil" in refused.json()["detail"]
        designated = await stack.call(
            "registry",
            "PUT",
            f"/councils/{council}/substitutes/emploi",
            as_coordinator,
            json={"member_id": str(coordinator)},
        )
        assert designated.status_code == 200, designated.text

        async def notifications_know_both() -> bool:
            terms = await stack.rows("notifications", "substitute_terms")
            referents = await stack.rows("notifications", "referent_terms")
            return any(str(t["member_id"]) == str(coordinator) for t in terms) and any(
                str(r["member_id"]) == str(referent) and r["until"] is None for r in referents
            )

        await eventually(notifications_know_both, what="notifications know the referent and her substitute")

        registered = await stack.call(
            "meetings",
            "POST",
            f"/instances/{instance}/registrations",
            as_referent,
            json={"mode": "participant"},
        )
        assert registered.status_code < 300, registered.text
        cancelled = await stack.call(
            "meetings", "DELETE", f"/instances/{instance}/registrations/me", as_referent
        )
        assert cancelled.status_code < 300, cancelled.text

        async def substitute_invited() -> bool:
            return bool(await deliveries(stack, coordinator, "substitute"))

        await eventually(substitute_invited, what="the substitute is invited when the referent cancels")
        (invitation,) = await deliveries(stack, coordinator, "substitute")
        assert invitation["kind"] == "scheduled"
        assert invitation["instance_id"] == instance
        odile = people[str(coordinator)]["email"]
        await eventually(lambda: mailed(mailbox, odile), what="her invitation is emailed")
        seat = await stack.call(
            "meetings",
            "POST",
            f"/instances/{instance}/registrations",
            as_coordinator,
            json={"mode": "participant"},
        )
        assert seat.status_code < 300, seat.text
        assert seat.json()["status"] == "confirmed"  # she takes the council's seat
        assert not await deliveries(stack, outsider, "substitute")

        # --- the rotation scenario
        bad_rota = await stack.call(
            "meetings",
            "PUT",
            f"/councils/{council}/rota",
            as_coordinator,
            json={"member_ids": [str(referent), str(outsider)]},
        )
        assert bad_rota.status_code == 422
        assert "membres actifs de ce conseil" in bad_rota.json()["detail"]
        rota = await stack.call(
            "meetings",
            "PUT",
            f"/councils/{council}/rota",
            as_coordinator,
            json={"member_ids": [str(referent), str(coordinator)]},
        )
        assert rota.status_code == 200, rota.text
        assert rota.json()["next_member_id"] == str(referent)
        starts = (datetime.now(UTC) + timedelta(days=70)).replace(hour=16, minute=30, second=0, microsecond=0)
        later = await stack.ok(
            "meetings",
            "POST",
            "/instances",
            json={
                "instance_type": "comite-technique",
                "title": "Comité technique Emploi (tour de rôle)",
                "theme": "emploi",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "location": "Mairie de Saint-Denis",
            },
        )
        later_id = later.get("id") or later["instance_id"]
        shown = await stack.ok("meetings", "GET", f"/instances/{later_id}/representation")
        assert shown["scenario"] == "rotation"
        by_council = {c["council_id"]: c for c in shown["councils"]}
        assert by_council[str(council)]["member_ids"] == [str(referent)]
        assert by_council[str(other_council)]["vacant"] is True  # its rota is empty

        async def turn_invited() -> bool:
            return bool(await deliveries(stack, referent, "rotation_turn"))

        await eventually(turn_invited, what="the member whose turn it is is invited")
        assert not await deliveries(stack, outsider, "rotation_turn")

        async def staff_alerted() -> bool:
            alerts = await stack.rows("notifications", "staff_alerts")
            return any(
                a["kind"] == "rota_without_member" and str(a["subject_id"]) == later_id for a in alerts
            )

        await eventually(staff_alerted, what="a rota with nobody eligible raises a staff alert")

        bad_swap = await stack.call(
            "meetings",
            "POST",
            f"/instances/{later_id}/rotation/{council}/swap",
            as_coordinator,
            json={"member_id": str(outsider)},
        )
        assert bad_swap.status_code == 422
        assert "tour de rôle" in bad_swap.json()["detail"]
        swapped = await stack.call(
            "meetings",
            "POST",
            f"/instances/{later_id}/rotation/{council}/swap",
            as_coordinator,
            json={"member_id": str(coordinator)},
        )
        assert swapped.status_code == 200, swapped.text
        mine = next(c for c in swapped.json()["councils"] if c["council_id"] == str(council))
        assert (mine["member_ids"], mine["swapped_with"]) == ([str(coordinator)], str(referent))

        async def swap_invited() -> bool:
            return bool(await deliveries(stack, coordinator, "rotation_turn"))

        await eventually(swap_invited, what="the member who takes the turn is invited")
