"""Hostile uploads are refused with a French message and never a server error:
wrong type (by extension and by content), oversized files, path tricks in the
file name; the stored file never leaves the documents directory. Same for the
registry's CSV import (oversized, binary garbage). Unpublished dossier
documents are not downloadable by councillors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.secured_kafka import SecuredKafka
from tests.e2e.stack import Stack, running_stack, seed_people

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # MeetingsSettings default


@pytest.fixture
async def stack(secured_kafka: SecuredKafka, secured_territory: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """The three services, each as its own Kafka principal on the secured broker."""
    urls = {
        name: f"sqlite+aiosqlite:///{tmp_path / name}.db"
        for name in ("registry", "meetings", "notifications")
    }
    async with running_stack(
        secured_kafka.bootstrap, secured_territory, urls, tmp_path, kafka=secured_kafka
    ) as running:
        await seed_people(running)
        yield running


async def upload(stack: Stack, filename: str, content: bytes) -> tuple[int, dict[str, object]]:
    response = await stack.call(
        "meetings",
        "POST",
        f"/instances/{stack.data['instance']}/documents",
        stack.staff,
        files={"file": (filename, content, "application/octet-stream")},
        data={"kind": "dossier"},
    )
    return response.status_code, response.json()


WRONG_TYPES = [
    ("programme.exe", b"MZ\x90\x00\x03\x00\x00\x00"),  # not an allowed type
    ("dossier.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # an executable dressed as a PDF
    ("plan.png", b"%PDF-1.7 not an image"),  # content does not match the extension
    ("notes.txt", b"\x00\x01\x02\xff\xfe binary"),  # "text" that is binary
    ("vide.pdf", b""),  # empty
    ("page.html", b"<script>alert(1)</script>"),  # active content
    ("image.svg", b"<svg onload='alert(1)'/>"),
    ("sans-extension", b"%PDF-1.7"),
]
PATH_TRICKS = [
    "../../../../tmp/evil.txt",
    "..\\..\\windows\\evil.txt",
    "/etc/passwd.txt",
    "a\x00b/../c.txt",
    "....//x.txt",
]
HOSTILE_CSV = [
    (b"nom;courriel\n" + b"x" * 2_000_001, 413),  # over import_max_bytes
    (b"\x00\xff\xfe\x89PNG garbage \x00" * 50, 422),  # not a CSV at all
]


def files_holding(root: Path, content: bytes) -> list[Path]:
    return [path.resolve() for path in root.rglob("*") if path.is_file() and path.read_bytes() == content]


async def test_hostile_uploads_are_refused_and_unpublished_documents_stay_private(
    stack: Stack, tmp_path: Path
) -> None:
    problems: list[str] = []
    for filename, content in WRONG_TYPES:
        status, body = await upload(stack, filename, content)
        if not (400 <= status < 500 and body.get("code") == "document_refuse" and body.get("detail")):
            problems.append(f"{filename!r}: {status} {body}")

    status, body = await upload(stack, "gros.txt", b"a" * (MAX_DOCUMENT_BYTES + 1))
    if not (400 <= status < 500 and "volumineux" in str(body.get("detail"))):
        problems.append(f"oversized: {status} {body}")
    if await asyncio.to_thread(files_holding, tmp_path, b"a" * (MAX_DOCUMENT_BYTES + 1)):
        problems.append("the oversized file was stored")

    documents = (tmp_path / "documents").resolve()
    for index, filename in enumerate(PATH_TRICKS):
        content = f"ordre du jour {index}".encode()
        status, body = await upload(stack, filename, content)
        shown = str(body.get("filename", ""))
        stored = await asyncio.to_thread(files_holding, tmp_path, content)
        if status != 201 or any(bad in shown for bad in ("/", "\\", "..", "\x00")):
            problems.append(f"{filename!r}: {status} shown as {shown!r}")
        if not stored or not all(documents in path.parents for path in stored):
            problems.append(f"{filename!r} stored at {stored}")
    if await asyncio.to_thread(Path("/tmp/evil.txt").exists):  # noqa: S108 - the path a trick would reach
        problems.append("a file escaped to /tmp")

    for content, expected in HOSTILE_CSV:
        response = await stack.call(
            "registry",
            "POST",
            "/members/import",
            stack.staff,
            files={"file": ("membres.csv", content, "text/csv")},
        )
        if response.status_code != expected or not isinstance(response.json().get("detail"), str):
            problems.append(f"CSV import: {response.status_code} {response.text[:200]}")
    assert problems == []

    # and an unpublished dossier is not downloadable by a councillor
    status, body = await upload(stack, "ordre-du-jour.txt", b"ordre du jour")
    assert status == 201, body
    as_councillor = stack.headers(
        "councillor", member_id=stack.data["councillor"], council_id=stack.data["council_a"]
    )
    response = await stack.call("meetings", "GET", f"/documents/{body['id']}/download", as_councillor)
    assert response.status_code in {403, 404}, response.status_code
    staff = await stack.call("meetings", "GET", f"/documents/{body['id']}/download", stack.staff)
    assert staff.status_code == 200
    assert staff.content == b"ordre du jour"
