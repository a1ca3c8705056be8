"""Every page a person reaches on the real platform reads as French (issue 14, item 8).

The real platform (Kafka, the three services, the site, real SMTP) with a few instances in
every state; a councillor, a coordinator, a staff member and the operator sign in by their
emailed links, then every page reachable by following the site's own links is read the way a
person reads it (visible text only) and checked by `tests.support.french_text.problems`: no ISO
date, no "None", no raw status code, no English word, no double punctuation, no "(s)" plural,
no "1 observateur·rices". The crawl also proves that a good part of the templates was rendered,
so the check cannot silently pass on a site that shows nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import deque
from html import unescape
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import httpx
import jinja2
import pytest

from conseils_web.security import CSRF_COOKIE
from tests.browser.platform_helpers import RunningPlatform, running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening
from tests.support.french_text import problems, visible

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

PEOPLE = {
    "conseillère": "fatou.sow@demo.example",
    "coordinatrice": "aicha.diallo@demo.example",
    "équipe": "agent.territoire@plainecommune.example",
    "exploitation": "exploitation@plainecommune.example",
}
# Links not to follow: they end the session, act, download a file (checked elsewhere), or show
# a raw email as the demo's mail catcher received it (its headers are the wire format).
SKIP = re.compile(
    r"^/(deconnexion|action/|connexion/|courriels/|docs|openapi|asyncapi|metrics|schemas/)|"
    r"\.(ics|csv|ods|json|jsonld|pdf|xml)$|/(telecharger|documents?/[^/]+/fichier)"
)
MAX_PAGES = 160
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "conseils_web" / "templates"


def csrf(site: httpx.AsyncClient, secret: str) -> str:
    seed = site.cookies[CSRF_COOKIE]
    return hmac.new(secret.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


async def sign_in(site: httpx.AsyncClient, platform: RunningPlatform, address: str) -> None:
    await site.get("/connexion")
    asked = time.time() - 1
    sent = await site.post("/connexion", data={"email": address, "csrf": csrf(site, platform.auth_secret)})
    assert sent.status_code == 200, sent.text[:300]
    link = (await platform.signin_link(address, after=asked)).removeprefix(platform.url)
    await site.get(link)
    done = await site.post(link, data={"csrf": csrf(site, platform.auth_secret)})
    assert done.status_code == 303, done.text[:300]


def links(html: str) -> list[str]:
    found = []
    for raw in re.findall(r'href="([^"]+)"', html):
        href = urldefrag(unescape(raw)).url
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        found.append(href)
    return found


async def crawl(site: httpx.AsyncClient, start: list[str]) -> dict[str, list[str]]:
    """Each visited page's problems (an empty list when it reads well)."""
    seen: set[str] = set(start)
    queue = deque(start)
    report: dict[str, list[str]] = {}
    while queue and len(report) < MAX_PAGES:
        path = queue.popleft()
        response = await site.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        # A file shown as it downloads (Mes données' JSON) is a format, not French text.
        text = re.sub(r'<pre[^>]*data-format="json".*?</pre>', " ", response.text, flags=re.S)
        report[path] = problems(visible(text))
        for link in links(response.text):
            key = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", link)  # one page per kind and id shape
            if link not in seen and not SKIP.search(link) and sum(key == k for k in _kinds(seen)) < 3:
                seen.add(link)
                queue.append(link)
    return report


def _kinds(paths: set[str]) -> list[str]:
    return [re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", p) for p in paths]


async def test_every_page_reached_by_its_links_reads_as_french(
    tmp_path: Path, kafka_bootstrap: str, territory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: set[str] = set()
    get_template = jinja2.Environment.get_template

    def recording(self: jinja2.Environment, name: str | jinja2.Template, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if isinstance(name, str):
            rendered.add(name)
        return get_template(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "get_template", recording)
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        comite = await services.schedule(
            instance_type="comite-technique",
            title="Comité technique — Emploi",
            theme="emploi",
            city_code="93066",
            location="Maison de l'emploi, Saint-Denis",
            starts_at=tuesday_evening(30),
        )
        cancelled = await services.schedule(
            instance_type="comite-technique",
            title="Comité technique — Santé",
            theme="sante",
            city_code="93066",
            location="Centre municipal de santé, Saint-Denis",
            starts_at=tuesday_evening(40),
        )
        await services.cancel(cancelled, "Salle indisponible")
        await services.outcome(
            kind="proposal",
            text="Ouvrir la maison de quartier le samedi",
            made_by="Conseil citoyen Franc-Moisin",
            made_on="2026-10-15",
        )
        found: dict[str, dict[str, list[str]]] = {}
        for who, address in PEOPLE.items():
            async with httpx.AsyncClient(base_url=platform.url, timeout=30) as site:
                await sign_in(site, platform, address)
                found[who] = await crawl(site, ["/", f"/instances/{comite}", f"/instances/{cancelled}"])
        async with httpx.AsyncClient(base_url=platform.url, timeout=30) as visitor:
            found["public"] = await crawl(visitor, ["/", "/connexion", "/mentions-legales"])

    visited = sum(len(pages) for pages in found.values())
    assert visited >= 40, f"only {visited} pages reached: { ({w: sorted(p) for w, p in found.items()}) }"
    site_templates = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")}
    shown = site_templates & rendered
    assert len(shown) >= len(site_templates) // 2, (
        f"templates never rendered: {sorted(site_templates - shown)}"
    )
    bad = {who: {path: issues for path, issues in pages.items() if issues} for who, pages in found.items()}
    bad = {who: pages for who, pages in bad.items() if pages}
    assert bad == {}, "\n".join(
        f"{who} {path}: {issue}"
        for who, pages in bad.items()
        for path, issues in pages.items()
        for issue in issues
    )
