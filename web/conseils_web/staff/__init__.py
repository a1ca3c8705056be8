"""Staff pages (/equipe/...): instances, councils, outcomes, alerts, the bilan, sessions and webhooks,
one module each; the forms' reading in `forms`, the joins of several services' answers in `views`."""

from __future__ import annotations

from fastapi import APIRouter

from conseils_web.staff import alerts, bilan, councils, instances, outcomes, sessions, webhooks

ROUTERS: tuple[APIRouter, ...] = (
    instances.router,
    councils.router,
    bilan.router,
    alerts.router,
    outcomes.router,
    sessions.router,
    webhooks.router,
)
