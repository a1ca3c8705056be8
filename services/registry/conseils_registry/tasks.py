"""Background workers of the registry (started by the runtime with the app): the retention
job that erases members who left longer ago than the territory's retention period."""

from __future__ import annotations

from conseils_registry.retention import Retention
from conseils_runtime.logs import get_logger
from conseils_runtime.tasks import WorkerLoop

log = get_logger(__name__)


class RetentionSweep(WorkerLoop):
    """Erases departed members past the retention period; the service's clock decides today."""

    name = "retention"

    def __init__(self, service: Retention, retention_months: int, every_seconds: float) -> None:
        super().__init__(every_seconds)
        self._service = service
        self._months = retention_months

    async def run_once(self) -> int:
        erased = await self._service.erase_departed(self._months)
        if erased:
            log.info("members erased after the retention period", count=erased, months=self._months)
        return erased  # at once again while some remain, then once per interval
