"""« Étiez-vous présent·e ? » from the presence prompt's signed link (`present` action,
conseils_runtime.action_links): the page (GET changes nothing) asks for the attendance code shown
at the meeting; typing the right one declares her present at once through the meetings service,
as her, for that one call (no session opened). A wrong code is refused in French (five wrong
codes lock it for her for that instance, the meetings service decides); « Je n'étais pas là »
records nothing and thanks her."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.action_links import ActionLink
from conseils_web.action_pages import _read, _refused, _situation
from conseils_web.clients.presence import PresenceClient
from conseils_web.context import redirect, render, site
from conseils_web.security import checked_form
from conseils_web.services import ApiError

router = APIRouter()


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = render(request, "presence.html", status_code, **context)
    response.headers["Cache-Control"] = "no-store"  # the address is her credential
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


async def _link(request: Request, token: str) -> ActionLink | HTMLResponse:
    link = await _read(request, token)
    if isinstance(link, ActionLink) and link.action != "present":
        return _refused(
            request, 400, "Ce lien n'est pas valide", "Ce lien ne sert pas à déclarer une présence."
        )
    return link


@router.get("/presence/{token}", response_class=HTMLResponse)
async def presence_page(request: Request, token: str) -> HTMLResponse:
    link = await _link(request, token)
    if isinstance(link, HTMLResponse):
        return link
    situation = await _situation(request, link)
    if isinstance(situation, HTMLResponse):
        return situation
    _caller, name, instance, _mine = situation
    return _page(request, title=instance.title, instance=instance, name=name, token=token, ask=True)


@router.post("/presence/{token}")
async def declare(request: Request, token: str) -> Response:
    form = await checked_form(request)
    link = await _link(request, token)
    if isinstance(link, HTMLResponse):
        return link
    situation = await _situation(request, link)
    if isinstance(situation, HTMLResponse):
        return situation
    caller, name, instance, _mine = situation
    code = str(form.get("code", "")).strip()
    if not code:
        error = "Saisissez le code de présence affiché en séance."
        return _page(
            request,
            400,
            title=instance.title,
            instance=instance,
            name=name,
            token=token,
            ask=True,
            error=error,
        )
    try:
        answer = await PresenceClient(site(request).meetings._transport).declare(
            caller, link.instance_id, code
        )
    except ApiError as error:
        if error.status_code >= 500:
            raise
        status = 429 if error.status_code == 429 else 400
        return _page(
            request, status, title=instance.title, instance=instance, name=name, token=token,
            ask=error.status_code != 429, error=error.detail,
        )  # fmt: skip
    return _page(request, title=instance.title, instance=instance, name=name, done=answer.message)


@router.post("/presence/{token}/absente")
async def absent(request: Request, token: str) -> Response:
    """« Je n'étais pas là »: nothing recorded, she is thanked."""
    await checked_form(request)
    link = await _link(request, token)
    if isinstance(link, HTMLResponse):
        return link
    del link
    return redirect(request, f"/presence/{token}/merci")


@router.get("/presence/{token}/merci", response_class=HTMLResponse)
async def thanks(request: Request, token: str) -> HTMLResponse:
    link = await _link(request, token)
    if isinstance(link, HTMLResponse):
        return link
    done = "Merci de nous l'avoir dit. Rien n'est enregistré : à une prochaine fois !"
    return _page(request, title="Merci", done=done)
