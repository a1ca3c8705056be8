"""Staff pages of the proposals and commitments (/equipe/engagements): record one, follow
its status."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.labels import OUTCOME_STATUS_LABELS
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms, views

router = APIRouter(prefix="/equipe")


async def _outcomes_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    outcomes, councils = await asyncio.gather(ctx.meetings.outcomes(token), ctx.registry.councils(token))
    context.setdefault(
        "values", {**dict.fromkeys(forms.OUTCOME_FIELDS, ""), "made_on": date.today().isoformat()}
    )
    return render(
        request,
        "equipe/engagements.html",
        status_code=status_code,
        title="Propositions et engagements",
        active="equipe-engagements",
        outcomes=outcomes,
        councils=councils,
        council_names=views.council_names(councils),
        themes=ctx.territory.themes,
        **context,
    )


@router.get("/engagements", response_class=HTMLResponse)
async def outcomes(request: Request) -> HTMLResponse:
    require_staff(request)
    return await _outcomes_page(request)


@router.post("/engagements")
async def add_outcome(request: Request) -> Response:
    require_staff(request)
    form = await checked_form(request)
    values = forms.values(form, forms.OUTCOME_FIELDS)
    outcome, errors = forms.outcome_body(values)
    if outcome is None:
        return await _outcomes_page(request, 400, values=values, errors=errors)
    try:
        await site(request).meetings.add_outcome(user_token(request), outcome)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _outcomes_page(request, 400, values=values, errors=[("kind", error.detail)])
    return redirect(request, "/equipe/engagements", "Enregistré.")


@router.post("/engagements/{outcome_id}")
async def update_outcome(request: Request, outcome_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    status, note = forms.text(form, "status"), forms.text(form, "note")
    if status not in OUTCOME_STATUS_LABELS or len(note) < 2 or parse_uuid(outcome_id) is None:
        return redirect(request, "/equipe/engagements", "Choisissez le nouveau statut et écrivez une note.")
    try:
        await site(request).meetings.update_outcome(user_token(request), outcome_id, status, note)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, "/equipe/engagements", error.detail)
    return redirect(request, "/equipe/engagements", f"Statut mis à jour : {OUTCOME_STATUS_LABELS[status]}.")
