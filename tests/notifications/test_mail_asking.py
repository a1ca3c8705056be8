"""Reminders that ask (issue 19): the J-1 reminder carries « Je viens » and « Je ne viens
plus » for her, signed; the other reminders do not carry « Je viens »; the presence prompt's
one button is a signed `present` link to the site's presence page; the dossier email offers
« la version facile à lire » first (summary before audio) when the dossier has one, nothing
otherwise."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from conseils_notifications.mail import render
from conseils_runtime.action_links import read_action
from tests.notifications.test_mail import MEMBER_ID, SETTINGS, SNAPSHOT

BEFORE = datetime(2026, 3, 1, tzinfo=UTC)
INSTANCE_ID = uuid.UUID(str(SNAPSHOT["instance_id"]))


def rendered(kind: str, reason: str, now: datetime = BEFORE, **context: Any) -> Any:
    return render(
        SETTINGS,
        kind=kind,
        category="reminder" if kind in ("reminder", "presence") else "dossier",
        reason=reason,
        context={"instance": SNAPSHOT, **context},
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        now=now,
    )


def links(text: str) -> dict[str, str]:
    return dict(re.findall(r"^- (Je viens|Je ne viens plus|Je participe|J'observe) : (\S+)$", text, re.M))


def test_the_j_minus_1_reminder_asks_whether_she_comes() -> None:
    mail = rendered("reminder", "registered", days_before=1)
    found = links(mail.text)
    assert list(found) == ["Je viens", "Je ne viens plus"]
    for label, action in (("Je viens", "confirm"), ("Je ne viens plus", "cancel")):
        url = found[label]
        assert url.startswith(f"{SETTINGS.public_base_url}/action/")
        assert url in mail.html
        link = read_action(SETTINGS.secret, url.rsplit("/", 1)[1], BEFORE)
        assert (link.member_id, link.instance_id, link.action) == (MEMBER_ID, INSTANCE_ID, action)
        assert link.expires_at == datetime.fromisoformat(str(SNAPSHOT["starts_at"]))


def test_the_j_minus_7_and_the_morning_reminders_do_not_ask() -> None:
    for days in (7, 0):
        assert list(links(rendered("reminder", "registered", days_before=days).text)) == ["Je ne viens plus"]


def test_the_presence_prompt_links_her_signed_presence_page() -> None:
    after = datetime.fromisoformat(str(SNAPSHOT["ends_at"])) + timedelta(hours=1)
    mail = rendered("presence", "registered", now=after, presence_url="https://ignored.example/")
    found = re.search(rf"^({re.escape(SETTINGS.public_base_url)}/presence/\S+)$", mail.text, re.M)
    assert found, mail.text
    assert "ignored.example" not in mail.text
    assert f'href="{found.group(1)}"' in mail.html
    link = read_action(SETTINGS.secret, found.group(1).rsplit("/", 1)[1], after)
    assert (link.member_id, link.instance_id, link.action) == (MEMBER_ID, INSTANCE_ID, "present")
    assert links(mail.text) == {}  # no « en deux clics » list: the answer is on the page


def test_the_dossier_offers_the_easy_read_version_first() -> None:
    audio, summary = uuid.uuid4(), uuid.uuid4()
    easy = [
        {"document_id": str(audio), "filename": "resume.mp3", "media_type": "audio/mpeg"},
        {"document_id": str(summary), "filename": "resume-falc.pdf", "media_type": "application/pdf"},
    ]
    mail = rendered("dossier", "council_member", documents=["dossier.pdf"], easy_read=easy)
    text = mail.text
    read = text.index(f"{SETTINGS.public_base_url}/documents/{summary}")
    listen = text.index(f"{SETTINGS.public_base_url}/documents/{audio}")
    assert text.index("La version facile à lire") < read < listen < text.index("Le dossier de l'instance")
    assert "Lire la version facile à lire" in text
    assert "Écouter la version facile à lire" in text
    html = mail.html
    assert html.index("La version facile à lire") < html.index("Le dossier de l'instance")
    assert html.index(f"/documents/{summary}") < html.index(f"/documents/{audio}")


def test_a_dossier_without_easy_read_says_nothing_of_it() -> None:
    for context in ({"easy_read": []}, {}):
        mail = rendered("dossier", "council_member", documents=["dossier.pdf"], **context)
        assert "facile à lire" not in mail.text
        assert "facile à lire" not in mail.html


def test_je_viens_offers_one_button_then_says_her_venue_is_confirmed() -> None:
    from conseils_runtime.action_links import ActionLink
    from conseils_web.action_pages import plan
    from conseils_web.clients.meetings import Instance, MyRegistration

    link = ActionLink(MEMBER_ID, INSTANCE_ID, "confirm", BEFORE + timedelta(days=30))
    instance = Instance.model_validate(
        {
            "id": INSTANCE_ID,
            "title": "CLIP",
            "status": "scheduled",
            **{k: SNAPSHOT[k] for k in ("starts_at", "ends_at")},
        }
    )
    mine = MyRegistration.model_validate(
        {
            "instance_id": INSTANCE_ID,
            "mode": "participant",
            "status": "confirmed",
            "title": "CLIP",
            "starts_at": SNAPSHOT["starts_at"],
            "ends_at": SNAPSHOT["ends_at"],
            "instance_status": "scheduled",
        }
    )
    asked = plan(link, instance, mine)
    assert asked.confirm  # one button: « Confirmer : je viens »
    assert "elle vous compte parmi les présent·es" in asked.message
    assert asked.notice == "Vous êtes inscrit·e comme participant·e."
    done = plan(link, instance, mine, confirmed=True)
    assert not done.confirm
    assert (
        done.message
        == "Votre venue est confirmée. Merci, à bientôt ! Vous êtes inscrit·e comme participant·e."
    )
    waiting = plan(link, instance, mine.model_copy(update={"status": "waitlisted", "position": 2}))
    assert not waiting.confirm
    assert "liste d'attente (rang 2)" in waiting.message
    gone = plan(link, instance, None)
    assert not gone.confirm
    assert "plus inscrit·e" in gone.message
