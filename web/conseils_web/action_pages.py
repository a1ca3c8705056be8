"""The emails' two-click action links (« Je participe », « J'observe », « Je ne viens plus »,
and the J-1 reminder's « Je viens », which records her confirmed venue in the meetings service:
the organiser's head-count). The presence prompt's link has its own page (`presence_pages`).
Once she holds a registration, the page of a registering link (and of « Je viens ») also offers
the needs fields (childcare, interpreting, ...): she says what she needs to come on the same
page, without signing in (`POST /action/{token}/besoins`, the link's member for that one call).

The link (`conseils_runtime.action_links`, signed by the notifications service with the
platform secret) names one member, one instance, one action and its expiry. Opening it
(GET, what a mail scanner also does) changes nothing: the page says what will happen, for
whom, and shows ONE confirm button (a POST with the CSRF token). Confirming acts through the
meetings service as that member, for that one call; no session is opened. A tampered link,
one past its window, an instance now cancelled, closed or past, and every refusal of the
registration rules get a French page and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.action_links import ActionLink, ActionLinkExpired, ActionLinkInvalid, read_any_action
from conseils_runtime.auth import Role
from conseils_web.clients.base import Caller
from conseils_web.clients.confirmations import ConfirmationsClient
from conseils_web.clients.meetings import Instance, MyRegistration
from conseils_web.context import redirect, render, site
from conseils_web.labels import MODE_LABELS
from conseils_web.needs_pages import NEED_CHOICES, needs_values, parse_needs
from conseils_web.security import checked_form
from conseils_web.services import ApiError

router = APIRouter()

CONFIRM_LABELS = {
    "participant": "Confirmer : je participe",
    "observer": "Confirmer : j'observe",
    "cancel": "Confirmer : je ne viens plus",
    "confirm": "Confirmer : je viens",
    "present": "",
}
PROMISES = {
    "participant": "En confirmant, vous vous inscrivez comme participant·e à cette instance.",
    "observer": "En confirmant, vous vous inscrivez comme observateur·rice à cette instance.",
    "cancel": "En confirmant, vous annulez votre inscription à cette instance.",
    "confirm": "En confirmant, vous dites à l'équipe que vous venez : elle vous compte parmi les présent·es.",
}
NEEDS_ACTIONS = frozenset({"participant", "observer", "confirm"})
"""The links whose page offers the needs fields once she is registered."""
PAST = frozenset({"held", "minutes_published"})
OPEN = frozenset({"scheduled", "rescheduled", "dossier_published"})


@dataclass(frozen=True)
class Plan:
    """What the page may do: `confirm` (show the button) and what to say (`message`, and
    `notice`, e.g. the waiting list, said before confirming)."""

    confirm: bool
    message: str
    notice: str | None = None


def plan(
    link: ActionLink, instance: Instance, mine: MyRegistration | None, *, confirmed: bool = False
) -> Plan:
    """Whether the link's action can still be done, and why not in French (`confirmed`: she
    already said « Je viens »)."""
    if instance.status == "cancelled":
        reason = f" : {instance.cancel_reason}" if instance.cancel_reason else "."
        return Plan(False, f"Cette instance est annulée{reason} Rien n'a été changé.")
    if instance.status in PAST:
        return Plan(False, "Cette instance a déjà eu lieu. Rien n'a été changé.")
    if link.action == "confirm":
        if mine is None:
            return Plan(False, "Vous n'êtes plus inscrit·e à cette instance : rien à confirmer.")
        if mine.status == "waitlisted":
            later = "vous serez prévenu·e si une place se libère."
            return Plan(False, f"{_registration_words(mine)} Pas encore de place à confirmer : {later}")
        if confirmed:
            return Plan(False, f"Votre venue est confirmée. Merci, à bientôt ! {_registration_words(mine)}")
        return Plan(True, PROMISES["confirm"], _registration_words(mine))
    if link.action == "cancel":
        if mine is None:
            return Plan(False, "Vous n'êtes pas (ou plus) inscrit·e à cette instance : rien à annuler.")
        return Plan(True, PROMISES["cancel"], _registration_words(mine))
    if mine is not None and mine.mode == link.action:
        return Plan(False, _registration_words(mine))
    access = instance.access
    mode = access.participant if access and link.action == "participant" else None
    mode = access.observer if access and link.action == "observer" else mode
    if mode is not None and not mode.allowed and mode.code != "waitlist":
        return Plan(False, f"{mode.reason} Rien n'a été changé.")
    notice = mode.reason if mode is not None and mode.code == "waitlist" else None
    if mine is not None:
        switching = _registration_words(mine).rstrip(".") + " : cette inscription sera remplacée."
        notice = " ".join(filter(None, [switching, notice]))
    return Plan(True, PROMISES[link.action], notice)


def _registration_words(row: MyRegistration) -> str:
    mode = MODE_LABELS.get(row.mode, row.mode)
    if row.status == "waitlisted":
        rank = f" (rang {row.position})" if row.position else ""
        return f"Vous êtes sur la liste d'attente{rank} comme {mode}."
    return f"Vous êtes inscrit·e comme {mode}."


async def _member_caller(request: Request, link: ActionLink) -> tuple[Caller, str] | None:
    """The link's member as the caller of the meetings service (one call), and her name;
    None when she is no longer a member of a council."""
    ctx = site(request)
    try:
        member = await ctx.registry.member(ctx.site_token(), link.member_id)
    except ApiError as error:
        if error.status_code == 404:
            return None
        raise
    if member.left_on is not None or member.council_id is None:
        return None
    role: Role = "coordinator" if member.role == "coordinator" else "councillor"
    caller = Caller(ctx.auth_secret, subject=str(member.id), role=role, council_id=member.council_id)
    return caller, member.display_name or ""


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = render(request, "action.html", status_code, **context)
    # The address is a credential for one action: never cached, never sent to another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _refused(request: Request, status_code: int, title: str, message: str, suite: str = "") -> HTMLResponse:
    return _page(request, status_code, title=title, heading=title, message=message, suite=suite)


async def _read(request: Request, token: str) -> ActionLink | HTMLResponse:
    ctx = site(request)
    try:
        return read_any_action(ctx.auth_secret, token, ctx.clock())
    except ActionLinkExpired as expired:
        return _refused(
            request,
            410,
            "Ce lien a expiré",
            f"Il était valable jusqu'au {ctx.when(expired.link.expires_at)}. Rien n'a été changé. "
            "Connectez-vous pour voir l'instance et ce qu'il est encore possible de faire.",
            f"/instances/{expired.link.instance_id}",
        )
    except ActionLinkInvalid:
        return _refused(
            request,
            400,
            "Ce lien n'est pas valide",
            "Il a peut-être été coupé ou modifié (copiez-le en entier depuis le courriel). "
            "Rien n'a été changé. Vous pouvez aussi vous connecter pour agir depuis le site.",
        )


async def _situation(
    request: Request, link: ActionLink
) -> tuple[Caller, str, Instance, MyRegistration | None] | HTMLResponse:
    member = await _member_caller(request, link)
    if member is None:
        return _refused(
            request, 403, "Ce lien ne vaut plus", "Vous n'êtes plus membre d'un conseil. Rien n'a été changé."
        )
    caller, name = member
    meetings = site(request).meetings
    try:
        instance = await meetings.instance(caller, link.instance_id)
    except ApiError as error:
        if error.status_code != 404:
            raise
        gone = "Cette instance n'existe plus. Rien n'a été changé."
        return _refused(request, 404, "Instance introuvable", gone)
    rows = await meetings.my_registrations(caller)
    mine = next(
        (r for r in rows if r.instance_id == link.instance_id and r.status != "cancelled"),
        None,
    )
    return caller, name, instance, mine


async def _confirmed(caller: Caller, request: Request, link: ActionLink) -> bool:
    """Whether she already said « Je viens » (asked only for that link)."""
    if link.action != "confirm":
        return False
    rows = await ConfirmationsClient(site(request).meetings._transport).mine(caller)
    return any(row.instance_id == link.instance_id for row in rows)


async def _needs_form(
    request: Request, caller: Caller, link: ActionLink, instance: Instance, mine: MyRegistration | None
) -> dict[str, Any] | None:
    """The needs fields of the page (her needs so far), once she holds a registration and
    while the instance is to come; None otherwise."""
    ctx = site(request)
    if link.action not in NEEDS_ACTIONS or mine is None or instance.status not in OPEN:
        return None
    if instance.starts_at <= ctx.clock():
        return None
    lead = ctx.territory.needs.lead_days
    try:
        declared = await ctx.attending.my_needs(caller, link.instance_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return None  # a meetings service without needs: the page as before
    return {
        "choices": [(kind, label, hint, lead.of(kind)) for kind, label, hint in NEED_CHOICES],
        "entered": needs_values(declared),
        "declared": declared,
    }


async def _shown(request: Request, token: str, status_code: int = 200, **extra: Any) -> Response:
    link = await _read(request, token)
    if isinstance(link, HTMLResponse):
        return link
    if link.action == "present":
        return redirect(request, f"/presence/{token}")
    situation = await _situation(request, link)
    if isinstance(situation, HTMLResponse):
        return situation
    caller, name, instance, mine = situation
    decided = plan(link, instance, mine, confirmed=await _confirmed(caller, request, link))
    needs = await _needs_form(request, caller, link, instance, mine)
    if needs is not None and "values" in extra:
        needs["entered"] = extra.pop("values")
    return _page(
        request,
        status_code,
        title=instance.title,
        heading=instance.title,
        instance=instance,
        name=name,
        plan=decided,
        token=token,
        confirm_label=CONFIRM_LABELS[link.action],
        suite=f"/instances/{instance.id}",
        needs=needs,
        **extra,
    )


@router.get("/action/{token}", response_class=HTMLResponse)
async def action_page(request: Request, token: str) -> Response:
    """What the link will do, with one confirm button (nothing changes on GET)."""
    return await _shown(request, token)


@router.post("/action/{token}")
async def confirm_action(request: Request, token: str) -> Response:
    """Do the link's one action as its member, then show the page again with the outcome."""
    await checked_form(request)
    link = await _read(request, token)
    if isinstance(link, HTMLResponse):
        return link
    situation = await _situation(request, link)
    if isinstance(situation, HTMLResponse):
        return situation
    caller, _name, instance, mine = situation
    confirmed = await _confirmed(caller, request, link)
    if link.action == "present" or not plan(link, instance, mine, confirmed=confirmed).confirm:
        return redirect(request, f"/action/{token}")  # the page says why
    meetings = site(request).meetings
    try:
        if link.action == "cancel":
            outcome = await meetings.unregister(caller, link.instance_id)
        elif link.action == "confirm":
            answer = await ConfirmationsClient(meetings._transport).confirm(caller, link.instance_id)
            return redirect(request, f"/action/{token}", answer.message)
        else:
            outcome = await meetings.register(caller, link.instance_id, link.action)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, f"/action/{token}", f"Rien n'a été changé : {error.detail}")
    return redirect(request, f"/action/{token}", outcome.message)


@router.post("/action/{token}/besoins")
async def declare_needs(request: Request, token: str) -> Response:
    """Her needs to come, from the link's page, as the link's member (one call)."""
    form = await checked_form(request)
    link = await _read(request, token)
    if isinstance(link, HTMLResponse):
        return link
    situation = await _situation(request, link)
    if isinstance(situation, HTMLResponse):
        return situation
    caller, _name, instance, mine = situation
    if await _needs_form(request, caller, link, instance, mine) is None:
        return redirect(request, f"/action/{token}")  # the page says what is still possible
    needs, errors = parse_needs(form)
    typed = {key: form.getlist(key) if key == "besoin" else str(form.get(key, "")) for key in form}
    if errors:
        return await _shown(request, token, 422, errors=errors, values=typed)
    try:
        saved = await site(request).attending.declare_needs(caller, link.instance_id, needs)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _shown(request, token, 422, errors=[("besoins", error.detail)], values=typed)
    message = (
        "Vos besoins sont enregistrés : l'équipe organise votre venue."
        if saved
        else "Vous n'avez plus de besoin déclaré pour cette instance."
    )
    return redirect(request, f"/action/{token}", message)
