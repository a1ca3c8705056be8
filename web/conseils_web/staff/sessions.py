"""Staff page that ends sessions (/equipe/sessions): every session of one person (found by her
address), or everyone's (a stolen laptop, a leaked cookie, a suspected intrusion). Sessions end
at once: the site checks them on every request (`conseils_web.security.SessionMiddleware`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.auth_pages import find_account
from conseils_web.context import redirect, render, site
from conseils_web.security import checked_form, new_session, require_staff, set_session_cookie
from conseils_web.signin import EVERYONE

router = APIRouter(prefix="/equipe")
ONE_ENDED = "Si un compte correspond à cette adresse, toutes ses sessions sont terminées."
ALL_ENDED = "Toutes les sessions sont terminées : chacun·e doit se reconnecter (vous restez connecté·e)."


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(request: Request) -> HTMLResponse:
    require_staff(request)
    return render(request, "equipe/sessions.html", title="Sessions", active="equipe-sessions")


@router.post("/sessions/personne")
async def end_one(request: Request) -> Response:
    """The same answer whether the address has an account or not (no way to test addresses)."""
    require_staff(request)
    form = await checked_form(request)
    address = str(form.get("email", "")).strip()
    ctx = site(request)
    account = await find_account(ctx, address) if address else None
    if account is not None:
        await ctx.store.sessions.end_sessions(account.subject)
    return redirect(request, "/equipe/sessions", ONE_ENDED)


@router.post("/sessions/toutes")
async def end_all(request: Request) -> Response:
    """Every session begun until now ends, the clicker's too; she gets a new one at once."""
    principal = require_staff(request)
    await checked_form(request)
    ctx = site(request)
    await ctx.store.sessions.end_sessions(EVERYONE)
    response = redirect(request, "/equipe/sessions", ALL_ENDED)
    set_session_cookie(
        response,
        new_session(ctx.auth_secret, subject=principal.subject, role=principal.role),
        secure=ctx.secure_cookies,
    )
    return response
