"""The transport of the site's calls to the three services' HTTP APIs, with the signed-in
person's token (or a short-lived token of the site itself). The pages do not use it: they
call the typed clients of `conseils_web.clients`, which do."""

from __future__ import annotations

from typing import Any

import httpx


class ServiceUnavailable(Exception):
    """A service did not answer."""


class ApiError(Exception):
    """A service refused a request; `detail` is its French message."""

    def __init__(self, status_code: int, detail: str, body: Any = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.body = body


def _detail(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return "La demande n'a pas abouti.", None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI validation errors
        messages = [str(item.get("msg", "")) for item in detail if isinstance(item, dict)]
        return "Données refusées : " + " ; ".join(messages), body
    return (str(detail) if detail else "La demande n'a pas abouti."), body


class Services:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = urls

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        **kwargs: Any,
    ) -> httpx.Response:
        base = self.urls.get(service)
        if base is None:
            raise ServiceUnavailable(service)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = await self.client.request(method, f"{base}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(service) from error
        if response.status_code >= 400:
            detail, body = _detail(response)
            raise ApiError(response.status_code, detail, body)
        return response
