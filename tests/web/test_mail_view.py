"""The demo mailbox shows a mail as a mail client would (conseils_web.mail_view): the formatted
version's links leave the sandboxed frame, the text version's addresses are links (escaped),
the date is French local time."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import httpx

from conseils_runtime.territory import default_territory_path, load_territory
from conseils_web.mail_view import MAIL_FRAME_SANDBOX, linked_text, mail_date, top_level_links
from conseils_web.mailbox import MailCatcher
from conseils_web.site import ServiceEndpoint, create_site

LINK = "http://127.0.0.1:8000/connexion/AbC-12_x?suite=/agenda&x=1"


def test_links_of_the_formatted_version_open_at_the_top_level() -> None:
    assert top_level_links('<p><a href="/x">x</a></p>') == '<base target="_top"><p><a href="/x">x</a></p>'
    document = '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head><body>x</body></html>'
    assert top_level_links(document) == document.replace("<head>", '<head><base target="_top">')
    assert top_level_links("<!doctype html><p>x</p>") == '<!doctype html><base target="_top"><p>x</p>'
    assert top_level_links('<HTML class="m"><p>x</p>') == '<HTML class="m"><base target="_top"><p>x</p>'


def test_the_frame_never_lets_the_mail_run_scripts_or_forms() -> None:
    tokens = MAIL_FRAME_SANDBOX.split()
    assert "allow-top-navigation-by-user-activation" in tokens
    assert "allow-top-navigation" not in tokens  # only a click navigates the page
    assert not {"allow-scripts", "allow-forms", "allow-same-origin"} & set(tokens)


def test_addresses_of_the_text_version_are_escaped_links() -> None:
    text = f"Ouvrez ce lien :\n{LINK}.\n<script>alert(1)</script> (voir https://a.example/p)"
    shown = str(linked_text(text))
    escaped = LINK.replace("&", "&amp;")
    assert f'<a href="{escaped}">{escaped}</a>.' in shown
    assert '(voir <a href="https://a.example/p">https://a.example/p</a>)' in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script>" not in shown
    assert str(linked_text("javascript:alert(1) ftp://x")) == "javascript:alert(1) ftp://x"
    assert str(linked_text('https://a.example/"onmouseover=x')) == (
        '<a href="https://a.example/">https://a.example/</a>&#34;onmouseover=x'
    )


def test_the_date_is_french_local_time() -> None:
    def when(moment: object) -> str:
        return f"local {moment}"

    assert mail_date("Wed, 02 Dec 2026 04:46:36 +0000", when) == "local 2026-12-02 04:46:36+00:00"
    assert mail_date("pas une date", when) == "pas une date"
    assert mail_date(None, when) == ""


async def test_the_mail_page_shows_links_and_a_french_date(tmp_path: Path) -> None:
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    try:
        message = EmailMessage()
        message["From"] = "conseils@plainecommune.example"
        message["To"] = "sophie.nguyen@demo.example"
        message["Subject"] = "Votre lien de connexion"
        message["Date"] = "Wed, 02 Dec 2026 04:46:36 +0000"
        message.set_content(f"Bonjour,\n{LINK}\n")
        message.add_alternative(f'<p><a href="{LINK}">Me connecter</a></p>', subtype="html")
        with smtplib.SMTP("127.0.0.1", catcher.port) as client:
            client.send_message(message)
    finally:
        catcher.stop()
    app = create_site(
        load_territory(default_territory_path()),
        [ServiceEndpoint("registry", "Registre", "http://127.0.0.1:9")],
        tmp_path / "mail",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as site:
        listing = await site.get("/courriels")
        mail_id = listing.text.split('href="/courriels/')[1].split('"')[0]
        page = (await site.get(f"/courriels/{mail_id}")).text
    escaped = LINK.replace("&", "&amp;")
    assert f'<pre>Bonjour,\r\n<a href="{escaped}">{escaped}</a>\r\n</pre>' in page
    assert f'sandbox="{MAIL_FRAME_SANDBOX}"' in page
    assert 'srcdoc="&lt;base target=&#34;_top&#34;&gt;&lt;p&gt;' in page
    assert "mercredi 2\u00a0décembre\u00a02026 à 5\u00a0h\u00a046" in page  # Europe/Paris, UTC+1
    assert "+0000" not in page
