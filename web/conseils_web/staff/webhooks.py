"""Staff pages of the outgoing webhooks (/equipe/webhooks): the endpoints and their state, a
form to add one (its signing secret is shown on the answer page, once, never again), rotate
the secret, disable, and an endpoint's latest deliveries with their attempts (send one again)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from conseils_web.clients.webhooks import NewWebhook, WebhookWithSecret
from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_staff
from conseils_web.services import ApiError
from conseils_web.staff import forms

router = APIRouter(prefix="/equipe")
PAGE = "/equipe/webhooks"
TYPE_LABELS = {  # the event types a webhook may carry, in French (the service lists them)
    "fr.conseils.meetings.instance.scheduled.v1": "Instance programmée",
    "fr.conseils.meetings.instance.rescheduled.v1": "Instance déplacée",
    "fr.conseils.meetings.instance.cancelled.v1": "Instance annulée",
    "fr.conseils.meetings.instance.held.v1": "Instance tenue",
    "fr.conseils.meetings.dossier.published.v1": "Dossier publié",
    "fr.conseils.meetings.minutes.published.v1": "Compte rendu publié",
    "fr.conseils.meetings.outcome.recorded.v1": "Proposition ou engagement enregistré",
    "fr.conseils.meetings.outcome.status_changed.v1": "Suivi d'une proposition ou d'un engagement",
    "fr.conseils.registry.council.registered.v1": "Conseil créé",
    "fr.conseils.registry.council.updated.v1": "Conseil modifié",
    "fr.conseils.registry.council.dissolved.v1": "Conseil dissous",
}
STATUS_LABELS = {
    "active": "actif",
    "disabled": "désactivé",
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "delivered": "remis",
    "failed": "échec",
    "cancelled": "abandonné",
    "retry": "à réessayer",
    "gone": "refusé (410)",
}


async def _list_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx, caller = site(request), user_token(request)
    endpoints, types = await asyncio.gather(ctx.webhooks.endpoints(caller), ctx.webhooks.event_types(caller))
    context.setdefault("values", {"url": "", "description": "", "event_types": []})
    return render(
        request,
        "equipe/webhooks.html",
        status_code=status_code,
        title="Webhooks",
        active="equipe-webhooks",
        endpoints=endpoints,
        event_types=types,
        type_labels={item.type: TYPE_LABELS.get(item.type, item.type) for item in types},
        status_labels=STATUS_LABELS,
        **context,
    )


def _secret_page(request: Request, endpoint: WebhookWithSecret, *, rotated: bool) -> HTMLResponse:
    """The only page that ever shows the secret (the answer to the POST, never cached)."""
    return render(
        request,
        "equipe/webhook-secret.html",
        title="Secret du webhook",
        active="equipe-webhooks",
        endpoint=endpoint,
        rotated=rotated,
    )


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks(request: Request) -> HTMLResponse:
    require_staff(request)
    return await _list_page(request)


@router.post("/webhooks")
async def add_webhook(request: Request) -> Response:
    require_staff(request)
    form = await checked_form(request)
    chosen = [value for value in form.getlist("event_types") if isinstance(value, str)]
    values = {
        "url": forms.text(form, "url"),
        "description": forms.text(form, "description"),
        "event_types": chosen,
    }
    errors = []
    if not values["url"]:
        errors.append(("url", "Indiquez l'adresse du point de réception (https://…)."))
    if not chosen:
        errors.append(("event_types", "Choisissez au moins un type d'événement."))
    if errors:
        return await _list_page(request, 400, values=values, errors=errors)
    body = NewWebhook(url=values["url"], event_types=chosen, description=values["description"])
    try:
        created = await site(request).webhooks.register(user_token(request), body)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return await _list_page(request, 400, values=values, errors=[("url", error.detail)])
    return _secret_page(request, created, rotated=False)


@router.post("/webhooks/{endpoint_id}/secret")
async def rotate_secret(request: Request, endpoint_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    if parse_uuid(endpoint_id) is None:
        return redirect(request, PAGE, "Point de réception introuvable.")
    rotated = await site(request).webhooks.rotate(user_token(request), endpoint_id)
    return _secret_page(request, rotated, rotated=True)


@router.post("/webhooks/{endpoint_id}/desactiver")
async def disable(request: Request, endpoint_id: str) -> Response:
    require_staff(request)
    await checked_form(request)
    if parse_uuid(endpoint_id) is None:
        return redirect(request, PAGE, "Point de réception introuvable.")
    endpoint = await site(request).webhooks.disable(user_token(request), endpoint_id)
    return redirect(request, PAGE, f"Point de réception désactivé : {endpoint.url}")


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
async def deliveries(request: Request, endpoint_id: str) -> HTMLResponse:
    require_staff(request)
    ctx, caller = site(request), user_token(request)
    if parse_uuid(endpoint_id) is None:
        return await _list_page(request, 404, errors=[("url", "Point de réception introuvable.")])
    endpoints, messages, types = await asyncio.gather(
        ctx.webhooks.endpoints(caller),
        ctx.webhooks.messages(caller, endpoint_id),
        ctx.webhooks.event_types(caller),
    )
    endpoint = next((item for item in endpoints if str(item.endpoint_id) == endpoint_id), None)
    if endpoint is None:
        return await _list_page(request, 404, errors=[("url", "Point de réception introuvable.")])
    return render(
        request,
        "equipe/webhook.html",
        title=f"Envois vers {endpoint.url}",
        active="equipe-webhooks",
        endpoint=endpoint,
        messages=messages,
        type_labels={item.type: TYPE_LABELS.get(item.type, item.type) for item in types},
        status_labels=STATUS_LABELS,
    )


@router.post("/webhooks/{endpoint_id}/renvoyer")
async def replay(request: Request, endpoint_id: str) -> Response:
    require_staff(request)
    form = await checked_form(request)
    back = f"{PAGE}/{endpoint_id}" if parse_uuid(endpoint_id) else PAGE
    webhook_id = forms.text(form, "webhook_id")
    try:
        done = await site(request).webhooks.replay(user_token(request), endpoint_id, webhook_id)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, back, error.detail)
    return redirect(request, back, "Envoi programmé à nouveau." if done.queued else "Rien à renvoyer.")
