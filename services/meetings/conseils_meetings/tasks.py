"""Background workers of the meetings service (started by the runtime with the app)."""

from __future__ import annotations

from conseils_meetings.service import MeetingsService
from conseils_runtime.logs import get_logger
from conseils_runtime.tasks import WorkerLoop

log = get_logger(__name__)


class LateDossierCheck(WorkerLoop):
    """Raises a staff alert when a dossier is missing at its required notice."""

    name = "late-dossiers"

    def __init__(self, service: MeetingsService, every_seconds: float) -> None:
        super().__init__(every_seconds)
        self._service = service

    async def run_once(self) -> int:
        raised = await self._service.alert_late_dossiers()
        if raised:
            log.info("late dossier alerts raised", count=raised)
        return 0  # once per interval, even when it raised alerts


class AttendingCheck(WorkerLoop):
    """Raises a staff alert when a need to come is still not booked at its lead time, or a dossier
    has no easy-to-read summary at its notice; deletes the needs of instances ended some days ago."""

    name = "attending-checks"

    def __init__(self, service: MeetingsService, every_seconds: float) -> None:
        super().__init__(every_seconds)
        self._service = service

    async def run_once(self) -> int:
        raised = await self._service.alert_unbooked_needs()
        easy_read = await self._service.alert_missing_easy_read()
        purged = await self._service.purge_needs()
        if raised or easy_read or purged:
            log.info("attending checked", need_alerts=raised, easy_read_alerts=easy_read, purged=purged)
        return 0  # once per interval
