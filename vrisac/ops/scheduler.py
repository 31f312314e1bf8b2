"""The scheduler: runs the entries of ``vrisac/core/schedule.py`` on time, once.

APScheduler's cron triggers say when each entry is due. At every due time the scheduler
claims the slot (``ScheduleClaim``, unique per job and time, inserted with ON CONFLICT DO
NOTHING): the one scheduler whose insert lands queues the job through the job runner; the
others, on other workers or machines, do nothing. A slot whose previous run is still queued
or running is skipped. The same scheduler stamps its heartbeat and recovers jobs whose worker
died (``jobs_recover_stale``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Max
from django.utils import timezone

from vrisac.core.jobs import JOBS
from vrisac.core.request_context import Origin, reset_origin, set_origin
from vrisac.core.schedule import SCHEDULE, ScheduledJob

from . import services
from .models import ProcessHeartbeat, ScheduleClaim

logger = logging.getLogger(__name__)


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def trigger_for(entry: ScheduledJob) -> CronTrigger:
    """The entry's cron expression ("m h dom mon dow") in Europe/Amsterdam time."""
    return CronTrigger.from_crontab(entry.cron, timezone=tz())


def schedule_problems(entries: Iterable[ScheduledJob] = SCHEDULE) -> list[str]:
    """What is wrong with the schedule: unknown jobs, bad cron expressions, doubles."""
    problems = []
    seen: set[str] = set()
    for entry in entries:
        if entry.job not in JOBS:
            problems.append(f"{entry.job}: no job of that name is registered")
        if entry.job in seen:
            problems.append(f"{entry.job}: scheduled twice")
        seen.add(entry.job)
        try:
            trigger_for(entry)
        except ValueError as exc:
            problems.append(f"{entry.job}: bad cron expression {entry.cron!r} ({exc})")
    return problems


def slots_between(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """The trigger's times t with start < t <= end."""
    found: list[datetime] = []
    current = trigger.get_next_fire_time(None, start + timedelta(microseconds=1))
    while current is not None and current <= end:
        found.append(current)
        current = trigger.get_next_fire_time(current, current)
    return found


def _fixed_time(entry: ScheduledJob) -> bool:
    minute, hour = entry.cron.split()[:2]
    return all(part.isdigit() for part in (minute + "," + hour).split(","))


def canonical_slot(entry: ScheduledJob, slot: datetime) -> datetime:
    """The slot as claimed. When the clocks go back, a wall-clock time such as 02:30 happens
    twice; a job at fixed times (like cron does) runs at the first of the two only, while a
    job every few minutes runs through the repeated hour."""
    if not _fixed_time(entry):
        return slot
    local = slot.astimezone(tz())
    return local.replace(fold=0).astimezone(slot.tzinfo) if local.fold else slot


def next_run(entry: ScheduledJob, now: datetime | None = None) -> datetime | None:
    return trigger_for(entry).get_next_fire_time(None, now or timezone.now())


def new_process_id(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def _with_connection(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` in an APScheduler thread with fresh database connections, closed after."""

    def run(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        token = set_origin(Origin(channel="scheduler"))
        try:
            return func(*args, **kwargs)
        except Exception:
            logger.exception("scheduler task failed", extra={"task": func.__name__})
            return None
        finally:
            reset_origin(token)
            connection.close()

    run.__name__ = func.__name__
    return run


class Scheduler:
    """One scheduler; start as many as you like (one per worker), each slot runs once."""

    def __init__(self, *, entries: Iterable[ScheduledJob] | None = None,
                 process_id: str | None = None) -> None:
        self.entries = list(SCHEDULE if entries is None else entries)
        self.process_id = process_id or new_process_id("scheduler")
        self.started_at = timezone.now()
        self._scheduler: BackgroundScheduler | None = None

    # --- the work, each also callable directly (tests, the command line) ---

    def fire(self, entry: ScheduledJob, now: datetime | None = None) -> ScheduleClaim | None:
        """Claim the latest due slot of ``entry`` (at most a minute old) and queue it."""
        now = now or timezone.now()
        slots = slots_between(trigger_for(entry), now - timedelta(minutes=1), now)
        if not slots:
            return None
        return self.claim(entry, slots[-1])

    def claim(self, entry: ScheduledJob, slot: datetime) -> ScheduleClaim | None:
        if entry.job not in JOBS:
            logger.error("scheduled job is not registered", extra={"job": entry.job})
            return None
        slot = canonical_slot(entry, slot)
        claim = services.schedule_claim(entry=entry, slot=slot, claimed_by=self.process_id)
        if claim is not None:
            logger.info("scheduled slot claimed", extra={
                "job": entry.job, "slot": slot.isoformat(), "outcome": claim.outcome})
        return claim

    def catch_up(self, now: datetime | None = None) -> list[ScheduleClaim]:
        """After a gap with no scheduler alive, run the latest slot missed per entry (when it
        is at most VRISAC_SCHEDULER_CATCH_UP_HOURS old). A fresh installation has no gap."""
        now = now or timezone.now()
        last_seen = (ProcessHeartbeat.objects.filter(kind=ProcessHeartbeat.Kind.SCHEDULER)
                     .exclude(process_id=self.process_id).aggregate(m=Max("seen_at"))["m"])
        last_claim = ScheduleClaim.objects.aggregate(m=Max("slot"))["m"]
        since = max((t for t in (last_seen, last_claim) if t is not None), default=None)
        if since is None:
            return []
        since = max(since, now - timedelta(hours=settings.VRISAC_SCHEDULER_CATCH_UP_HOURS))
        claims = []
        for entry in self.entries:
            try:
                missed = slots_between(trigger_for(entry), since, now)
            except ValueError:
                continue
            if missed:
                claim = self.claim(entry, missed[-1])
                if claim is not None:
                    claims.append(claim)
        return claims

    def beat(self) -> None:
        services.heartbeat_beat(process_id=self.process_id, kind=ProcessHeartbeat.Kind.SCHEDULER,
                                hostname=socket.gethostname(), pid=os.getpid(),
                                started_at=self.started_at)

    def recover(self) -> dict[str, int]:
        return services.jobs_recover_stale()

    # --- the running scheduler ---

    def start(self) -> None:
        for problem in schedule_problems(self.entries):
            logger.error("schedule problem: %s", problem)
        scheduler = BackgroundScheduler(timezone=tz(), job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
        for entry in self.entries:
            try:
                trigger = trigger_for(entry)
            except ValueError:
                continue
            scheduler.add_job(_with_connection(self.fire), trigger, args=[entry],
                              id=f"entry:{entry.job}", name=entry.job)
        every = settings.VRISAC_PROCESS_HEARTBEAT_SECONDS
        scheduler.add_job(_with_connection(self.beat), IntervalTrigger(seconds=every),
                          id="heartbeat", next_run_time=datetime.now(tz()))
        scheduler.add_job(_with_connection(self.recover), IntervalTrigger(seconds=every * 2),
                          id="recover")
        _with_connection(self.catch_up)()
        scheduler.start()
        self._scheduler = scheduler
        logger.info("scheduler started", extra={"process_id": self.process_id,
                                                "entries": len(self.entries)})

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        _with_connection(services.heartbeat_forget)(process_id=self.process_id)
