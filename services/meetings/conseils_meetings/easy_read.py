"""Easy-to-read dossiers: staff attach to a dossier an easy-to-read (FALC) summary (text or PDF)
and optionally its audio version (mp3, ogg or m4a, checked by content), published with the
dossier under the same notice rule; a summary still missing at the dossier's notice raises a staff
alert. The documents themselves are stored by `dossiers.py` (kinds `easy_read`, `easy_read_audio`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import domain, tables
from conseils_meetings.attending_rules import audio_type
from conseils_meetings.attending_tables import easy_read_alerts
from conseils_meetings.document_rules import DocumentRefused, check_document
from conseils_meetings.records import DocumentRecord
from conseils_meetings.use_cases import MeetingsCore
from conseils_schemas import StaffAlertRaised

EASY_READ_KINDS = ("easy_read", "easy_read_audio")


def easy_read_media_type(kind: str, filename: str, head: bytes, size: int, max_bytes: int) -> str:
    """The summary: a PDF or a text file; its audio version: mp3, ogg or m4a (by content)."""
    if kind == "easy_read":
        if filename.rsplit(".", 1)[-1].lower() not in ("pdf", "txt"):
            raise DocumentRefused("La version facile à lire se dépose en PDF ou en texte (.txt).")
        return check_document(filename, head, size, max_bytes)
    if size == 0:
        raise DocumentRefused("Le fichier est vide.")
    if size > max_bytes:
        raise DocumentRefused(f"Fichier trop volumineux (maximum {max_bytes // (1024 * 1024)} Mo).")
    media_type = audio_type(head)
    if media_type is None:
        raise DocumentRefused("La version audio doit être un fichier mp3, ogg ou m4a.")
    return media_type


class EasyRead(MeetingsCore):
    """Easy-read use cases (see the module docstring)."""

    async def easy_read_documents(self, instance_id: uuid.UUID, *, staff: bool) -> list[DocumentRecord]:
        """The summary first, then the audio; councillors see the published ones only."""
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            documents = [
                document
                for kind in EASY_READ_KINDS
                for document in await repo.latest_documents(instance_id, kind)
                if staff or document.published_at is not None
            ]
        return documents

    async def alert_missing_easy_read(self) -> int:
        """One staff alert per instance still to come without a published easy-to-read summary once
        it is closer than its dossier notice."""
        now = self.clock()
        raised = 0
        async with self.units.begin() as unit:
            alerted = set(await unit.session.scalars(select(easy_read_alerts.c.instance_id)))
            for row in await unit.repo.list_instances(starts_from=now, starts_before=None):
                if row.id in alerted or row.status not in domain.OPEN_FOR_REGISTRATION:
                    continue
                kind = self.instance_type(row.instance_type)
                if not domain.dossier_is_late(kind, row.starts_at, now) or await self._has_summary(
                    unit.session, row.id
                ):
                    continue
                await unit.session.execute(
                    easy_read_alerts.insert().values(instance_id=row.id, alerted_at=now)
                )
                await unit.emit(
                    StaffAlertRaised(
                        alert_id=uuid.uuid4(),
                        kind="easy_read_missing",
                        subject_id=row.id,
                        message_fr=(
                            f"« {row.title} » : la version facile à lire du dossier n'est pas publiée alors "
                            f"que l'instance a lieu dans moins de {kind.dossier_notice_days} jours."
                        ),
                        raised_at=now,
                    )
                )
                raised += 1
        return raised

    @staticmethod
    async def _has_summary(session: AsyncSession, instance_id: uuid.UUID) -> bool:
        docs = tables.documents
        query = select(docs.c.id).where(
            docs.c.instance_id == instance_id, docs.c.kind == "easy_read", docs.c.published_at.is_not(None)
        )
        return (await session.scalar(query.limit(1))) is not None
