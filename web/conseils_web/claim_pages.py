"""Her costs repaid and her presence attested: the one short claim form of an instance she
attended (childcare or transport, amount, hours, a photo or PDF of the receipt), her claims and
their status, her attestation of presence (PDF, her name taken from the registry at download
time), and the public page where an employer checks an attestation's code."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from conseils_web.context import parse_uuid, redirect, render, site, user_token
from conseils_web.security import checked_form, require_councillor
from conseils_web.services import ApiError

router = APIRouter()


async def _claim_page(
    request: Request, instance_id: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    ctx, token = site(request), user_token(request)
    instance, rules = await asyncio.gather(
        ctx.meetings.instance(token, instance_id), ctx.attending.rules(token)
    )
    context.setdefault("values", {"kind": rules.eligible[0] if rules.eligible else ""})
    return render(
        request,
        "remboursement.html",
        status_code,
        title=f"Demander un remboursement — {instance.title}",
        active="inscriptions",
        instance=instance,
        rules=rules,
        max_mb=max(1, rules.max_receipt_bytes // (1024 * 1024)),
        **context,
    )


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "erreur.html", 404, title="Introuvable", message="Instance introuvable.")


@router.get("/instances/{instance_id}/remboursement", response_class=HTMLResponse)
async def claim_form(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    return await _claim_page(request, instance_id)


@router.post("/instances/{instance_id}/remboursement")
async def claim(request: Request, instance_id: str) -> Response:
    require_councillor(request)
    form = await checked_form(request)
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    values = {key: str(form.get(key, "")) for key in ("kind", "amount", "hours")}
    file = form.get("receipt")
    receipt = None
    if isinstance(file, UploadFile) and file.filename:
        receipt = (file.filename, await file.read(), file.content_type or "application/octet-stream")
    fields = {key: value for key, value in values.items() if value}
    try:
        await site(request).attending.claim(user_token(request), instance_id, fields, receipt)
    except ApiError as error:
        if error.status_code >= 500:
            raise
        field = "receipt" if "justificatif" in error.detail.lower() else "amount"
        if "heure" in error.detail.lower():
            field = "hours"
        return await _claim_page(
            request, instance_id, error.status_code, errors=[(field, error.detail)], values=values
        )
    return redirect(request, "/mes-remboursements", "Demande envoyée : sa décision s'affichera ici.")


@router.get("/mes-remboursements", response_class=HTMLResponse)
async def my_claims(request: Request) -> HTMLResponse:
    require_councillor(request)
    ctx, token = site(request), user_token(request)
    claims, rules = await asyncio.gather(ctx.attending.my_claims(token), ctx.attending.rules(token))
    return render(
        request,
        "mes-remboursements.html",
        title="Mes remboursements",
        active="inscriptions",
        claims=claims,
        rules=rules,
    )


@router.get("/mes-remboursements/{claim_id}/justificatif")
async def my_receipt(request: Request, claim_id: str) -> Response:
    require_councillor(request)
    if parse_uuid(claim_id) is None:
        return _not_found(request)
    upstream = await site(request).attending.receipt(user_token(request), claim_id)
    headers = {"Content-Disposition": upstream.disposition or "attachment"}
    return Response(upstream.content, media_type=upstream.media_type, headers=headers)


@router.get("/instances/{instance_id}/attestation.pdf")
async def attestation(request: Request, instance_id: str) -> Response:
    """Her attestation of presence, with her name as the registry has it now (never stored by
    the meetings service, which keeps only the verification code)."""
    principal = require_councillor(request)
    if parse_uuid(instance_id) is None:
        return _not_found(request)
    ctx, token = site(request), user_token(request)
    member = await ctx.registry.member(token, principal.subject)
    name = member.display_name or ""
    try:
        pdf = await ctx.attending.attestation(
            token, instance_id, name, f"{ctx.public_base_url}/attestation/verifier"
        )
    except ApiError as error:
        if error.status_code >= 500:
            raise
        return redirect(request, f"/instances/{instance_id}", error.detail)
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="attestation-presence-{instance_id}.pdf"'},
    )


@router.get("/attestation/verifier", response_class=HTMLResponse)
async def verify_form(request: Request) -> HTMLResponse:
    return render(
        request, "attestation-verifier.html", title="Vérifier une attestation de présence", values={}
    )


@router.post("/attestation/verifier", response_class=HTMLResponse)
async def verify(request: Request) -> HTMLResponse:
    """Public: anyone holding an attestation (an employer) checks its code, and the name on it."""
    form = await checked_form(request)
    code = str(form.get("code", "")).strip()[:40]
    name = str(form.get("nom", "")).strip()[:200] or None
    values = {"code": code, "nom": name or ""}
    if len(code.replace("-", "").replace(" ", "")) < 16:
        errors = [("code", "Recopiez le code de 16 lettres et chiffres imprimé sur l'attestation.")]
        return render(
            request,
            "attestation-verifier.html",
            422,
            title="Vérifier une attestation",
            errors=errors,
            values=values,
        )
    ctx = site(request)
    result = await ctx.attending.check(ctx.site_token(), code, name)
    return render(
        request,
        "attestation-verifier.html",
        title="Vérifier une attestation de présence",
        result=result,
        values=values,
    )
