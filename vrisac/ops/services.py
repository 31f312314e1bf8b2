"""Writes of operations: claiming a scheduled slot, running a job by hand, heartbeats, and
recovering jobs whose worker died. One transaction each, audit row inside it where a person or
the platform changed something that matters."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.jobs import JOBS, job_enqueue
from vrisac.core.models import Job
from vrisac.core.schedule import SCHEDULE, ScheduledJob

from .models import ProcessHeartbeat, ScheduleClaim

logger = logging.getLogger(__name__)

UNFINISHED = (Job.State.QUEUED, Job.State.RUNNING)


def _lock_job_name(name: str) -> None:
    """Serialise decisions about one job name for the rest of the transaction: PostgreSQL
    takes an advisory lock; SQLite's IMMEDIATE transactions already run one writer at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"vrisac.job:{name}"])


def _unfinished(name: str) -> bool:
    return Job.objects.filter(name=name, state__in=UNFINISHED).exists()


def _insert_claim(*, job: str, slot: datetime, claimed_by: str) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: the id when this insert landed, None when
    the slot was claimed before (a concurrent insert waits for the first to commit)."""
    table = connection.ops.quote_name(ScheduleClaim._meta.db_table)
    values = [job, connection.ops.adapt_datetimefield_value(slot), claimed_by,
              connection.ops.adapt_datetimefield_value(timezone.now()),
              ScheduleClaim.Outcome.ENQUEUED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (job, slot, claimed_by, claimed_at, outcome) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job, slot) DO NOTHING RETURNING id",
            values)
        row = cursor.fetchone()
    return int(row[0]) if row else None


@transaction.atomic
def schedule_claim(*, entry: ScheduledJob, slot: datetime, claimed_by: str
                   ) -> ScheduleClaim | None:
    """Claim ``slot`` of ``entry`` for this scheduler and queue the job; None when another
    scheduler claimed the slot first. A slot whose previous run is still queued or running is
    claimed but skipped, so a long run is never started twice."""
    claim_id = _insert_claim(job=entry.job, slot=slot, claimed_by=claimed_by)
    if claim_id is None:
        return None
    claim = ScheduleClaim.objects.get(pk=claim_id)
    _lock_job_name(entry.job)
    if _unfinished(entry.job):
        claim.outcome = ScheduleClaim.Outcome.SKIPPED
        claim.save(update_fields=["outcome"])
        logger.warning("scheduled run skipped: the previous run has not finished",
                       extra={"job": entry.job, "slot": slot.isoformat()})
        return claim
    claim.job_row = job_enqueue(entry.job, arguments=dict(entry.arguments))
    claim.save(update_fields=["job_row"])
    return claim


def scheduled_entry(name: str) -> ScheduledJob:
    for entry in SCHEDULE:
        if entry.job == name:
            return entry
    raise NotFound(_("There is no scheduled job called %(name)s.") % {"name": name})


@transaction.atomic
def job_run_now(*, name: str, acting_user: Any) -> Job:
    """Queue a scheduled job by hand (the jobs page's "run now"), with its scheduled
    arguments; refused while a run of it is queued or running."""
    entry = scheduled_entry(name)
    if entry.job not in JOBS:
        raise DomainError(_("The job %(name)s is not installed.") % {"name": name})
    _lock_job_name(entry.job)
    if _unfinished(entry.job):
        raise DomainError(_("%(name)s is already queued or running; wait for it to finish.")
                          % {"name": name})
    row = job_enqueue(entry.job, arguments=dict(entry.arguments), triggered_by=acting_user)
    audit_record(action="ops.job.run_now", actor=acting_user, obj=row,
                 details={"job": entry.job})
    return row


def heartbeat_beat(*, process_id: str, kind: str, hostname: str, pid: int,
                   started_at: datetime) -> None:
    """Say that this worker or scheduler is alive (one row per process)."""
    now = timezone.now()
    updated = ProcessHeartbeat.objects.filter(process_id=process_id).update(seen_at=now)
    if not updated:
        ProcessHeartbeat.objects.create(process_id=process_id, kind=kind, hostname=hostname[:255],
                                        pid=pid, started_at=started_at, seen_at=now)
        # Rows of processes gone for a day tell nothing any more.
        ProcessHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def heartbeat_forget(*, process_id: str) -> None:
    """A process that stops cleanly removes its row, so /readyz notices at once."""
    ProcessHeartbeat.objects.filter(process_id=process_id).delete()


def _requeue_or_fail(job_row: Job, *, stale_seconds: int, max_attempts: int) -> str:
    seen = job_row.heartbeat_at or job_row.started_at
    stamp = timezone.localtime(seen).strftime("%H:%M:%S") if seen else "?"
    if job_row.attempts < max_attempts:
        job_row.state = Job.State.QUEUED
        job_row.log += (f"{stamp} the worker running this job stopped (no heartbeat for "
                        f"{stale_seconds} s); queued again, attempt {job_row.attempts + 1} "
                        f"of {max_attempts}\n")
        job_row.save(update_fields=["state", "log"])
        from vrisac.core.tasks import execute_job

        spec = JOBS.get(job_row.name)
        queue = spec.queue if spec else "default"
        pk = job_row.pk

        def send() -> None:
            result = execute_job.using(queue_name=queue).enqueue(pk)
            Job.objects.filter(pk=pk).update(task_result_id=str(result.id))

        transaction.on_commit(send)
        return "requeued"
    job_row.state = Job.State.FAILED
    job_row.finished_at = timezone.now()
    job_row.error = (f"The worker running this job stopped (last heartbeat {stamp}); "
                     f"given up after {job_row.attempts} attempt(s).")
    job_row.log += f"{stamp} {job_row.error}\n"
    job_row.save(update_fields=["state", "finished_at", "error", "log"])
    return "failed"


def jobs_recover_stale(*, stale_seconds: int | None = None, max_attempts: int | None = None
                       ) -> dict[str, int]:
    """Find running jobs whose heartbeat stopped (their worker was killed or its machine
    died) and queue them again, or mark them failed after the last attempt. Never silent:
    each one gets a line in its log and an audit row."""
    stale_seconds = stale_seconds or settings.VRISAC_JOB_STALE_SECONDS
    max_attempts = max_attempts or settings.VRISAC_JOB_MAX_ATTEMPTS
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    counts = {"requeued": 0, "failed": 0}
    candidates = list(Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
                      .values_list("pk", flat=True))
    for pk in candidates:
        with transaction.atomic():
            job_row = (Job.objects.select_for_update()
                       .filter(pk=pk, state=Job.State.RUNNING, heartbeat_at__lt=cutoff).first())
            if job_row is None:
                continue
            outcome = _requeue_or_fail(job_row, stale_seconds=stale_seconds,
                                       max_attempts=max_attempts)
            _end_task_result(job_row)
            audit_record(action=f"ops.job.{outcome}", obj=job_row, actor_label="scheduler",
                         result="failure",
                         details={"job": job_row.name, "attempts": job_row.attempts})
            counts[outcome] += 1
            logger.warning("job without heartbeat %s", outcome,
                           extra={"job_id": job_row.pk, "job": job_row.name})
    return counts


def _end_task_result(job_row: Job) -> None:
    """The task framework's record of the dead run is closed too, so it is not left running."""
    if not job_row.task_result_id:
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=job_row.task_result_id, status=TaskResultStatus.RUNNING
                                ).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path="vrisac.ops.WorkerLost",
        traceback="the worker stopped while running this task")


def database_statistics_refresh() -> float:
    """Refresh the query planner's statistics (``ANALYZE``); the seconds it took.

    The visibility policy is an OR of audiences. Without statistics SQLite answers "the newest
    reports this person may see" by collecting every visible row and sorting them (0.1 s at
    100,000 reports, 0.7 s with reply counts); with them it walks the publication-time index
    and stops after one page (under 1 ms). PostgreSQL's autovacuum analyses too. The scheduler
    runs it hourly (``ops.db_statistics``); ``vrisac run_job ops.db_statistics`` runs it now,
    after a bulk import for instance.
    """
    import time

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
    return time.monotonic() - started
