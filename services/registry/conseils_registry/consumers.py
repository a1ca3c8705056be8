"""Event handlers of the registry.

The registry is the source of who is who: it publishes, and consumes nothing
(it keeps no read model of another service). The function exists so every
service is wired the same way in `app.py`.
"""

from __future__ import annotations

from conseils_registry.service import RegistryService
from conseils_runtime import ServiceRuntime


def register_consumers(runtime: ServiceRuntime, service: RegistryService) -> None:
    """Same signature in every service: the runtime, and the use cases handlers delegate to."""
    del runtime, service  # no consumer: see the module docstring
