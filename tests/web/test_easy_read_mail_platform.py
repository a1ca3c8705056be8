"""The dossier email on the real platform (Kafka, the three services, real SMTP): a dossier
published with its easy-to-read summary and audio offers « la version facile à lire » first,
summary before audio, each a link to the site's document; a dossier without one says nothing
of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.platform_helpers import running_platform
from tests.browser.platform_services import PlatformServices, tuesday_evening
from tests.web.test_action_links_platform import FATOU

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 50


async def dossier(services: PlatformServices, instance_id: str, easy: bool) -> dict[str, str]:
    """Deposit the dossier (and its easy-to-read versions), publish it; filename -> id."""
    files = [("dossier.txt", b"Ordre du jour.", "text/plain", "dossier")]
    if easy:
        files += [
            ("ecouter.mp3", MP3, "audio/mpeg", "easy_read_audio"),
            ("facile-a-lire.txt", "Le comité parle d'emploi.".encode(), "text/plain", "easy_read"),
        ]
    ids = {}
    async with services.service("meetings") as meetings:
        for name, content, media, kind in files:
            sent = await meetings.post(
                f"/instances/{instance_id}/documents",
                files={"file": (name, content, media)},
                data={"kind": kind},
            )
            assert sent.status_code == 201, sent.text
            ids[name] = sent.json()["id"]
        published = await meetings.post(f"/instances/{instance_id}/dossier/publish")
        assert published.status_code == 200, published.text
    return ids


async def test_the_dossier_email_offers_the_easy_read_version_first(
    tmp_path: Path, kafka_bootstrap: str, territory: str
) -> None:
    async with running_platform(tmp_path, kafka_bootstrap, territory) as platform:
        services = PlatformServices(platform)
        made = {}
        for easy in (True, False):
            made[easy] = await services.schedule(
                instance_type="comite-technique",
                title=f"Comité technique — Emploi ({'facile' if easy else 'sans'})",
                theme="emploi",
                city_code="93066",
                location="Maison de l'emploi, Saint-Denis",
                starts_at=tuesday_evening(30),
            )
        ids = await dossier(services, made[True], easy=True)
        await dossier(services, made[False], easy=False)
        for easy, instance_id in made.items():
            mail = await platform.wait_for_mail(
                FATOU,
                lambda m, i=instance_id: (
                    i in (m.part("text/plain") or "") and "Dossier disponible" in m.subject
                ),
            )
            text = mail.part("text/plain") or ""
            html = mail.part("text/html") or ""
            if not easy:
                assert "facile à lire" not in text
                assert "facile à lire" not in html
                continue
            summary = f"{platform.url}/documents/{ids['facile-a-lire.txt']}"
            audio = f"{platform.url}/documents/{ids['ecouter.mp3']}"
            assert text.index("La version facile à lire") < text.index(summary) < text.index(audio)
            assert text.index(audio) < text.index("Le dossier de l'instance suivante est disponible")
            assert html.index(summary) < html.index(audio) < html.index("Le dossier de l'instance")
