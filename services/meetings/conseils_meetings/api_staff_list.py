"""HTTP API of the meetings service: the staff's list of instances (the site's
/equipe/instances), filtered, counted and paged by the database, the drafts apart."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter

from conseils_meetings.api import _summary
from conseils_meetings.api_access import Service, Staff
from conseils_meetings.api_models import InstanceSummary
from conseils_meetings.staff_list_queries import InstanceFilters

router = APIRouter()

FILTER_LENGTH = 64
"""The longest filter value taken (the columns are no longer: a longer one matches nothing)."""


MAX_OFFSET = 1_000_000_000
"""The furthest a page may start (every database takes it as an integer)."""


class StaffInstanceList(BaseModel):
    """One page of the staff's list: how many instances match, the page, the drafts apart."""

    total: int = Field(description="Instances (hors brouillons) qui répondent aux filtres.")
    instances: list[InstanceSummary] = Field(
        description="La page demandée (hors brouillons), par date de début puis identifiant."
    )
    drafts: list[InstanceSummary] = Field(
        description="Tous les brouillons qui répondent aux filtres, dans le même ordre."
    )


STAFF_LIST_JSON: TypeAdapter[StaffInstanceList] = TypeAdapter(StaffInstanceList)


@router.get(
    "/staff/instances",
    response_model=StaffInstanceList,
    tags=["instances"],
    summary="Liste de l'équipe : instances filtrées, comptées, par pages, brouillons à part",
    description=(
        "Réservé à l'équipe du territoire. Filtres facultatifs : `type`, `theme`, `status` (l'état), "
        "`city` (la ville de l'instance, sinon, pour une instance d'un conseil, celle de son conseil), "
        "`from` et `to` (début de l'instance : `from` compris, `to` exclu). `total` compte les "
        "instances hors brouillons qui répondent aux filtres ; `instances` en donne une page "
        "(`limit`, `offset`), par date de début puis identifiant ; `drafts` donne tous les "
        "brouillons qui répondent aux filtres."
    ),
)
async def staff_instances(
    *,
    service: Service,
    _staff: Staff,
    instance_type: Annotated[str | None, Query(alias="type", max_length=FILTER_LENGTH)] = None,
    theme: Annotated[str | None, Query(max_length=FILTER_LENGTH)] = None,
    status: Annotated[str | None, Query(max_length=FILTER_LENGTH)] = None,
    city: Annotated[str | None, Query(max_length=FILTER_LENGTH)] = None,
    starts_from: Annotated[datetime | None, Query(alias="from")] = None,
    starts_before: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    filters = InstanceFilters(
        instance_type=instance_type,
        theme=theme,
        status=status,
        city_code=city,
        starts_from=starts_from,
        starts_before=starts_before,
    )
    page = await service.staff_instances(filters, limit=limit, offset=offset)
    answer = StaffInstanceList(
        total=page.total,
        instances=[_summary(service, row) for row in page.instances],
        drafts=[_summary(service, row) for row in page.drafts],
    )
    # serialised once by pydantic-core, as GET /instances does (api._json)
    return Response(STAFF_LIST_JSON.dump_json(answer), media_type="application/json")
