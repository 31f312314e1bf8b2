"""The one job runner.

Long work is a *job*: a function ``fn(ctx, **arguments) -> dict`` registered under a name.
The worker runs it through the Tasks framework (``job_enqueue``), the command line runs the
same function in-process with a progress bar (``job_run``). Either way a ``Job`` row records
state, progress, log, result and error, so the jobs page tells what happened.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Job
from .request_context import current_origin

JobFunction = Callable[..., dict[str, Any] | None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunction
    queue: str
    description: str


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, queue: str = "default", description: str = "") -> Callable[
    [JobFunction], JobFunction
]:
    """Register ``fn(ctx, **arguments)`` as the job called ``name``."""

    def register(func: JobFunction) -> JobFunction:
        JOBS[name] = JobSpec(name=name, func=func, queue=queue,
                             description=description or (func.__doc__ or "").strip())
        return func

    return register


class JobContext:
    """Handed to a job function: report progress and write to the job's log."""

    FLUSH_SECONDS = 1.0
    MAX_LOG_CHARS = 200_000

    def __init__(self, job_row: Job, *, progress_bar: bool = False) -> None:
        self.job = job_row
        self._lines: list[str] = []
        self._last_flush = 0.0
        self._bar: Any = None
        self._progress_bar = progress_bar and sys.stderr.isatty()

    def log(self, message: str) -> None:
        stamp = timezone.localtime().strftime("%H:%M:%S")
        self._lines.append(f"{stamp} {message}")
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        self._maybe_flush()

    def set_total(self, total: int | None) -> None:
        self.job.total = total
        if self._progress_bar:
            from tqdm import tqdm

            if self._bar is None:
                self._bar = tqdm(total=total, desc=self.job.name, file=sys.stderr, unit="rec")
            else:
                self._bar.total = total
        self._maybe_flush(force=True)

    def advance(self, count: int = 1) -> None:
        self.job.progress += count
        if self._bar is not None:
            self._bar.update(count)
        self._maybe_flush()

    def _maybe_flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_flush >= self.FLUSH_SECONDS:
            self.flush()
            self._last_flush = now

    def flush(self) -> None:
        if self._lines:
            text = (self.job.log + "\n".join(self._lines) + "\n")[-self.MAX_LOG_CHARS :]
            self.job.log = text
            self._lines = []
        self.job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(
            progress=self.job.progress,
            total=self.job.total,
            log=self.job.log,
            heartbeat_at=self.job.heartbeat_at,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextlib.contextmanager
def heartbeat(job_row: Job) -> Iterator[None]:
    """Stamp ``heartbeat_at`` every few seconds while the job runs, from a thread of its own,
    so that a job whose process died is told apart from one that is busy but quiet (the
    scheduler retries or fails jobs whose heartbeat stopped)."""
    every = float(getattr(settings, "VRISAC_JOB_HEARTBEAT_SECONDS", 15))
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    Job.objects.filter(pk=job_row.pk, state=Job.State.RUNNING).update(
                        heartbeat_at=timezone.now())
                except Exception:  # a busy database must not end the job; the next beat tries
                    logger.warning("job heartbeat not written", extra={"job_id": job_row.pk})
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-heartbeat-{job_row.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def claim(job_id: int) -> bool:
    """Take a queued job for this process; False when another process already took it (or it
    has finished), so that a job delivered twice still runs once."""
    now = timezone.now()
    return bool(Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now))


def get_spec(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(JOBS))}") from None


def _new_job(name: str, arguments: dict[str, Any], triggered_by: Any, state: str) -> Job:
    return Job.objects.create(
        name=name,
        arguments=arguments,
        state=state,
        triggered_by_id=getattr(triggered_by, "pk", None),
        channel=current_origin().channel,
    )


def job_run(
    name: str,
    *,
    arguments: dict[str, Any] | None = None,
    job_row: Job | None = None,
    progress_bar: bool = False,
    triggered_by: Any = None,
    raise_errors: bool = True,
) -> Job:
    """Run a registered job now, in this process, recording it on a ``Job`` row."""
    spec = get_spec(name)
    arguments = dict(arguments if arguments is not None else (job_row.arguments if job_row else {}))
    if job_row is None:
        job_row = _new_job(name, arguments, triggered_by, Job.State.RUNNING)
    job_row.state = Job.State.RUNNING
    job_row.started_at = timezone.now()
    job_row.heartbeat_at = job_row.started_at
    job_row.attempts += 1
    job_row.save(update_fields=["state", "started_at", "heartbeat_at", "attempts"])
    ctx = JobContext(job_row, progress_bar=progress_bar)
    try:
        with heartbeat(job_row):
            result = spec.func(ctx, **arguments) or {}
    except Exception as exc:
        ctx.log(f"failed: {exc}")
        ctx.flush()
        ctx.close()
        job_row.state = Job.State.FAILED
        job_row.error = traceback.format_exc()[-20_000:]
        job_row.finished_at = timezone.now()
        job_row.save(update_fields=["state", "error", "finished_at"])
        if raise_errors:
            raise
        return job_row
    ctx.flush()
    ctx.close()
    job_row.state = Job.State.SUCCEEDED
    job_row.result = result
    job_row.finished_at = timezone.now()
    job_row.save(update_fields=["state", "result", "finished_at"])
    return job_row


def job_enqueue(
    name: str, *, arguments: dict[str, Any] | None = None, triggered_by: Any = None
) -> Job:
    """Queue a registered job for the worker; it is sent once the current transaction commits."""
    from .tasks import execute_job

    spec = get_spec(name)
    job_row = _new_job(name, dict(arguments or {}), triggered_by, Job.State.QUEUED)

    def send() -> None:
        result = execute_job.using(queue_name=spec.queue).enqueue(job_row.pk)
        Job.objects.filter(pk=job_row.pk).update(task_result_id=str(result.id))

    transaction.on_commit(send)
    return job_row
