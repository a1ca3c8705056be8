"""How the demo mailbox shows a stored mail as a mail client would: links of the formatted
version open at the top level of the browser (never inside the sandboxed frame, where the
site's pages cannot work), addresses of the text version are links, the date is French."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

from markupsafe import Markup, escape

# The frame's sandbox: the mail's own scripts and forms never run; a link the person clicks
# navigates the whole page (target="_top", by user activation only) or opens a new tab that
# is an ordinary page of the site (target="_blank"), as links of a real mail client do.
MAIL_FRAME_SANDBOX = "allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox"
_TOP_TARGET = '<base target="_top">'
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(r"<html(\s[^>]*)?>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'«»]+")
_TRAILING = ".,;:!?)]"


def top_level_links(html: str) -> str:
    """The mail's HTML with `<base target="_top">` first in its head, so that its links leave
    the frame; anything before the head (a doctype, `<html>`) stays in front."""
    for pattern in (_HEAD, _HTML, _DOCTYPE):
        found = pattern.search(html)
        if found:
            return html[: found.end()] + _TOP_TARGET + html[found.end() :]
    return _TOP_TARGET + html


def linked_text(text: str) -> Markup:
    """The text version, escaped, with each http(s) address a link (a full stop or a closing
    bracket that ends the sentence stays outside the link)."""
    parts: list[str] = []
    position = 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(_TRAILING)
        parts.append(escape(text[position : found.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = found.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def mail_date(header: str | None, when: Callable[[datetime], str]) -> str:
    """The Date header in French local time (`when` formats an aware datetime, as the list
    does); the header itself when it cannot be read."""
    if not header:
        return ""
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return header
    if moment.tzinfo is None:
        return header
    return when(moment)
