"""Pages anyone may read, signed in or not: the legal notices a public deployment owes
(mentions légales, accessibilité, données personnelles) and the event contract's JSON
Schemas, served at the URI every record names in its `ce_dataschema` header."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import EVENT_TYPES, event_schema
from conseils_web.context import render, site

router = APIRouter()


def _legal(territory: TerritoryConfig) -> dict[str, Any]:
    legal = territory.legal
    return {
        "legal": legal,
        "publisher": legal.publisher or territory.territory.name,
        "contact": legal.contact_email or territory.mail.sender,
        "demo": territory.demo,
    }


@router.get("/mentions-legales", response_class=HTMLResponse)
async def legal_notice(request: Request) -> HTMLResponse:
    return render(
        request, "mentions-legales.html", title="Mentions légales", **_legal(site(request).territory)
    )


@router.get("/accessibilite", response_class=HTMLResponse)
async def accessibility(request: Request) -> HTMLResponse:
    return render(
        request,
        "accessibilite.html",
        title="Accessibilité",
        **_legal(site(request).territory),
    )


@router.get("/donnees-personnelles", response_class=HTMLResponse)
async def personal_data(request: Request) -> HTMLResponse:
    return render(
        request,
        "donnees-personnelles.html",
        title="Données personnelles",
        **_legal(site(request).territory),
    )


@router.get("/schemas/{filename}")
async def json_schema(filename: str) -> JSONResponse:
    """The JSON Schema of one event type, `<type>.json` (the `ce_dataschema` of its records)."""
    event_type = filename.removesuffix(".json")
    model = EVENT_TYPES.get(event_type)
    if model is None or not filename.endswith(".json"):
        raise StarletteHTTPException(404)
    return JSONResponse(
        event_schema(model),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/schemas/")
async def json_schemas(request: Request) -> JSONResponse:
    base = site(request).public_base_url
    return JSONResponse(
        {name: f"{base}/schemas/{name}.json" for name in sorted(EVENT_TYPES)},
        headers={"Access-Control-Allow-Origin": "*"},
    )
