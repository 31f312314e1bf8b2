"""Reads of operations: the schedule with each job's last run, job runs, live processes, and
the health checks. Only ISAC coordinators and administrators operate the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, QuerySet
from django.utils import timezone

from vrisac.core.errors import NotAllowed
from vrisac.core.jobs import JOBS
from vrisac.core.models import Job
from vrisac.core.schedule import SCHEDULE, ScheduledJob
from vrisac.sharing.policy import viewer_for

from .models import ProcessHeartbeat
from .scheduler import next_run


def can_operate(user: Any) -> bool:
    viewer = viewer_for(user)
    return viewer.is_coordinator or viewer.is_admin


def require_operator(user: Any) -> None:
    if not can_operate(user):
        raise NotAllowed("operations are for ISAC coordinators and administrators")


@dataclass(frozen=True)
class ScheduledRow:
    entry: ScheduledJob
    installed: bool
    next_run: datetime | None
    last: Job | None

    @property
    def unfinished(self) -> bool:
        return self.last is not None and self.last.state in (Job.State.QUEUED,
                                                             Job.State.RUNNING)


def schedule_overview(*, user: Any) -> list[ScheduledRow]:
    """Every scheduled job with its next run and its last run (two queries)."""
    require_operator(user)
    names = [entry.job for entry in SCHEDULE]
    latest = (Job.objects.filter(name__in=names).values("name").annotate(last=Max("pk"))
              .values_list("last", flat=True))
    last_runs = {job.name: job for job in Job.objects.filter(pk__in=list(latest)).defer("log")}
    rows = []
    for entry in SCHEDULE:
        try:
            upcoming = next_run(entry)
        except ValueError:
            upcoming = None
        rows.append(ScheduledRow(entry=entry, installed=entry.job in JOBS, next_run=upcoming,
                                 last=last_runs.get(entry.job)))
    return rows


def job_runs(*, user: Any, name: str | None = None, state: str | None = None
             ) -> QuerySet[Job]:
    """Job runs, newest first, without their (long) logs."""
    require_operator(user)
    qs = Job.objects.defer("log", "error", "result").order_by("-created_at", "-pk")
    if name:
        qs = qs.filter(name=name)
    if state:
        qs = qs.filter(state=state)
    return qs


def job_get(*, user: Any, pk: int) -> Job:
    require_operator(user)
    return Job.objects.get(pk=pk)


def processes(*, user: Any) -> list[ProcessHeartbeat]:
    require_operator(user)
    return list(ProcessHeartbeat.objects.all())


def heartbeat_fresh_since() -> datetime:
    return timezone.now() - timedelta(seconds=settings.VRISAC_READY_HEARTBEAT_SECONDS)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def readiness() -> list[Check]:
    """What /readyz checks: the database answers, and a worker and a scheduler said they are
    alive within VRISAC_READY_HEARTBEAT_SECONDS."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return [Check("database", False, f"unreachable ({exc.__class__.__name__})"),
                Check("worker", False, "unknown: no database"),
                Check("scheduler", False, "unknown: no database")]
    checks = [Check("database", True, "ok")]
    since = heartbeat_fresh_since()
    for kind in (ProcessHeartbeat.Kind.WORKER, ProcessHeartbeat.Kind.SCHEDULER):
        alive = ProcessHeartbeat.objects.filter(kind=kind, seen_at__gte=since).count()
        checks.append(Check(str(kind), alive > 0,
                            f"{alive} alive" if alive else
                            f"no heartbeat in {settings.VRISAC_READY_HEARTBEAT_SECONDS} s"))
    return checks
