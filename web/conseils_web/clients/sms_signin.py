"""Sign-in by SMS as the site uses it (notifications service, the site's own staff-role
token): who has a number (member ids only), and her sign-in link texted to her."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class MembersWithPhone(ApiModel):
    member_ids: list[uuid.UUID]


class SigninSms(ApiModel):
    sent: bool
    reason: str | None = None


class PhoneIn(RequestModel):
    phone: str


class SigninSmsIn(RequestModel):
    member_id: uuid.UUID
    link: str


class SmsSigninClient(ServiceClient):
    service = "notifications"

    LOOKUP = Endpoint(
        "POST", "/notifications/sms/sign-in/lookup", TypeAdapter(MembersWithPhone), body=PhoneIn
    )
    SEND = Endpoint("POST", "/notifications/sms/sign-in", TypeAdapter(SigninSms), body=SigninSmsIn)

    async def members_with_phone(self, token: Caller, phone: str) -> list[uuid.UUID]:
        return (await self.call(self.LOOKUP, token, body=PhoneIn(phone=phone))).member_ids

    async def send(self, token: Caller, member_id: uuid.UUID, link: str) -> SigninSms:
        return await self.call(self.SEND, token, body=SigninSmsIn(member_id=member_id, link=link))
