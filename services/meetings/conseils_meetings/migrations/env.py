"""Alembic environment of this service: shared by all services (conseils_runtime.migrations)."""

from conseils_runtime.migrations import run_env

run_env()
