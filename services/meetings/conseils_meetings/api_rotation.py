"""HTTP API of how the councils are represented: each council's rota (tour de rôle, set by staff or
by the council's coordinator), a swap of one instance's turn, and who represents each concerned
council at an instance this time (`GET /instances/{id}/representation`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from conseils_meetings.api_access import AnyUser, Service
from conseils_meetings.api_models import _In
from conseils_meetings.rotation import RepresentationRecord, RotaRecord
from conseils_runtime.auth import Principal
from conseils_runtime.http import Forbidden

router = APIRouter()


async def _designator(request: Request) -> Principal:
    principal: Principal = await request.app.state.authenticator.require("staff", "operator", "coordinator")(
        request
    )
    return principal


Designator = Annotated[Principal, Depends(_designator)]


class RotaIn(_In):
    member_ids: list[uuid.UUID] = Field(max_length=200, description="Membres dans l'ordre de leurs tours.")


class RotaOut(BaseModel):
    council_id: uuid.UUID
    member_ids: list[uuid.UUID]
    next_member_id: uuid.UUID | None = Field(description="Le prochain tour (sans compter les départs).")

    @classmethod
    def of(cls, rota: RotaRecord) -> RotaOut:
        following = rota.member_ids[rota.position % len(rota.member_ids)] if rota.member_ids else None
        return cls(council_id=rota.council_id, member_ids=list(rota.member_ids), next_member_id=following)


class SwapIn(_In):
    member_id: uuid.UUID = Field(description="Le membre du tour de rôle qui prend ce tour.")


class CouncilRepresentationOut(BaseModel):
    council_id: uuid.UUID
    member_ids: list[uuid.UUID]
    swapped_with: uuid.UUID | None = None
    vacant: bool = False


class RepresentationOut(BaseModel):
    instance_id: uuid.UUID
    scenario: str = Field(description="referent_par_thematique, vivier_ouvert ou rotation.")
    councils: list[CouncilRepresentationOut]

    @classmethod
    def of(cls, record: RepresentationRecord) -> RepresentationOut:
        return cls(
            instance_id=record.instance_id,
            scenario=record.scenario,
            councils=[CouncilRepresentationOut(**vars(council)) for council in record.councils],
        )


def _check_reads(user: Principal, council_id: uuid.UUID) -> None:
    if not user.is_staff and user.council_id != council_id:
        raise Forbidden("Réservé aux membres de ce conseil.")


@router.get("/councils/{council_id}/rota", tags=["représentation"], summary="Le tour de rôle d'un conseil")
async def council_rota(council_id: uuid.UUID, service: Service, user: AnyUser) -> RotaOut:
    _check_reads(user, council_id)
    return RotaOut.of(await service.rota(council_id))


@router.put(
    "/councils/{council_id}/rota", tags=["représentation"], summary="Fixer le tour de rôle d'un conseil"
)
async def set_rota(council_id: uuid.UUID, body: RotaIn, service: Service, user: Designator) -> RotaOut:
    _check_reads(user, council_id)
    rota = await service.set_rota(council_id, body.member_ids, by=user.member_id, staff=user.is_staff)
    return RotaOut.of(rota)


@router.post(
    "/instances/{instance_id}/rotation/{council_id}/swap",
    tags=["représentation"],
    summary="Échanger le tour d'un conseil pour cette instance",
)
async def swap_turn(
    instance_id: uuid.UUID, council_id: uuid.UUID, body: SwapIn, service: Service, user: Designator
) -> RepresentationOut:
    _check_reads(user, council_id)
    record = await service.swap_turn(
        instance_id, council_id, body.member_id, by=user.member_id, staff=user.is_staff
    )
    return RepresentationOut.of(record)


@router.get(
    "/instances/{instance_id}/representation",
    tags=["représentation"],
    summary="Comment chaque conseil concerné est représenté cette fois, et par qui",
)
async def representation(instance_id: uuid.UUID, service: Service, user: AnyUser) -> RepresentationOut:
    del user  # anyone signed in: the instance page shows it (member ids, named by the site)
    return RepresentationOut.of(await service.representation(instance_id))
