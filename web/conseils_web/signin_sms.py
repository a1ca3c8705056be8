"""Sign-in by SMS (issue 19): a member with only a phone types her number on /connexion and
receives her sign-in link by SMS, through the notifications service's SMS channel (Kannel).

The site answers the same whether or not the number is known, before anything is looked up (the
look-up and the SMS happen after the answer, as for the emailed link); the rate limits are the
email's (per number, keyed hash; per IP). The link is the emailed one's (single use, ten minutes,
its hash alone kept), without the page to come back to when that would not fit in one SMS."""

from __future__ import annotations

import re
from urllib.parse import quote

from conseils_runtime.auth import Role
from conseils_runtime.logs import get_logger
from conseils_web.clients.sms_signin import SmsSigninClient
from conseils_web.context import SiteContext
from conseils_web.services import ApiError, ServiceUnavailable
from conseils_web.signin import Account

log = get_logger(__name__)

_SEPARATORS = re.compile(r"[\s.\-()]")
SENT_MESSAGE = (
    "Si ce numéro correspond à un compte, un SMS avec un lien de connexion vient de lui être envoyé. "
    "Il est valable 10 minutes et ne sert qu'une fois."
)
MAX_LINK = 100
"""Longest sign-in link put in an SMS (one segment with its words)."""


def phone_number(typed: str) -> str | None:
    """The typed text as a phone number (E.164, French by default: '06 12 34 56 78' is
    '+33612345678'), or None when it is not one."""
    digits = _SEPARATORS.sub("", typed.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"0[1-9][0-9]{8}", digits):
        digits = "+33" + digits[1:]
    if re.fullmatch(r"\+[1-9][0-9]{7,14}", digits):
        return digits
    return None


async def send_sms_link(ctx: SiteContext, phone: str, next_path: str) -> None:
    """Her link by SMS, for each active member with that number (none: nothing happens)."""
    client = SmsSigninClient(ctx.notifications._transport)
    try:
        for member_id in await client.members_with_phone(ctx.site_token(), phone):
            member = await ctx.registry.member(ctx.site_token(), member_id)
            if member.left_on is not None or member.council_id is None:
                continue
            role: Role = "coordinator" if member.role == "coordinator" else "councillor"
            token = await ctx.store.issue(
                Account(subject=str(member.id), role=role, council_id=member.council_id)
            )
            link = f"{ctx.public_base_url}/connexion/{token}"
            with_next = f"{link}?suite={quote(next_path, safe='/')}" if next_path else link
            answer = await client.send(
                ctx.site_token(), member.id, with_next if len(with_next) <= MAX_LINK else link
            )
            if not answer.sent:
                log.warning("sign-in sms not sent", reason=answer.reason)
    except (ApiError, ServiceUnavailable, OSError) as error:
        log.warning("sign-in sms not sent", error=type(error).__name__)
