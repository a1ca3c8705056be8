"""HTTP API of the meetings service: documents (deposit, removal before publication,
download), the dossier's publication, attendance (councillors by name, other participants by
organisation and role) and minutes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse

from conseils_meetings.api_access import AnyUser, Service, Staff
from conseils_meetings.api_models import DocumentOut, InstanceOut
from conseils_meetings.api_participation_models import AttendanceIn, AttendanceRow, MinutesIn

router = APIRouter()


# --------------------------------------------------------------------------- documents, dossier, minutes


@router.post(
    "/instances/{instance_id}/documents",
    tags=["dossiers"],
    summary="Déposer un document (dossier ou compte rendu)",
    status_code=201,
)
async def upload_document(
    instance_id: uuid.UUID,
    service: Service,
    _staff: Staff,
    file: Annotated[UploadFile, File(description="pdf, odt, docx, xlsx, ods, png, jpeg ou txt")],
    kind: Annotated[Literal["dossier", "minutes"], Form()] = "dossier",
) -> DocumentOut:
    limit = service.settings.max_document_bytes
    content = await file.read(limit + 1)
    return DocumentOut.of(await service.add_document(instance_id, kind, file.filename or "document", content))


@router.delete(
    "/instances/{instance_id}/documents/{document_id}",
    tags=["dossiers"],
    summary="Supprimer un document pas encore publié",
    status_code=204,
)
async def delete_document(
    instance_id: uuid.UUID, document_id: uuid.UUID, service: Service, _staff: Staff
) -> Response:
    """A document deposited by mistake, removed before its publication (a published one stays:
    deposit a new version under the same name)."""
    await service.delete_document(instance_id, document_id)
    return Response(status_code=204)


@router.post(
    "/instances/{instance_id}/dossier/publish",
    tags=["dossiers"],
    summary="Publier le dossier (nouvelle version)",
)
async def publish_dossier(instance_id: uuid.UUID, service: Service, _staff: Staff) -> InstanceOut:
    return InstanceOut.of(await service.publish_dossier(instance_id), staff=True, timezone=service.timezone)


@router.get(
    "/documents/{document_id}/download",
    tags=["dossiers"],
    summary="Télécharger un document",
    response_class=FileResponse,
)
async def download(document_id: uuid.UUID, service: Service, user: AnyUser) -> FileResponse:
    document, path = await service.document_for_download(document_id, staff=user.is_staff)
    return FileResponse(path, media_type=document.media_type, filename=document.filename)


@router.post("/instances/{instance_id}/attendance", tags=["présence"], summary="Enregistrer les présents")
async def record_attendance(
    instance_id: uuid.UUID, body: AttendanceIn, service: Service, _staff: Staff
) -> InstanceOut:
    return InstanceOut.of(
        await service.record_attendance(instance_id, body.present_member_ids, body.other_attendees()),
        staff=True,
        timezone=service.timezone,
    )


@router.get("/instances/{instance_id}/attendance", tags=["présence"], summary="Feuille d'émargement")
async def attendance(instance_id: uuid.UUID, service: Service, _staff: Staff) -> list[AttendanceRow]:
    return [AttendanceRow.model_validate(row.as_dict()) for row in await service.attendance(instance_id)]


@router.post("/instances/{instance_id}/minutes", tags=["présence"], summary="Publier le compte rendu")
async def publish_minutes(
    instance_id: uuid.UUID, body: MinutesIn, service: Service, _staff: Staff
) -> InstanceOut:
    return InstanceOut.of(
        await service.publish_minutes(instance_id, body.summary), staff=True, timezone=service.timezone
    )
