"""HTTP conventions shared by the services: French error bodies, no stack
traces, security headers.

Every error body is `{"detail": "<message en français>", "code": "<stable code>"}`
(validation errors add `"errors": [{"champ": ..., "message": ...}]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conseils_runtime.errors import Conflict, DomainError, Forbidden, NotFound
from conseils_runtime.logs import describe_error, get_logger

__all__ = [
    "BodySizeLimit",
    "Conflict",
    "DomainError",
    "Forbidden",
    "NotFound",
    "ResponseHeaders",
    "install_error_handlers",
    "limit_request_bodies",
]

log = get_logger(__name__)


_STATUS_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Vous n'avez pas le droit de faire cette action.",
    404: "Page ou ressource introuvable.",
    405: "Méthode non autorisée.",
    413: "Fichier ou requête trop volumineux.",
    415: "Type de contenu non pris en charge.",
    429: "Trop de demandes : réessayez dans un moment.",
}

_VALIDATION_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "uuid_parsing": "identifiant invalide",
    "datetime_parsing": "date et heure invalides",
    "datetime_from_date_parsing": "date et heure invalides",
    "date_parsing": "date invalide",
    "int_parsing": "nombre entier attendu",
    "literal_error": "valeur non autorisée",
    "enum": "valeur non autorisée",
    "json_invalid": "JSON invalide",
    "extra_forbidden": "champ inconnu",
    "string_pattern_mismatch": "format invalide",
    "value_error": "valeur invalide",
}


def french_validation_errors(errors: Any) -> list[dict[str, str]]:
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        message = _VALIDATION_MESSAGES.get(error.get("type", ""), "valeur invalide")
        if error.get("type") == "value_error":
            message = str(error.get("msg", message)).removeprefix("Value error, ")
        result.append({"champ": ".".join(location) or "requête", "message": message})
    return result


_VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "description": "Données refusées : un message en français et le détail par champ.",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "title": "Message"},
        "code": {"type": "string", "title": "Code stable"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["champ", "message"],
                "properties": {"champ": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _document_error_format(app: FastAPI) -> None:
    """FastAPI documents its own 422 body; ours is the French one above."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = _VALIDATION_ERROR_SCHEMA
            schemas.pop("ValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class BodySizeLimit:
    """Refuse a request body over `max_bytes` with a French 413, before anything reads it whole.

    Pure ASGI (no buffering): the declared Content-Length is checked first, and a chunked body
    is counted as it streams in; past the limit the app is told the client went away (it stops
    reading) and the answer is the 413, so six anonymous 50 MB requests cannot fill the memory.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Any:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started
            if exceeded:
                return  # the app's own answer to a cut body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not (exceeded and not started):
                raise
        if exceeded and not started:
            await self._refuse(send)

    def _message(self) -> str:
        megabytes = self.max_bytes / (1024 * 1024)
        if megabytes >= 1:
            return f"Requête trop volumineuse : {megabytes:.0f} Mo au plus."
        return f"Requête trop volumineuse : {self.max_bytes // 1024} Ko au plus."

    async def _refuse(self, send: Any) -> None:
        body = JSONResponse({"detail": self._message(), "code": "http_413"}, status_code=413)
        await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
        await send({"type": "http.response.body", "body": body.body})


def limit_request_bodies(app: FastAPI, max_bytes: int) -> None:
    """Every service says how big a request may be (its largest legitimate upload, plus a margin)."""
    app.add_middleware(BodySizeLimit, max_bytes=max_bytes)


def install_error_handlers(app: FastAPI) -> None:
    _document_error_format(app)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse({"detail": error.message, "code": error.code}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = french_validation_errors(error.errors())
        summary = "; ".join(f"{e['champ']} : {e['message']}" for e in errors)
        return JSONResponse(
            {"detail": f"Données invalides — {summary}", "code": "donnees_invalides", "errors": errors},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) and not error.detail.isascii() else None
        message = detail or _STATUS_MESSAGES.get(error.status_code, "Erreur.")
        return JSONResponse(
            {"detail": message, "code": f"http_{error.status_code}"},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", path=request.url.path, error=describe_error(error))
        return JSONResponse(
            {"detail": "Erreur interne : l'équipe technique a été prévenue.", "code": "erreur_interne"},
            status_code=500,
        )

    app.add_middleware(ResponseHeaders, defaults=lambda _scope: SERVICE_SECURITY_HEADERS)


SERVICE_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)

HeadersOf = Callable[[Scope], Iterable[tuple[str, str]]]


class ResponseHeaders:
    """Adds headers to every HTTP response: each of ``defaults(scope)`` unless the response has it
    already, then each of ``appended(scope)`` (a ``Set-Cookie``). Both are asked when the response
    starts, after the endpoint ran (so they may read what it left in ``scope["state"]``).

    A plain ASGI middleware: the same headers as a ``@app.middleware("http")`` function setting
    them with ``response.headers.setdefault``, without the task, the memory streams and the body
    re-streamed chunk by chunk that Starlette's ``BaseHTTPMiddleware`` costs on every request."""

    def __init__(self, app: ASGIApp, defaults: HeadersOf, appended: HeadersOf | None = None) -> None:
        self.app = app
        self.defaults = defaults
        self.appended = appended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.defaults(scope):
                    headers.setdefault(name, value)
                for name, value in self.appended(scope) if self.appended is not None else ():
                    headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
