"""Issue 16 items 1, 3 and 8: every email kind read as a strict outside client reads it, from the
bytes sent over SMTP, never through Python's `email` parser (which decodes an RFC 2047
List-Unsubscribe back to a URI and hides a lost space). DKIM checked by dkimpy's verifier
with a DNS look-up that answers the published record."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import dkim  # type: ignore[import-untyped]
import dkim.dknewkey  # type: ignore[import-untyped]
import pytest

from conseils_notifications.domain import read_unsubscribe_token
from conseils_notifications.mail import UNSUBSCRIBE_HEADER_KINDS, MailSettings, build_email
from conseils_runtime.mail import (
    DkimKey,
    encoded_subject,
    finish_message,
    wire_bytes,
)

from .test_mail import INSTANCE_ID, MEMBER_ID, SETTINGS, SNAPSHOT

SELECTOR = "conseils-plaine-commune"
DOMAIN = "plainecommune.example"
KINDS: dict[str, dict[str, Any]] = {
    "scheduled": {},
    "rescheduled": {"previous_starts_at": "2026-04-10T16:30:00+00:00"},
    "cancelled": {"reason_text": "Salle indisponible"},
    "dossier": {"documents": ["ordre-du-jour.pdf"]},
    "reminder": {},
    "minutes": {"summary": "Trois projets retenus."},
    "registered": {"mode": "participant"},
    "waitlisted": {"mode": "participant", "position": 2},
    "promoted": {"mode": "participant"},
    "unregistered": {"mode": "participant"},
    "digest": {},
}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[DkimKey, bytes]:
    """A fresh RSA key made by dkimpy's own tool, and its DNS TXT record."""
    folder = tmp_path_factory.mktemp("dkim")
    private, record = folder / "key.pem", folder / "record.txt"
    dkim.dknewkey.GenRSAKeys(str(private), verbose=False)
    dkim.dknewkey.ExtractRSADnsPublicKey(str(private), str(record), verbose=False)
    return DkimKey.load(private, selector=SELECTOR, domain=DOMAIN), record.read_bytes()


def dns(records: dict[str, bytes]) -> Any:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name.decode().rstrip("."))

    return lookup


def build(kind: str, *, title: str = SNAPSHOT["title"], signing: DkimKey | None = None) -> bytes:
    """The bytes the SMTP transport sends."""
    context: dict[str, Any] = {"instance": {**SNAPSHOT, "title": title}, **KINDS[kind]}
    if kind == "digest":
        context = {
            "items": [{"kind": "dossier", "subject": "Dossier disponible", "instance_id": str(INSTANCE_ID)}]
        }
    settings = MailSettings(
        sender=SETTINGS.sender,
        public_base_url=SETTINGS.public_base_url,
        territory=SETTINGS.territory,
        secret=SETTINGS.secret,
        dkim=signing,
    )
    message = build_email(
        settings,
        delivery_id=uuid.UUID("0f0f0f0f-1111-2222-3333-444444444444"),
        kind=kind,
        category="minutes" if kind == "minutes" else "digest" if kind == "digest" else "scheduling",
        reason="theme_referent",
        context=context,
        member_id=MEMBER_ID,
        display_name="Aïcha Ben Saïd-Diallo",
        email="aicha.diallo@demo.example",
        now=datetime(2026, 3, 1, 8, 15, tzinfo=UTC),
    )
    return wire_bytes(message)


