"""The services' /docs (Swagger UI), /redoc and /asyncapi pages read offline (many territories'
intranets have no internet): their HTML names no outside host, their scripts and styles are
served by the service itself, and the AsyncAPI page is plain HTML rendered on the server with
every topic and message of the document and a link to the raw document."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from conseils_meetings.app import create_app as meetings_app
from conseils_meetings.settings import MeetingsSettings
from conseils_notifications.app import create_app as notifications_app
from conseils_notifications.settings import NotificationsSettings
from conseils_registry.app import create_app as registry_app
from conseils_registry.settings import RegistrySettings
from conseils_runtime.api_docs import bundled_assets

MEMORY = "sqlite+aiosqlite:///:memory:"
APPS: dict[str, Callable[[], FastAPI]] = {
    "registry": lambda: registry_app(RegistrySettings(database_url=MEMORY)),
    "meetings": lambda: meetings_app(MeetingsSettings(database_url=MEMORY)),
    "notifications": lambda: notifications_app(NotificationsSettings(database_url=MEMORY)),
}
# any absolute address in a src, href or url(): none may leave the service
OUTSIDE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path)


@pytest.mark.parametrize("service", sorted(APPS))
async def test_docs_and_redoc_name_no_outside_host(service: str) -> None:
    app = APPS[service]()
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = await get(app, path)
        assert page.status_code == 200, path
        assert not OUTSIDE.search(page.text), (path, OUTSIDE.search(page.text))
        assert "cdn.jsdelivr.net" not in page.text
        assert "unpkg.com" not in page.text
        assert "fonts.googleapis.com" not in page.text
    docs = (await get(app, "/docs")).text
    assert (bundled_assets() / "swagger-ui-bundle.js").is_file()  # the pinned fastapi-offline
    for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)""", docs + (await get(app, "/redoc")).text):
        served = await get(app, asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000 or asset.endswith(".png"), asset
    assert "/docs-static/swagger-ui-bundle.js" in docs


@pytest.mark.parametrize("service", sorted(APPS))
async def test_asyncapi_page_is_plain_html_with_every_topic_and_message(service: str) -> None:
    app = APPS[service]()
    page = await get(app, "/asyncapi")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not OUTSIDE.search(page.text), OUTSIDE.search(page.text)
    assert "<script" not in page.text
    assert '<html lang="fr">' in page.text
    assert '<a href="/asyncapi.json">/asyncapi.json</a>' in page.text
    document = (await get(app, "/asyncapi.json")).json()
    for channel in document["channels"].values():
        assert f"<code>{channel['address']}</code>" in page.text
    for name in document["components"]["messages"]:
        assert f'id="message-{name}"' in page.text
    for operation in document["operations"].values():
        assert f"<td>{operation['action']}</td>" in page.text
