"""Dossier use cases: documents (stored on disk), publication of a dossier version, late-dossier alerts."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from conseils_meetings import domain
from conseils_meetings.records import DocumentRecord, InstanceDetail
from conseils_meetings.use_cases import (
    MeetingsCore,
)
from conseils_runtime.http import DomainError, NotFound
from conseils_schemas import (
    DossierPublished,
    StaffAlertRaised,
)


class Dossiers(MeetingsCore):
    """Dossier use cases: documents on disk, dossier versions, late-dossier alerts."""

    def _documents_dir(self) -> Path:
        directory = self.settings.documents_dir.resolve()
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def document_path(self, storage_name: str) -> Path:
        if not storage_name.isalnum():  # generated hex names only: no path can escape the directory
            raise NotFound("Document introuvable.")
        return self._documents_dir() / storage_name

    async def add_document(
        self, instance_id: uuid.UUID, kind: str, filename: str, content: bytes
    ) -> DocumentRecord:
        if kind not in ("dossier", "minutes"):
            raise DomainError("Type de pièce inconnu (dossier ou minutes).")
        display_name = domain.safe_display_name(filename)
        media_type = domain.check_document(
            display_name, content[:512], len(content), self.settings.max_document_bytes
        )
        now = self.clock()
        document_id = uuid.uuid4()
        storage_name = uuid.uuid4().hex
        path = self.document_path(storage_name)
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            if kind == "dossier" and row.status not in domain.OPEN_FOR_REGISTRATION | {"draft"}:
                raise DomainError("On ne peut plus modifier le dossier d'une instance tenue ou annulée.")
            if kind == "minutes" and row.status not in ("held", "minutes_published"):
                raise DomainError("Le compte rendu se dépose après l'instance (présence enregistrée).")
            version = await repo.next_document_version(instance_id, kind, display_name)
            path.write_bytes(content)
            try:
                await repo.insert_document(
                    id=document_id,
                    instance_id=instance_id,
                    kind=kind,
                    filename=display_name,
                    media_type=media_type,
                    size_bytes=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    storage_name=storage_name,
                    version=version,
                    uploaded_at=now,
                )
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            saved = await repo.document(document_id)
            assert saved is not None
            return saved

    async def document_for_download(
        self, document_id: uuid.UUID, *, staff: bool
    ) -> tuple[DocumentRecord, Path]:
        async with self.units.reading() as repo:
            row = await repo.document(document_id)
        if row is None or (not staff and row.published_at is None):
            raise NotFound("Document introuvable.")
        path = self.document_path(row.storage_name)
        if not path.is_file():
            raise NotFound("Document introuvable.")
        return row, path

    async def publish_dossier(self, instance_id: uuid.UUID) -> InstanceDetail:
        now = self.clock()
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row.status, "publish_dossier")
            documents = await repo.latest_documents(instance_id, "dossier")
            if not documents:
                raise DomainError("Déposez au moins un document avant de publier le dossier.")
            if all(document.published_at is not None for document in documents):
                raise DomainError(
                    "Rien de nouveau à publier : le dossier publié est à jour. Déposez ou remplacez "
                    "un document d'abord.",
                    code="rien_a_publier",
                )
            version = row.aggregate().next_dossier_version()
            starts_at = row.starts_at
            await self._mark_published(repo, documents, now)
            del status  # checked; the event applies it
            await unit.emit(
                DossierPublished(
                    instance_id=instance_id,
                    dossier_version=version,
                    documents=self._refs(documents),
                    published_at=now,
                    notice_days=round((starts_at - now).total_seconds() / 86400, 2),
                )
            )
        return await self.get_instance(instance_id)

    async def alert_late_dossiers(self) -> int:
        """Raise one staff alert per instance whose dossier is still missing at the required notice."""
        now = self.clock()
        raised = 0
        async with self.units.begin() as unit:
            for row in await unit.repo.instances_without_dossier(starts_after=now):
                kind = self.instance_type(row.instance_type)
                starts_at = row.starts_at
                if not domain.dossier_is_late(kind, starts_at, now):
                    continue
                await unit.repo.update_instance(row.id, dossier_late_alerted_at=now)
                days = kind.dossier_notice_days
                await unit.emit(
                    StaffAlertRaised(
                        alert_id=uuid.uuid4(),
                        kind="dossier_late",
                        subject_id=row.id,
                        message_fr=(
                            f"« {row.title} » : le dossier n'est pas publié alors que l'instance a lieu "
                            f"dans moins de {days} jours."
                        ),
                        raised_at=now,
                    )
                )
                raised += 1
        return raised