def raw_headers(data: bytes) -> list[tuple[str, list[str]]]:
    """(name, physical lines) of each header, split by RFC 5322 §2.2.3 folding, nothing decoded."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit, or this raises
    headers: list[tuple[str, list[str]]] = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t"):
            headers[-1][1].append(line)
        else:
            name, _, _value = line.partition(":")
            headers.append((name, [line]))
    return headers


def header(data: bytes, name: str) -> tuple[str, list[str]]:
    """The unfolded value (CRLF removed, nothing else) and the physical lines of header `name`."""
    found = [lines for header_name, lines in raw_headers(data) if header_name.lower() == name.lower()]
    assert len(found) == 1, f"{name}: {len(found)} headers"
    lines = found[0]
    return "".join(lines).split(":", 1)[1].removeprefix(" "), lines


def rfc2047(value: str) -> str:
    """RFC 2047 decoding (whitespace between adjacent encoded words is dropped, §6.2)."""
    return str(make_header(decode_header(value)))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_the_rfc_headers_in_its_raw_bytes(kind: str) -> None:
    data = build(kind)
    for name, lines in raw_headers(data):  # RFC 5322 §2.1.1: 998 MUST, 78 SHOULD (one URI line aside)
        assert all(len(line) <= (998 if name == "List-Unsubscribe" else 78) for line in lines), lines
    date, _ = header(data, "Date")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", date)
    assert parsedate_to_datetime(date) == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    message_id, _ = header(data, "Message-ID")
    assert message_id == f"<0f0f0f0f-1111-2222-3333-444444444444@{DOMAIN}>"  # stable across retries
    assert rfc2047(header(data, "To")[0]) == "Aïcha Ben Saïd-Diallo <aicha.diallo@demo.example>"
    if kind not in UNSUBSCRIBE_HEADER_KINDS:  # her own registration: transactional
        assert "List-Unsubscribe" not in {name for name, _lines in raw_headers(data)}
        return
    value, lines = header(data, "List-Unsubscribe")
    assert len(lines) == 1, "RFC 2369 URIs on one line"
    match = re.fullmatch(r"<(https://[!-~]+?)>, <(mailto:[!-~]+?)>", value)
    assert match, value
    https, mailto = match.groups()
    assert https.startswith("https://conseils.example/notifications/unsubscribe/")
    category = "minutes" if kind == "minutes" else "digest" if kind == "digest" else "scheduling"
    # The digest's link used to be refused (400): "digest" was not a category the reader knew.
    assert read_unsubscribe_token("s3cret", https.rsplit("/", 1)[1]) == (MEMBER_ID, category)
    assert mailto.startswith(f"mailto:conseils@{DOMAIN}?subject=d%C3%A9sinscription%20")
    assert header(data, "List-Unsubscribe-Post") == (
        "List-Unsubscribe=One-Click",
        ["List-Unsubscribe-Post: List-Unsubscribe=One-Click"],
    )


@pytest.mark.parametrize(
    "title",
    [
        "Comité de pilotage",  # the "pilotage,désormais"
        "Comité de pilotage du contrat de ville intercommunal de Plaine Commune — séance plénière",
        "CLIP Stains",
        "Assemblee pleniere des conseils citoyens de Plaine Commune et de leurs partenaires locaux",
    ],
)
@pytest.mark.parametrize("kind", ["scheduled", "rescheduled", "cancelled", "reminder", "waitlisted"])
def test_subjects_fold_without_losing_a_space(kind: str, title: str) -> None:
    data = build(kind, title=title)
    value, lines = header(data, "Subject")
    expected = {
        "scheduled": f"Nouvelle instance : {title}, mardi 14 avril 2026 à 18 h 30",
        "rescheduled": f"Instance déplacée : {title}, désormais mardi 14 avril 2026 à 18 h 30",
        "cancelled": f"Instance annulée : {title} (mardi 14 avril 2026 à 18 h 30)",
        "reminder": f"Rappel : {title}, mardi 14 avril 2026 à 18 h 30",
        "waitlisted": f"Vous êtes sur la liste d'attente (rang 2) : {title}, mardi 14 avril 2026 à 18 h 30",
    }[kind]
    assert rfc2047(value) == expected
    assert all(len(line) <= 78 for line in lines)


def test_an_ascii_subject_is_folded_at_its_own_spaces() -> None:
    text = "Rappel : " + " ".join(["Assemblee"] * 20)
    folded = encoded_subject(text)
    assert "=?" not in folded
    assert folded.replace("\r\n", "") == text
    assert all(len(line) <= 78 for line in f"Subject: {folded}".split("\r\n"))


def test_bodies_are_seven_bit_so_relays_keep_the_signed_bytes() -> None:
    data = build("scheduled")
    assert all(byte < 128 for byte in data)


@pytest.mark.parametrize("kind", ["scheduled", "cancelled", "minutes", "digest", "registered"])
def test_dkim_signature_covers_the_rfc_8058_headers_and_verifies(
    kind: str, key: tuple[DkimKey, bytes]
) -> None:
    signing, record = key
    data = build(kind, title="Comité de pilotage", signing=signing)
    assert data.startswith(b"DKIM-Signature: ")
    signature, _lines = header(data, "DKIM-Signature")
    tags = dict(part.strip().split("=", 1) for part in signature.split(";") if part.strip())
    assert (tags["d"], tags["s"], tags["a"], tags["c"]) == (DOMAIN, SELECTOR, "rsa-sha256", "relaxed/relaxed")
    signed = {name.strip().lower() for name in tags["h"].split(":")}
    assert {"from", "subject", "date", "message-id", "to"} <= signed
    if kind in UNSUBSCRIBE_HEADER_KINDS:
        assert {"list-unsubscribe", "list-unsubscribe-post"} <= signed
    lookup = dns({f"{SELECTOR}._domainkey.{DOMAIN}": record})
    assert dkim.verify(data, dnsfunc=lookup)
    # A relay that changes a signed header breaks it.
    tampered = data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x")
    tampered = tampered.replace(b"Auto-Submitted: auto-generated\r\nTo:", b"To:")
    if kind in UNSUBSCRIBE_HEADER_KINDS:
        assert not dkim.verify(tampered, dnsfunc=lookup)
    assert not dkim.verify(data.replace(b"Date: Sun", b"Date: Mon"), dnsfunc=lookup)


def test_finish_message_gives_any_sender_date_message_id_and_signature(key: tuple[DkimKey, bytes]) -> None:
    """What the site's sign-in mail needs (issue 16 item 3): one call after the body is set."""
    signing, record = key
    message = EmailMessage()
    message["From"] = f"Conseils citoyens <conseils@{DOMAIN}>"
    message["To"] = "karim@demo.example"
    message["Subject"] = encoded_subject("Votre lien de connexion — conseils Plaine Commune")
    message.set_content("Bonjour,\nvoici le lien.\n", cte="quoted-printable")
    data = wire_bytes(finish_message(message, now=datetime(2026, 3, 1, tzinfo=UTC), dkim_key=signing))
    assert parsedate_to_datetime(header(data, "Date")[0]) == datetime(2026, 3, 1, tzinfo=UTC)
    assert re.fullmatch(rf"<[!-~]+@{re.escape(DOMAIN)}>", header(data, "Message-ID")[0])
    assert rfc2047(header(data, "Subject")[0]) == "Votre lien de connexion — conseils Plaine Commune"
    assert dkim.verify(data, dnsfunc=dns({f"{SELECTOR}._domainkey.{DOMAIN}": record}))


def test_the_settings_read_the_territory_key(tmp_path: Path, key: tuple[DkimKey, bytes]) -> None:
    from conseils_notifications.settings import NotificationsSettings

    signing, _record = key
    path = tmp_path / "key.pem"
    path.write_bytes(signing.private_key)
    settings = NotificationsSettings(territory="plaine-commune", dkim_key_file=path)
    loaded = settings.dkim_key()
    assert loaded == DkimKey(
        domain=DOMAIN, selector="conseils-plaine-commune", private_key=signing.private_key
    )
    assert NotificationsSettings(territory="plaine-commune").dkim_key() is None
