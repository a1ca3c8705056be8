"""Issue 15 (least privilege): the operator watches flows, not people. The staff instance page
does not offer her the needs checklist (contact data, which the meetings API refuses her); staff
keep the link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.test_time_slots import INSTANCE_ID, TUESDAY_14H, client_for, main_of, stored_row

__all__ = ["client_for"]  # the fixture, shared with the time-slot tests

NEEDS_LINK = f'href="/equipe/instances/{INSTANCE_ID}/besoins"'


async def test_the_operator_is_not_offered_the_needs_checklist(client_for: Callable[..., Any]) -> None:
    row = stored_row(TUESDAY_14H, stale_is_evening=False)
    async for client in client_for(row, "operator"):
        page = main_of(await client.get(f"/equipe/instances/{INSTANCE_ID}"))
        assert "Version facile à lire du dossier" in page  # the page itself is hers
        assert NEEDS_LINK not in page
        assert "Besoins à réserver" not in page
    async for client in client_for(row, "staff"):
        page = main_of(await client.get(f"/equipe/instances/{INSTANCE_ID}"))
        assert NEEDS_LINK in page
