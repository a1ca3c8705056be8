"""Sign-in by emailed link (/connexion) and sign-out (/deconnexion). A phone number typed
instead of an address gets the same link by SMS (`signin_sms`), with the same answer and limits.

The answer to a link request is the same whether an account exists or not,
and the look-up and the mail happen after the answer (same timing either way).
Mail scanners may open the link: only the confirm button (a POST) uses it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

import aiosmtplib
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_runtime.auth import Role
from conseils_runtime.logs import get_logger
from conseils_runtime.mail import encoded_subject, finish_message, wire_bytes
from conseils_web.context import SiteContext, redirect, render, site
from conseils_web.mailbox_pages import mailbox_url
from conseils_web.security import (
    COUNCILLOR_ROLES,
    SESSION_COOKIE,
    checked_form,
    current_user,
    new_session,
    set_session_cookie,
)
from conseils_web.services import ApiError, ServiceUnavailable
from conseils_web.signin import Account, address_key
from conseils_web.signin_sms import SENT_MESSAGE as SMS_SENT
from conseils_web.signin_sms import phone_number, send_sms_link

router = APIRouter()
log = get_logger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SENT_MESSAGE = (
    "Si cette adresse correspond à un compte, un lien de connexion vient de lui être envoyé. "
    "Il est valable 10 minutes et ne sert qu'une fois."
)
_background: set[asyncio.Task[None]] = set()


def safe_next(value: object) -> str:
    """Only a path of this site (never //other.example)."""
    text = value if isinstance(value, str) else ""
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return ""


async def find_account(ctx: SiteContext, address: str) -> Account | None:
    wanted = address.strip().lower()
    token = ctx.site_token()
    for account in await ctx.registry.staff_accounts(token, email=wanted):
        if account.email.lower() == wanted:
            return Account(
                subject=str(account.id), role="operator" if account.role == "operator" else "staff"
            )
    for member in await ctx.registry.members(token, email=wanted):
        if (member.email or "").lower() == wanted and not member.left_on and member.council_id is not None:
            role: Role = "coordinator" if member.role == "coordinator" else "councillor"
            return Account(subject=str(member.id), role=role, council_id=member.council_id)
    return None


def signin_mail(ctx: SiteContext, address: str, link: str) -> EmailMessage:
    """The sign-in mail, finished as every mail of the platform is (`conseils_runtime.mail`):
    Date, Message-ID, a subject strict readers decode, 7-bit quoted-printable bodies, DKIM when
    the deployment gives a key. No List-Unsubscribe: it answers her own request."""
    message = EmailMessage()
    message["From"] = ctx.territory.mail.sender
    message["To"] = address
    message["Subject"] = encoded_subject(f"Votre lien de connexion — conseils {ctx.territory.territory.name}")
    text = (
        "Bonjour,\n\n"
        "Pour vous connecter, ouvrez ce lien puis appuyez sur « Me connecter » :\n"
        f"{link}\n\n"
        "Il est valable 10 minutes et ne sert qu'une fois. "
        "Si vous n'avez rien demandé, ignorez ce message.\n"
    )
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(
        "<p>Bonjour,</p><p>Pour vous connecter, ouvrez ce lien puis appuyez sur « Me connecter » :</p>"
        f'<p><a href="{link}">Me connecter</a></p>'
        "<p>Il est valable 10 minutes et ne sert qu'une fois. "
        "Si vous n'avez rien demandé, ignorez ce message.</p>",
        subtype="html",
        cte="quoted-printable",
    )
    return finish_message(message, now=datetime.now(UTC), dkim_key=ctx.dkim_key)


async def send_link(ctx: SiteContext, address: str, next_path: str) -> None:
    try:
        account = await find_account(ctx, address)
        if account is None:
            return
        token = await ctx.store.issue(account)
        link = f"{ctx.public_base_url}/connexion/{token}"
        if next_path:
            link += f"?suite={quote(next_path, safe='/')}"
        message = signin_mail(ctx, address, link)
        await aiosmtplib.send(  # the very bytes the DKIM signature covers
            wire_bytes(message),
            sender=parseaddr(ctx.territory.mail.sender)[1],
            recipients=[address],
            hostname=ctx.smtp_host,
            port=ctx.smtp_port,
            timeout=20,
        )
    except (ApiError, ServiceUnavailable, aiosmtplib.SMTPException, OSError) as error:
        log.warning("sign-in link not sent", error=type(error).__name__)


def _signin_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "connexion.html", status_code=status_code, title="Connexion", **context)


