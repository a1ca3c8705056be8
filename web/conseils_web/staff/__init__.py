"""Staff pages (/equipe/...): instances (and their edits), councils (and their creation,
change, dissolution), members (and their CSV), outcomes, alerts, the bilan, sessions,
webhooks and the barriers to attending (needs, claims, easy read), one module each; the
forms' reading in `forms`, the joins of several services' answers in `views`."""

from __future__ import annotations

from fastapi import APIRouter

from conseils_web.staff import (
    alerts,
    attending,
    bilan,
    council_admin,
    councils,
    instance_edits,
    instance_list,
    instances,
    members,
    members_import,
    outcomes,
    projects,
    sessions,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    instance_list.router,
    instance_edits.router,
    instances.router,
    council_admin.router,
    councils.router,
    members_import.router,
    members.router,
    bilan.router,
    alerts.router,
    outcomes.router,
    sessions.router,
    webhooks.router,
    attending.router,
    projects.router,
)
