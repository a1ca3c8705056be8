"""Sign-in by emailed link: the same answer for known and unknown addresses,
a single-use link stored hashed and valid ten minutes, rate limits, secure
cookies, and the link travelling by SMTP only (read back from a real SMTP
server)."""

from __future__ import annotations

import asyncio
import email.header
import email.policy
import hashlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import dkim.dknewkey  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI

from conseils_runtime.auth import verify_token
from conseils_runtime.mail import DkimKey, wire_bytes
from conseils_web.auth_pages import signin_mail
from conseils_web.mailbox import MailCatcher, read_mailbox
from conseils_web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web.helpers import COUNCIL_ID, CSRF_SEED, MEMBER_ID, SECRET, STAFF_ID, build_site, csrf_for

KNOWN = "aicha.diallo@demo.example"
STAFF = "agent.territoire@plainecommune.example"


def registry(request: httpx.Request) -> httpx.Response:
    # the site's own look-up: a token for the registry alone, with a role that may read addresses
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert verify_token(SECRET, token, audience="registry").role == "staff"
    if request.url.path == "/staff-accounts":
        return httpx.Response(200, json=[{"id": str(STAFF_ID), "email": STAFF, "role": "staff"}])
    if request.url.path == "/members":
        return httpx.Response(
            200,
            json=[
                {
                    "id": str(MEMBER_ID),
                    "email": KNOWN.upper(),
                    "role": "coordinator",
                    "council_id": str(COUNCIL_ID),
                },
                {
                    "id": str(STAFF_ID),
                    "email": "partie@demo.example",
                    "role": "member",
                    "council_id": str(COUNCIL_ID),
                    "left_on": "2026-01-01",
                },
            ],
        )
    return httpx.Response(404, json={"detail": "?"})


class Site:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, mail_dir: Path, data_dir: Path) -> None:
        self.app, self.client, self.mail_dir, self.data_dir = app, client, mail_dir, data_dir

    async def ask(self, address: str, suite: str = "") -> httpx.Response:
        return await self.client.post(
            "/connexion", data={"email": address, "csrf": csrf_for(), "suite": suite}
        )

    async def mails_to(self, address: str, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            mails = [m for m in read_mailbox(self.mail_dir) if address in m.recipients]
            if len(mails) >= count or time.monotonic() > deadline:
                return [m.part("text/plain") or "" for m in mails]
            await asyncio.sleep(0.05)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    app = build_site(tmp_path, registry, smtp_port=catcher.port)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)), base_url="http://test"
            ) as client,
        ):
            client.cookies.set(CSRF_COOKIE, CSRF_SEED)
            yield Site(app, client, tmp_path / "mail", tmp_path)
    finally:
        catcher.stop()


