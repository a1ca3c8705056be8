"""Staff pages (/equipe/...): instances, councils, outcomes, alerts, the bilan and sessions,
the barriers to attending (needs, claims, easy read), one module each; the forms' reading in
`forms`, the joins of several services' answers in `views`."""

from __future__ import annotations

from fastapi import APIRouter

from conseils_web.staff import attending, bilan, councils, instances, outcomes, sessions

ROUTERS: tuple[APIRouter, ...] = (
    instances.router,
    councils.router,
    bilan.router,
    outcomes.router,
    sessions.router,
    attending.router,
)