@router.get("/connexion", response_class=HTMLResponse)
async def signin_form(request: Request, suite: str = "") -> HTMLResponse:
    return _signin_page(request, next_path=safe_next(suite), email="")


@router.post("/connexion", response_class=HTMLResponse)
async def ask_for_link(request: Request) -> HTMLResponse:
    ctx = site(request)
    form = await checked_form(request)
    address = str(form.get("email", "")).strip()
    next_path = safe_next(form.get("suite"))
    phone = phone_number(address) if "@" not in address else None
    if phone is None and (not _EMAIL.match(address) or len(address) > 254):
        return _signin_page(
            request,
            status_code=400,
            next_path=next_path,
            email=address,
            errors=[
                (
                    "email",
                    "Saisissez une adresse électronique valide, par exemple nom@exemple.fr, "
                    "ou un numéro de téléphone portable, par exemple 06 12 34 56 78.",
                )
            ],
        )
    client_ip = request.client.host if request.client else "?"
    if not ctx.ip_limiter.allow(client_ip) or not ctx.address_limiter.allow(
        address_key(ctx.auth_secret, phone or address)
    ):
        return _signin_page(
            request,
            status_code=429,
            next_path=next_path,
            email=address,
            errors=[("email", "Trop de demandes de lien : réessayez dans un quart d'heure.")],
        )
    sending = send_sms_link(ctx, phone, next_path) if phone else send_link(ctx, address, next_path)
    task = asyncio.create_task(sending)
    _background.add(task)
    task.add_done_callback(_background.discard)
    if phone:
        return render(
            request, "connexion-envoyee.html", title="Vérifiez vos SMS", message=SMS_SENT, by_sms=True
        )
    return render(
        request,
        "connexion-envoyee.html",
        title="Vérifiez vos courriels",
        message=SENT_MESSAGE,
        mailbox=mailbox_url(address) if ctx.mailbox_dir is not None else None,  # the demo's
    )


@router.get("/connexion/{token}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str, suite: str = "") -> HTMLResponse:
    account = await site(request).store.peek(token)
    if account is None:
        return render(
            request, "connexion-invalide.html", status_code=410, title="Lien expiré ou déjà utilisé"
        )
    return render(
        request,
        "connexion-confirmer.html",
        title="Confirmer la connexion",
        token=token,
        next_path=safe_next(suite),
    )


@router.post("/connexion/{token}")
async def use_link(request: Request, token: str) -> Response:
    ctx = site(request)
    form = await checked_form(request)
    account = await ctx.store.consume(token)
    if account is None:
        return render(
            request, "connexion-invalide.html", status_code=410, title="Lien expiré ou déjà utilisé"
        )
    default = "/agenda" if account.role in COUNCILLOR_ROLES else "/equipe/instances"
    response = redirect(request, safe_next(form.get("suite")) or default, "Vous êtes connecté·e.")
    set_session_cookie(
        response,
        new_session(
            ctx.auth_secret, subject=account.subject, role=account.role, council_id=account.council_id
        ),
        secure=ctx.secure_cookies,
    )
    return response


@router.get("/deconnexion", response_class=HTMLResponse)
async def signout_page(request: Request) -> Response:
    if current_user(request) is None:
        return redirect(request, "/")
    return render(request, "deconnexion.html", title="Se déconnecter")


@router.post("/deconnexion")
async def signout(request: Request) -> Response:
    """Ends the session on the site's side (the cookie, even if kept or copied, no longer works)."""
    await checked_form(request)
    principal = current_user(request)
    if principal is not None and principal.session_id:
        await site(request).store.sessions.end_session(principal.session_id)
    response = redirect(request, "/", "Vous êtes déconnecté·e.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
