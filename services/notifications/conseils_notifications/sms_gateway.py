"""Adapter to Kannel's HTTP `sendsms` interface (smsbox): GSM-7 text (coding=0), one message,
a delivery report asked for each (dlr-mask, dlr-url). Kannel reaches the operators over SMPP;
in tests it reaches a fake SMSC. A phone number never appears in a log line or an error."""

from __future__ import annotations

import httpx

from conseils_notifications.sms_rules import mask_phone
from conseils_notifications.transport import PermanentFailure, TemporaryFailure
from conseils_runtime.logs import get_logger

log = get_logger(__name__)

DLR_MASK = 1 | 2 | 16
"""Delivered to the phone, undeliverable, rejected by the SMSC: the final states."""


class KannelGateway:
    """`send(phone, text, dlr_url=...)`; TemporaryFailure when Kannel is away or busy (retried
    with backoff), PermanentFailure when it refuses the message (invalid number...)."""

    reports_delivery = True

    def __init__(
        self,
        sendsms_url: str,
        *,
        username: str,
        password: str,
        sender: str,
        smsc_id: str = "",
        timeout: float = 10.0,
    ) -> None:
        self._url = sendsms_url
        self._auth = {"username": username, "password": password}
        self._sender = sender
        self._smsc_id = smsc_id
        self._client = httpx.AsyncClient(timeout=timeout)
        self.sent = 0

    async def send(self, phone: str, text: str, *, dlr_url: str | None = None) -> None:
        params = {
            **self._auth,
            "to": phone,
            "from": self._sender,
            "text": text,
            "coding": "0",
            "charset": "UTF-8",
        }
        if self._smsc_id:
            params["smsc"] = self._smsc_id
        if dlr_url:
            params["dlr-mask"] = str(DLR_MASK)
            params["dlr-url"] = dlr_url
        try:
            response = await self._client.get(self._url, params=params)
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"passerelle SMS injoignable : {type(error).__name__}") from None
        answer = response.text.strip()[:200]
        if response.status_code in (200, 202):
            self.sent += 1
            log.info("sms accepted by kannel", to=mask_phone(phone), septets=len(text), answer=answer)
            return
        log.warning("sms refused by kannel", to=mask_phone(phone), status=response.status_code)
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise TemporaryFailure(f"passerelle SMS : {response.status_code} {answer}")
        raise PermanentFailure(f"passerelle SMS : {response.status_code} {answer}")

    async def close(self) -> None:
        await self._client.aclose()