def link_in(text: str) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/connexion/[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_accounts_get_a_mail(
    site: Site,
) -> None:
    known, unknown, former = (
        await site.ask(KNOWN),
        await site.ask("personne@nulle-part.example"),
        await site.ask("partie@demo.example"),
    )
    assert known.status_code == unknown.status_code == former.status_code == 200
    # the same page but for the address typed, which the demo's mailbox link echoes back
    typed = [(known, KNOWN), (unknown, "personne@nulle-part.example"), (former, "partie@demo.example")]
    pages = {page.text.replace(quote(address), "ADRESSE") for page, address in typed}
    assert len(pages) == 1, pages
    assert "Si cette adresse correspond à un compte" in known.text
    assert len(await site.mails_to(KNOWN, 1)) == 1
    await asyncio.sleep(0.3)
    assert [m.recipients for m in read_mailbox(site.mail_dir)] == [KNOWN]


async def test_the_link_is_single_use_hashed_and_sets_a_secure_session(site: Site) -> None:
    await site.ask(KNOWN, suite="/mes-inscriptions")
    [text] = await site.mails_to(KNOWN, 1)
    path = link_in(text)
    token = path.rsplit("/", 1)[1]

    with sqlite3.connect(site.data_dir / "site.db") as db:
        rows = db.execute(
            "select token_hash, subject, role, expires_at - created_at from signin_links"
        ).fetchall()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), str(MEMBER_ID), "coordinator", 600.0)]
    assert token.encode() not in (site.data_dir / "site.db").read_bytes()

    for _ in range(2):  # a mail scanner opening the link does not use it
        page = await site.client.get(path, params={"suite": "/mes-inscriptions"})
        assert page.status_code == 200
        assert "Me connecter" in page.text

    used = await site.client.post(path, data={"csrf": csrf_for(), "suite": "/mes-inscriptions"})
    assert used.status_code == 303
    assert used.headers["location"] == "/mes-inscriptions"
    cookie = next(
        v for k, v in used.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    principal = verify_token(SECRET, cookie.split(";")[0].split("=", 1)[1].strip('"'), audience="site")
    assert (principal.subject, principal.role, principal.council_id) == (
        str(MEMBER_ID),
        "coordinator",
        COUNCIL_ID,
    )

    again = await site.client.post(path, data={"csrf": csrf_for()})
    assert again.status_code == 410
    assert "Lien expiré ou déjà utilisé" in again.text
    assert (await site.client.get(path)).status_code == 410


async def test_staff_land_on_their_instances_and_an_outside_next_page_is_ignored(site: Site) -> None:
    await site.ask(STAFF, suite="//ailleurs.example/piege")
    [text] = await site.mails_to(STAFF, 1)
    assert "ailleurs" not in text
    used = await site.client.post(
        link_in(text), data={"csrf": csrf_for(), "suite": "https://ailleurs.example"}
    )
    assert used.headers["location"] == "/equipe/instances"


async def test_an_expired_link_is_refused(site: Site) -> None:
    await site.ask(KNOWN)
    [text] = await site.mails_to(KNOWN, 1)
    store = site.app.state.site.store
    store.clock = lambda: time.time() + 601
    response = await site.client.post(link_in(text), data={"csrf": csrf_for()})
    assert response.status_code == 410
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_link_requests_are_rate_limited_per_address_and_per_ip(site: Site) -> None:
    answers = [await site.ask(KNOWN) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Trop de demandes" in answers[3].text
    assert len(await site.mails_to(KNOWN, 4, timeout=2)) == 3
    statuses = [(await site.ask(f"inconnu{i}@demo.example")).status_code for i in range(40)]
    assert statuses.count(200) == 30 - 4  # 30 requests per IP and quarter of an hour, 4 used above
    assert set(statuses[26:]) == {429}


async def test_a_malformed_address_gets_an_error_summary_linked_to_the_field(site: Site) -> None:
    response = await site.ask("pas-une-adresse")
    assert response.status_code == 400
    assert 'href="#email"' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_session_cookie_is_secure_when_the_site_is_on_https(tmp_path: Path) -> None:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    app = build_site(tmp_path, registry, smtp_port=catcher.port, public_base_url="https://conseils.example")
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as client,
        ):
            client.cookies.set(CSRF_COOKIE, CSRF_SEED)
            await client.post("/connexion", data={"email": KNOWN, "csrf": csrf_for()})
            site = Site(app, client, tmp_path / "mail", tmp_path)
            [text] = await site.mails_to(KNOWN, 1)
            path = re.search(r"https://conseils\.example(/connexion/\S+)", text)
            assert path
            used = await client.post(path.group(1), data={"csrf": csrf_for()})
            assert "Secure" in used.headers["set-cookie"]
    finally:
        catcher.stop()


async def test_signing_out_removes_the_session(site: Site) -> None:
    await site.ask(KNOWN)
    [text] = await site.mails_to(KNOWN, 1)
    await site.client.post(link_in(text), data={"csrf": csrf_for()})
    response = await site.client.post("/deconnexion", data={"csrf": csrf_for()})
    assert response.status_code == 303
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]


async def test_the_sign_in_mail_has_date_message_id_a_strict_subject_and_a_dkim_signature(
    site: Site, tmp_path: Path
) -> None:
    """Issue 16 item 3: sign-in mails had no Date and no Message-ID (RFC 5322 requires Date). Read as a
    strict client reads them: the raw bytes received by the SMTP server."""
    await site.ask(KNOWN)
    await site.mails_to(KNOWN, 1)
    [raw_file] = sorted(site.mail_dir.glob("*.eml"))
    raw = raw_file.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    names = [line.split(b":", 1)[0].lower() for line in head.splitlines() if line[:1] not in (b" ", b"\t")]
    assert b"date" in names
    assert b"message-id" in names
    assert max(len(line) for line in raw.splitlines()) <= 998
    assert all(byte < 128 for byte in raw)  # 7-bit: relays keep the signed bytes
    subject = next(
        line
        for line in BytesParser(policy=email.policy.default).parsebytes(raw).raw_items()
        if line[0] == "Subject"
    )[1]
    decoded = "".join(
        part.decode(charset or "ascii") if isinstance(part, bytes) else part
        for part, charset in email.header.decode_header(str(subject).replace("\r\n", "").replace("\n", ""))
    )
    assert decoded == "Votre lien de connexion — conseils Plaine Commune"

    folder = tmp_path / "dkim"
    folder.mkdir()
    dkim.dknewkey.GenRSAKeys(str(folder / "key.pem"), verbose=False)
    dkim.dknewkey.ExtractRSADnsPublicKey(str(folder / "key.pem"), str(folder / "record.txt"), verbose=False)
    key = DkimKey.load(folder / "key.pem", selector="s1", domain="plainecommune.example")
    context = SimpleNamespace(territory=site.app.state.site.territory, dkim_key=key)
    signed = wire_bytes(signin_mail(context, KNOWN, "https://conseils.example/connexion/abc"))  # type: ignore[arg-type]
    record = (folder / "record.txt").read_bytes()

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name.decode().rstrip(".") == "s1._domainkey.plainecommune.example" else None

    assert dkim.verify(signed, dnsfunc=lookup)
