"""The demo mailbox's pages (« Courriels reçus »): every message the platform sent, newest
first, a page at a time, filtered by recipient; one message as a mail client shows it; its
attachments. Only in the local demo (no mailbox directory: 404)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from conseils_web.context import render, site
from conseils_web.mail_view import MAIL_FRAME_SANDBOX, linked_text, mail_date, top_level_links
from conseils_web.mailbox import find_mail, mailbox_page

router = APIRouter()


def _directory(request: Request) -> Path:
    directory = site(request).mailbox_dir
    if directory is None:  # no demo mailbox outside the local demo
        raise StarletteHTTPException(404)
    return directory


def mailbox_url(recipient: str = "", page: int = 1) -> str:
    """The list's address for a recipient's mail (all of it when empty), at a page."""
    query: dict[str, str | int] = {"destinataire": recipient} if recipient else {}
    if page > 1:
        query["page"] = page
    return "/courriels" + (f"?{urlencode(query)}" if query else "")


@router.get("/courriels", response_class=HTMLResponse)
async def mails(request: Request, destinataire: str = "", page: str = "1") -> HTMLResponse:
    recipient = destinataire.strip()[:254]
    number = int(page) if page.isdigit() else 1
    found = mailbox_page(_directory(request), recipient=recipient, page=number)
    rows = [
        {
            "id": mail.id,
            "subject": mail.subject,
            "to": mail.recipients,
            "received": site(request).when(datetime.fromtimestamp(mail.received_at, UTC)),
        }
        for mail in found.mails
    ]
    return render(
        request,
        "courriels.html",
        title="Courriels reçus" + (f" par {recipient}" if recipient else ""),
        active="courriels",
        mails=rows,
        found=found,
        recipient=recipient,
        newer=mailbox_url(recipient, found.page - 1) if found.page > 1 else None,
        older=mailbox_url(recipient, found.page + 1) if found.page < found.pages else None,
        back=mailbox_url(recipient, found.page),
    )


@router.get("/courriels/{mail_id}", response_class=HTMLResponse)
async def mail(request: Request, mail_id: str) -> HTMLResponse:
    stored = find_mail(_directory(request), mail_id)
    if stored is None:
        raise StarletteHTTPException(404)
    attachments = [(name, kind, len(data)) for name, kind, data in stored.attachments()]
    html, text = stored.part("text/html"), stored.part("text/plain")
    return render(
        request,
        "courriel.html",
        title=stored.subject,
        active="courriels",
        mail=stored,
        date=mail_date(stored.message["Date"], site(request).when),
        html=top_level_links(html) if html else None,
        sandbox=MAIL_FRAME_SANDBOX,
        text=linked_text(text) if text else None,
        attachments=attachments,
    )


@router.get("/courriels/{mail_id}/pieces/{index}")
async def attachment(request: Request, mail_id: str, index: int) -> Response:
    stored = find_mail(_directory(request), mail_id)
    parts = stored.attachments() if stored else []
    if not 0 <= index < len(parts):
        raise StarletteHTTPException(404)
    name, kind, data = parts[index]
    safe_name = "".join(c for c in name if c.isalnum() or c in "._-") or "piece"
    return Response(
        data, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{safe_name}"'}
    )
