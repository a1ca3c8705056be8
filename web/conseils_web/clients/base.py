"""What the three typed clients share: the endpoint description (method, path, request and
response models, checked against the committed OpenAPI documents by tests/web), who a call is
made for (`Caller`), and the call itself through the site's `Services` (a bearer token minted
for that one service and that one call, French error details)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter

from conseils_runtime.auth import Role, issue_token
from conseils_web.services import Services

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who the site calls a service for: the signed-in person (ids and role, from her server-side
    checked session) or the site itself. The browser's cookie never leaves the site: each call
    carries a token minted for the service called (audience = its name), valid five minutes."""

    secret: str
    subject: str = ""
    role: Role | None = None
    council_id: uuid.UUID | None = None

    def token_for(self, service: str) -> str:
        """A fresh token for `service` ("" for nobody: the service answers 401)."""
        if self.role is None or not self.subject:
            return ""
        return issue_token(
            self.secret, subject=self.subject, role=self.role, council_id=self.council_id, audience=service
        )


class ApiModel(BaseModel):
    """A service's answer as the site reads it: the fields the site uses, typed; any other
    field kept as it came (the templates show some of them)."""

    model_config = ConfigDict(extra="allow")


class RequestModel(BaseModel):
    """A body the site sends: only the fields of the service's input model."""

    model_config = ConfigDict(extra="forbid")


class Download(BaseModel):
    """A file a service answers (document, bilan, personal data), passed on as it is."""

    content: bytes
    media_type: str | None = None
    disposition: str | None = None
    etag: str | None = None
    not_modified: bool = False
    """304: the service says the copy the site holds (`etag` it sent) is still the one."""


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One endpoint of a service's API as the site calls it.

    `response` parses the JSON answer (a `Download` when `raw`, None for "204 No Content");
    `body` is the JSON request model, `query` the query parameters, `form` the multipart fields."""

    method: str
    path: str
    response: TypeAdapter[T]
    body: type[RequestModel] | None = None
    query: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    raw: bool = False

    def parse(self, response: httpx.Response) -> T:
        if self.raw:
            return self.response.validate_python(
                {
                    "content": response.content,
                    "media_type": response.headers.get("content-type"),
                    "disposition": response.headers.get("content-disposition"),
                    "etag": response.headers.get("etag"),
                    "not_modified": response.status_code == 304,
                }
            )
        if not response.content:
            return self.response.validate_python(None)
        # straight from the bytes (pydantic-core's parser): a national list is parsed about
        # twice as fast as through json.loads and then validate_python
        return self.response.validate_json(response.content)


NO_CONTENT: TypeAdapter[None] = TypeAdapter(type(None))
DOWNLOAD: TypeAdapter[Download] = TypeAdapter(Download)


class ServiceClient:
    """The typed client of one service: one method per endpoint the site uses."""

    service: ClassVar[str]

    def __init__(self, transport: Services) -> None:
        self._transport = transport

    async def call(
        self,
        endpoint: Endpoint[T],
        caller: Caller,
        *,
        path: Mapping[str, object] | None = None,
        body: RequestModel | None = None,
        query: Mapping[str, str | int] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        kwargs: dict[str, Any] = {}
        if headers:
            kwargs["headers"] = dict(headers)
        if body is not None:
            kwargs["json"] = body.model_dump(mode="json", exclude_unset=True)
        if query is not None:
            kwargs["params"] = dict(query)
        if files is not None:
            kwargs["files"] = dict(files)
        if form is not None:
            kwargs["data"] = dict(form)
        url = endpoint.path.format(**{name: str(value) for name, value in (path or {}).items()})
        token = caller.token_for(self.service)  # minted per call, for this service only
        response = await self._transport.request(self.service, endpoint.method, url, token, **kwargs)
        return endpoint.parse(response)


def endpoints(client: type[ServiceClient]) -> list[Endpoint[Any]]:
    """The endpoints a client class declares (its class attributes)."""
    return [value for value in vars(client).values() if isinstance(value, Endpoint)]
