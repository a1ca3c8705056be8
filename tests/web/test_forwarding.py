"""The public links of the notification mails (unsubscribe, calendar feeds)
reach the notifications service through the site; nothing else does, and the
site's cookies never leave it."""

from __future__ import annotations

from pathlib import Path

import httpx

from conseils_web.security import SESSION_COOKIE
from tests.web.helpers import build_site, session_for


async def test_mail_links_are_forwarded_without_the_visitors_cookies(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def notifications(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="BEGIN:VCALENDAR", headers={"content-type": "text/calendar"})

    app = build_site(tmp_path, notifications)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        client.cookies.set(SESSION_COOKIE, session_for("councillor"))
        feed = await client.get("/notifications/feeds/members/jeton.ics")
        unsubscribe = await client.post("/notifications/unsubscribe/jeton")
        other = await client.get("/notifications/members/x/preferences")
        api = await client.get("/api/notifications/notifications/feeds/agenda.ics")
    assert feed.status_code == 200
    assert feed.text == "BEGIN:VCALENDAR"
    assert unsubscribe.status_code == 200
    assert other.status_code == 404
    assert api.status_code == 200
    assert [(r.method, str(r.url)) for r in seen] == [
        ("GET", "http://notifications.test/notifications/feeds/members/jeton.ics"),
        ("POST", "http://notifications.test/notifications/unsubscribe/jeton"),
        ("GET", "http://notifications.test/notifications/feeds/agenda.ics"),
    ]
    assert all("cookie" not in r.headers for r in seen)
