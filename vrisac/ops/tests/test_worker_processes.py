"""Real worker processes: two on one queue run every job once; a worker killed in the middle
of a job leaves it neither running for ever nor lost: another worker's scheduler notices the
silent heartbeat and the job runs again, or is marked failed after its last attempt."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vrisac.core.jobs import job_enqueue
from vrisac.core.models import AuditEvent, Job
from vrisac.ops import selectors
from vrisac.ops.models import ProcessHeartbeat
from vrisac.ops.services import jobs_recover_stale
from vrisac.ops.tests.support import process_env, processes, stop, vrisac_process, wait_for

FAST = {"VRISAC_JOB_HEARTBEAT_SECONDS": "1", "VRISAC_PROCESS_HEARTBEAT_SECONDS": "1",
        "VRISAC_JOB_STALE_SECONDS": "4"}


def _worker(tmp_path: Path, name: str, *extra: str) -> Any:
    return vrisac_process(["worker", "--interval", "0.2", *extra],
                          process_env(tmp_path, **FAST), tmp_path / f"{name}.log")


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_queue_run_every_job_exactly_once(tmp_path: Path,
                                                             db_queue: None) -> None:
    runs = tmp_path / "runs.txt"
    first = _worker(tmp_path, "a", "--no-scheduler")
    second = _worker(tmp_path, "b", "--no-scheduler")
    with processes(first, second):
        wait_for(lambda: ProcessHeartbeat.objects.filter(kind="worker").count() == 2,
                 what="two worker heartbeats")
        jobs = [job_enqueue("ops_test.record", arguments={"path": str(runs), "pause": 0.1})
                for _ in range(30)]
        ids = [j.pk for j in jobs]
        wait_for(lambda: Job.objects.filter(pk__in=ids, state=Job.State.SUCCEEDED).count() == 30,
                 timeout=120, what="30 jobs done")
        assert selectors.readiness()[1].ok
    lines = [line.split() for line in runs.read_text().splitlines()]
    per_job = Counter(int(job_id) for job_id, _pid in lines)
    assert sorted(per_job) == sorted(ids) and set(per_job.values()) == {1}
    assert len({pid for _job, pid in lines}) == 2, "both workers took jobs"
    assert set(Job.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    # Stopped cleanly, the workers took their heartbeats with them.
    assert not ProcessHeartbeat.objects.filter(kind="worker").exists()


def _start_slow_job_and_kill_its_worker(tmp_path: Path) -> Job:
    doomed = _worker(tmp_path, "doomed", "--no-scheduler")
    with processes(doomed):
        job_row = job_enqueue("ops_test.slow_first", arguments={"seconds": 300})
        wait_for(lambda: Job.objects.filter(pk=job_row.pk, state=Job.State.RUNNING,
                                            log__contains="attempt 1").exists(),
                 what="the job running")
        stop(doomed, signal.SIGKILL)
    job_row.refresh_from_db()
    assert job_row.state == Job.State.RUNNING  # nobody has noticed yet
    return job_row


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_was_killed_runs_again_on_another_worker(tmp_path: Path,
                                                                   db_queue: None) -> None:
    job_row = _start_slow_job_and_kill_its_worker(tmp_path)
    rescuer = _worker(tmp_path, "rescuer")  # with its scheduler, which looks for silent jobs
    with processes(rescuer):
        wait_for(lambda: Job.objects.filter(pk=job_row.pk, state=Job.State.SUCCEEDED).exists(),
                 timeout=120, what="the job finished on the second worker")
    job_row.refresh_from_db()
    assert job_row.attempts == 2 and job_row.result == {"attempt": 2}
    assert "the worker running this job stopped" in job_row.log
    assert "queued again, attempt 2 of 3" in job_row.log
    assert AuditEvent.objects.filter(action="ops.job.requeued",
                                     object_id=str(job_row.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_a_killed_job_on_its_last_attempt_is_marked_failed_never_left_running(
        tmp_path: Path, db_queue: None) -> None:
    job_row = _start_slow_job_and_kill_its_worker(tmp_path)
    wait_for(lambda: jobs_recover_stale(stale_seconds=2, max_attempts=1)["failed"] == 1,
             timeout=30, what="the silent job found")
    job_row.refresh_from_db()
    assert job_row.state == Job.State.FAILED and job_row.finished_at is not None
    assert "The worker running this job stopped" in job_row.error
    assert "given up after 1 attempt" in job_row.error
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(pk=job_row.task_result_id).status == "FAILED"


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_their_schedulers_run_each_slot_once(tmp_path: Path,
                                                             db_queue: None) -> None:
    """Two worker processes, each with its scheduler, both due to queue the same job at the
    same minute: one claim, one run."""
    from vrisac.ops.models import ScheduleClaim

    runs = tmp_path / "every-minute.txt"
    env = process_env(tmp_path, VRISAC_TEST_EVERY_MINUTE=str(runs), **FAST)
    first = vrisac_process(["worker", "--interval", "0.2"], env, tmp_path / "a.log")
    second = vrisac_process(["worker", "--interval", "0.2"], env, tmp_path / "b.log")
    with processes(first, second):
        wait_for(lambda: ProcessHeartbeat.objects.filter(kind="scheduler").count() == 2,
                 what="two schedulers")
        claim = wait_for(lambda: ScheduleClaim.objects.filter(job="ops_test.record").first(),
                         timeout=90, what="the first slot")
        wait_for(lambda: Job.objects.filter(name="ops_test.record",
                                            state=Job.State.SUCCEEDED).exists(),
                 timeout=60, what="its run")
        import time

        time.sleep(3)  # the slower scheduler has had its go at the same slot
        slots = list(ScheduleClaim.objects.filter(job="ops_test.record").values_list(
            "slot", flat=True))
        jobs = Job.objects.filter(name="ops_test.record").count()
    assert claim.slot.second == 0
    assert len(slots) == len(set(slots)) == jobs
    lines = runs.read_text().splitlines()
    assert len(lines) == len({line.split()[0] for line in lines}) == jobs
    logs = ((tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()).splitlines()
    claimed = [line for line in logs
               if '"scheduled slot claimed"' in line and '"ops_test.record"' in line]
    assert len(claimed) == jobs
