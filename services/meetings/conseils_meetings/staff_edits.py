"""The staff's everyday corrections: an instance's title, theme, description (and, for a draft,
its place), a document removed before it is published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from conseils_meetings.dossiers import Dossiers
from conseils_meetings.records import DocumentRecord, InstanceDetail
from conseils_runtime.http import Conflict, DomainError, NotFound
from conseils_schemas.events import InstanceUpdated


@dataclass(frozen=True)
class InstanceEdit:
    """The fields staff change (None: unchanged; "" for the description: removed)."""

    title: str | None = None
    theme: str | None = None
    description: str | None = None
    location: str | None = None
    clear_theme: bool = False


class StaffEdits(Dossiers):
    """Edit an instance, remove a document not yet published."""

    async def edit_instance(self, instance_id: uuid.UUID, edit: InstanceEdit) -> InstanceDetail:
        now = self.clock()
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            if row.status == "cancelled":
                raise Conflict("Cette instance est annulée : elle ne se modifie plus.")
            theme = None if edit.clear_theme else (edit.theme or row.theme)
            self._check_theme(theme)
            if row.scope == "theme" and theme is None:
                raise DomainError("Une instance thématique demande une thématique.", code="theme_requis")
            if row.scope == "theme" and theme != row.theme and row.status != "draft":
                raise Conflict(
                    "La thématique décide des conseils convoqués : annulez cette instance et "
                    "programmez-en une autre."
                )
            title = edit.title or row.title
            description = row.description if edit.description is None else (edit.description or None)
            location = edit.location or row.location
            if row.status == "draft":  # a draft is no fact yet: its row is all there is
                await repo.update_instance(
                    instance_id, title=title, theme=theme, description=description, location=location
                )
            else:
                if location != row.location:
                    raise Conflict(
                        "Pour changer le lieu d'une instance programmée, déplacez-la : les personnes "
                        "concernées sont prévenues."
                    )
                if (title, theme, description) != (row.title, row.theme, row.description):
                    await unit.emit(
                        InstanceUpdated(
                            instance_id=instance_id,
                            title=title,
                            theme=theme,
                            description=description,
                            updated_at=now,
                        )
                    )
        return await self.get_instance(instance_id)

    async def delete_document(self, instance_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRecord:
        """A document of the dossier or minutes removed before its publication (file and row)."""
        async with self.units.begin() as unit:
            repo = unit.repo
            await self._instance(repo, instance_id, lock=True)
            document = await repo.document(document_id)
            if document is None or document.instance_id != instance_id:
                raise NotFound("Document introuvable.")
            if document.published_at is not None:
                raise Conflict(
                    "Ce document est publié : il ne se supprime plus. Déposez une nouvelle version "
                    "(même nom de fichier) puis publiez-la."
                )
            await repo.delete_document(document_id)
        self.document_path(document.storage_name).unlink(missing_ok=True)
        return document
