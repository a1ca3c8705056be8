"""Which roles may use the staff pages about people, from one table that the routes enforce
(`require_page`) and the templates read (`may`), so that a role never sees a link to a page
it is refused.

Every /equipe page is for the territory's staff and for the operator (`require_staff`), but
the people's data and the decisions about them are staff's alone, never the operator's (she
runs the platform: flows, not people): the services refuse her these (the STAFF_ROLE rows of
tests/security/test_authorization_matrix.py: the members' list and files, erasure, needs,
cost-claim decisions), and the site's pages built on them are refused her here, before any
call, with the same answer (403)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from conseils_runtime.auth import Principal, Role
from conseils_web.security import current_user, require

Page = Literal["membres", "fichiers-membres", "effacements", "besoins", "remboursements"]

PEOPLE: tuple[Role, ...] = ("staff",)
"""The roles that read people's names and contact data and decide about them."""

PAGES: dict[Page, tuple[Role, ...]] = {
    # the members' list with names and contacts (registry GET /members): an instance's
    # registrants by name, its registrations CSV
    "membres": PEOPLE,
    # add a member, import, the import template, the export (registry POST /members, /members/import…)
    "fichiers-membres": PEOPLE,
    # erasure requests and a member's erasure (registry /erasure-requests, /members/{id}/erasure-request)
    "effacements": PEOPLE,
    # an instance's needs to book (meetings /instances/{id}/needs: contact data)
    "besoins": PEOPLE,
    # the cost claims with the members' names, their receipts and decisions (money)
    "remboursements": PEOPLE,
}


def may(principal: Principal | None, page: Page) -> bool:
    """Whether this person may use the page (nobody signed in may not)."""
    return principal is not None and principal.role in PAGES[page]


def require_page(request: Request, page: Page) -> Principal:
    """The signed-in person if she may use the page; else sign in (401 path) or 403."""
    return require(request, *PAGES[page])


def may_here(request: Request) -> dict[str, bool]:
    """For the templates: `may["remboursements"]` for the signed-in person."""
    principal = current_user(request)
    return {page: may(principal, page) for page in PAGES}
