"""The /etat page's detail column in French: each service's readiness checks (`/readyz`,
whose keys are the API's English codes) under the names a person reads."""

from __future__ import annotations

from typing import Any

CHECK_LABELS = {"database": "base de données", "kafka": "Kafka", "outbox": "file d'envoi des événements"}


def readiness_detail(checks: dict[str, Any]) -> str:
    """« base de données : ok, Kafka : ok »; « indisponible: X » gets its French space."""
    return ", ".join(
        f"{CHECK_LABELS.get(name, name)} : {str(value).replace('indisponible:', 'indisponible :')}"
        for name, value in checks.items()
    )
