"""`conseils territory dkim-key`: makes the territory's key once, prints the DNS record that a
verifier then finds; the notifications service signs with that key (issue 16 item 8)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from conseils_notifications.mail import MailSettings, build_email
from conseils_notifications.settings import NotificationsSettings
from conseils_registry.cli import territory_app
from conseils_runtime.mail import wire_bytes

from .test_mail import MEMBER_ID, SNAPSHOT

TERRITORY = Path(__file__).resolve().parents[2] / "territories" / "plaine-commune.yaml"


def test_the_key_made_by_the_cli_signs_mail_that_its_dns_record_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(territory_app, ["dkim-key", str(TERRITORY)])
    assert made.exit_code == 0, made.output
    key_file = tmp_path / "dkim" / "conseils-plaine-commune.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    line = next(text for text in made.stdout.splitlines() if " IN TXT " in text)
    name, record = re.fullmatch(r"(\S+)\. IN TXT \( (.+) \)", line).groups()  # type: ignore[union-attr]
    assert name == "conseils-plaine-commune._domainkey.plainecommune.example"
    strings = re.findall(r'"([^"]*)"', record)
    assert all(len(text) <= 255 for text in strings)  # one TXT string holds 255 characters
    txt = "".join(strings)
    assert txt.startswith("v=DKIM1; k=rsa; h=sha256; p=MII")

    again = runner.invoke(territory_app, ["dkim-key", str(TERRITORY)])  # keeps the key, same record
    assert again.exit_code == 0
    assert line in again.stdout.splitlines()

    settings = NotificationsSettings(territory="plaine-commune", dkim_key_file=key_file)
    message = build_email(
        MailSettings(
            sender=settings.resolved_mail_sender(),
            public_base_url="https://conseils.example",
            territory="plaine-commune",
            secret="s",  # noqa: S106 - a test key
            dkim=settings.dkim_key(),
        ),
        delivery_id=uuid.uuid4(),
        kind="scheduled",
        category="scheduling",
        reason="theme_referent",
        context={"instance": SNAPSHOT},
        member_id=MEMBER_ID,
        display_name="Aïcha Diallo",
        email="aicha.diallo@demo.example",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    answers = {name: txt.encode()}
    assert dkim.verify(
        wire_bytes(message), dnsfunc=lambda qname, timeout=5: answers.get(qname.decode().rstrip("."))
    )


def test_an_unknown_territory_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("territory: {}\n")
    result = CliRunner().invoke(territory_app, ["dkim-key", str(bad)])
    assert result.exit_code == 2
